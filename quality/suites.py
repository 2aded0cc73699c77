"""What each published table must satisfy, as plain data; `build_suite` turns it into a GX suite.

Rules per table: keys not null, grain unique, measures non-negative, pairwise orderings
(clicks <= impressions), ISO 4217 currencies, dates inside [history start, run end], at least one
row. Freshness is a separate, per-source suite on staging tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from quality.currencies import ISO_4217


@dataclass(frozen=True)
class TableRules:
    table: str
    grain: tuple[str, ...]
    not_null: tuple[str, ...] = ()
    non_negative: tuple[str, ...] = ()
    # (smaller, larger): every row must have smaller <= larger
    ordered_pairs: tuple[tuple[str, str], ...] = ()
    currency_columns: tuple[str, ...] = ()
    date_column: str | None = None
    # Ads and web data exist only inside the partitioned history; CRM records may predate it.
    bounded_below: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        cols: list[str] = list(self.grain) + list(self.not_null) + list(self.non_negative)
        for a, b in self.ordered_pairs:
            cols += [a, b]
        cols += list(self.currency_columns)
        if self.date_column:
            cols.append(self.date_column)
        return tuple(dict.fromkeys(cols))


@dataclass(frozen=True)
class FreshnessRule:
    source: str
    schema: str
    table: str
    column: str
    max_lag_days: int = 3


MART_RULES: dict[str, TableRules] = {
    "campaign_performance_daily": TableRules(
        table="campaign_performance_daily",
        grain=("date_day", "platform", "account_id", "campaign_id"),
        not_null=("currency_code", "campaign_key"),
        non_negative=("spend", "impressions", "clicks", "conversions", "conversions_value"),
        ordered_pairs=(("clicks", "impressions"),),
        currency_columns=("currency_code", "reporting_currency"),
        date_column="date_day",
    ),
    "ad_group_performance_daily": TableRules(
        table="ad_group_performance_daily",
        grain=("date_day", "platform", "account_id", "campaign_id", "ad_group_id"),
        not_null=("currency_code", "campaign_key"),
        non_negative=("spend", "impressions", "clicks", "conversions", "conversions_value"),
        ordered_pairs=(("clicks", "impressions"),),
        currency_columns=("currency_code",),
        date_column="date_day",
    ),
    "web_traffic_daily": TableRules(
        table="web_traffic_daily",
        grain=("date_day", "property_id", "source", "medium", "campaign", "channel_group"),
        non_negative=("sessions", "users", "new_users", "engaged_sessions", "key_events", "revenue"),
        ordered_pairs=(("engaged_sessions", "sessions"), ("new_users", "users")),
        currency_columns=("currency_code",),
        date_column="date_day",
    ),
    "crm_deals": TableRules(
        table="crm_deals",
        grain=("deal_id",),
        not_null=("source_system", "created_at", "stage"),
        non_negative=("amount",),
        currency_columns=("currency_code",),
        date_column="created_at",
        bounded_below=False,
    ),
    "campaign_kpis_daily": TableRules(
        table="campaign_kpis_daily",
        grain=("date_day", "campaign_key"),
        not_null=("currency_code",),
        non_negative=("spend", "impressions", "clicks", "conversions", "sessions", "leads", "deals_won", "revenue"),
        ordered_pairs=(("clicks", "impressions"),),
        currency_columns=("currency_code",),
        date_column="date_day",
    ),
}

@dataclass(frozen=True)
class QuarantineRule:
    """Records a connector set aside as unreadable: the run that quarantined any is flagged."""

    source: str
    schema: str
    table: str = "quarantine"
    timestamp: str = "quarantined_at"
    identifying: tuple[str, ...] = ("source_table", "record_id", "field", "raw_value", "error")


QUARANTINE_RULES: dict[str, QuarantineRule] = {
    "hubspot": QuarantineRule("hubspot", "raw_hubspot"),
}

FRESHNESS_RULES: dict[str, FreshnessRule] = {
    "google_ads": FreshnessRule("google_ads", "staging", "stg_google_ads__campaign_stats", "date_day"),
    "google_analytics": FreshnessRule("google_analytics", "staging", "stg_google_analytics__traffic_daily", "date_day"),
    "hubspot": FreshnessRule("hubspot", "staging", "stg_hubspot__contacts", "updated_at"),
}


def bound(day: date, is_timestamp: bool, end_of_day: bool = False) -> str:
    """A date bound as GX compares it: a date for date columns; for timestamp columns (stored with
    time zone on both engines) a UTC-aware timestamp, since aware and naive values do not compare."""
    if not is_timestamp:
        return day.isoformat()
    clock = time.max if end_of_day else time.min
    return datetime.combine(day, clock, tzinfo=UTC).isoformat()


def build_expectations(rules: TableRules, history_start: date, window_end: date) -> list[Any]:
    import great_expectations as gx

    e = gx.expectations
    out: list[Any] = []
    for column in dict.fromkeys(rules.grain + rules.not_null):
        out.append(e.ExpectColumnValuesToNotBeNull(column=column))
    if len(rules.grain) == 1:
        out.append(e.ExpectColumnValuesToBeUnique(column=rules.grain[0]))
    else:
        out.append(e.ExpectCompoundColumnsToBeUnique(column_list=list(rules.grain)))
    for column in rules.non_negative:
        out.append(e.ExpectColumnValuesToBeBetween(column=column, min_value=0))
    for smaller, larger in rules.ordered_pairs:
        out.append(e.ExpectColumnPairValuesAToBeGreaterThanB(column_A=larger, column_B=smaller, or_equal=True))
    for column in rules.currency_columns:
        out.append(e.ExpectColumnValuesToBeInSet(column=column, value_set=sorted(ISO_4217)))
    if rules.date_column:
        is_timestamp = rules.date_column.endswith("_at")
        lower = bound(history_start, is_timestamp) if rules.bounded_below else None
        # The window end is inclusive; timestamps on that day are inside it.
        upper = bound(window_end, is_timestamp, end_of_day=True)
        out.append(e.ExpectColumnValuesToBeBetween(column=rules.date_column, min_value=lower, max_value=upper))
    out.append(e.ExpectTableRowCountToBeBetween(min_value=1))
    return out


def build_freshness_expectations(rule: FreshnessRule, window_end: date) -> list[Any]:
    from datetime import timedelta

    import great_expectations as gx

    oldest_acceptable = bound(window_end - timedelta(days=rule.max_lag_days), rule.column.endswith("_at"))
    return [gx.expectations.ExpectColumnMaxToBeBetween(column=rule.column, min_value=oldest_acceptable)]


def build_quarantine_expectations(rule: QuarantineRule, run_started: datetime) -> list[Any]:
    import great_expectations as gx

    # Every quarantined row must predate this run; rows this run set aside fail, and are listed.
    return [gx.expectations.ExpectColumnValuesToBeBetween(
        column=rule.timestamp, max_value=run_started.astimezone(UTC).isoformat(),
    )]
