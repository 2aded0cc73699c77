"""What each published table must satisfy, as plain data; `build_rules` turns it into GX rules.

Rules per table: keys not null, grain unique, measures non-negative, pairwise orderings
(clicks <= impressions), ISO 4217 currencies, dates inside [history start, run end], at least one
row. `checks` lists them engine-neutrally (the benchmark's one-pass SQL reads the same list); each
becomes the GX expectation reported when it fails, plus cheaper screening expectations the gate
runs first. Freshness is a separate, per-source suite on staging tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from quality.currencies import ISO_4217
from quality.runner import Rule


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


@dataclass(frozen=True)
class Check:
    """One rule of a table's suite, engine-neutral. The GX suite and the one-pass SQL baseline are both
    built from these, so the two cannot drift apart."""

    kind: str  # not_null | unique | non_negative | ordered | in_set | between | row_count
    # ordered: (smaller, larger)
    columns: tuple[str, ...] = ()
    min_value: Any = None
    max_value: Any = None
    value_set: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """Stable rule id, e.g. `non_negative:spend`, `ordered:clicks<=impressions`, `row_count`."""
        joiner = "<=" if self.kind == "ordered" else ","
        return f"{self.kind}:{joiner.join(self.columns)}" if self.columns else self.kind


def checks(rules: TableRules, history_start: date, window_end: date) -> list[Check]:
    out = [Check("not_null", (column,)) for column in dict.fromkeys(rules.grain + rules.not_null)]
    out.append(Check("unique", rules.grain))
    out += [Check("non_negative", (column,), min_value=0) for column in rules.non_negative]
    out += [Check("ordered", pair) for pair in rules.ordered_pairs]
    out += [Check("in_set", (column,), value_set=tuple(sorted(ISO_4217))) for column in rules.currency_columns]
    if rules.date_column:
        is_timestamp = rules.date_column.endswith("_at")
        lower = bound(history_start, is_timestamp) if rules.bounded_below else None
        # The window end is inclusive; timestamps on that day are inside it.
        upper = bound(window_end, is_timestamp, end_of_day=True)
        out.append(Check("between", (rules.date_column,), min_value=lower, max_value=upper))
    out.append(Check("row_count", min_value=1))
    return out


def expectation(check: Check) -> Any:
    """The GX expectation for one check; its `meta.rule` names the check in failure reports."""
    import great_expectations as gx

    e = gx.expectations
    meta = {"rule": check.name}
    kind, cols = check.kind, check.columns
    if kind == "not_null":
        return e.ExpectColumnValuesToNotBeNull(column=cols[0], meta=meta)
    if kind == "unique" and len(cols) == 1:
        return e.ExpectColumnValuesToBeUnique(column=cols[0], meta=meta)
    if kind == "unique":
        return e.ExpectCompoundColumnsToBeUnique(column_list=list(cols), meta=meta)
    if kind in ("non_negative", "between"):
        return e.ExpectColumnValuesToBeBetween(column=cols[0], min_value=check.min_value,
                                               max_value=check.max_value, meta=meta)
    if kind == "ordered":
        smaller, larger = cols
        return e.ExpectColumnPairValuesAToBeGreaterThanB(column_A=larger, column_B=smaller, or_equal=True, meta=meta)
    if kind == "in_set":
        return e.ExpectColumnValuesToBeInSet(column=cols[0], value_set=list(check.value_set), meta=meta)
    if kind == "row_count":
        return e.ExpectTableRowCountToBeBetween(min_value=check.min_value, meta=meta)
    raise ValueError(f"unknown check kind {kind!r}")


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# The grain as one value, for screening uniqueness with an aggregate; no mart has such a column.
GRAIN_KEY = "__grain_hash"


def gx_rule(check: Check, dialect: str) -> Rule:
    """The check's expectation, and where it has them, cheaper screens that pass exactly when it
    passes (or, on corner cases, are stricter). Screens name no rows: the gate runs the check's own
    expectation when one fails. `dialect` is the warehouse's ("duckdb" or "postgres")."""
    import great_expectations as gx

    e = gx.expectations
    meta = {"rule": check.name}
    column = check.columns[0] if check.columns else None
    # Aggregates in place of row-by-row conditions: GX folds them into the same single scan, and
    # builds a far smaller metric graph for each (graph building dominates on small tables).
    if check.kind == "not_null":
        screen = e.ExpectColumnProportionOfNonNullValuesToBeBetween(column=column, min_value=1.0, meta=meta)
        return Rule(expectation(check), (screen,))
    if check.kind == "non_negative":
        return Rule(expectation(check), (e.ExpectColumnMinToBeBetween(column=column, min_value=0, meta=meta),))
    if check.kind == "between":
        bounds = []
        if check.min_value is not None:
            bounds.append(e.ExpectColumnMinToBeBetween(column=column, min_value=check.min_value, meta=meta))
        if check.max_value is not None:
            bounds.append(e.ExpectColumnMaxToBeBetween(column=column, max_value=check.max_value, meta=meta))
        return Rule(expectation(check), tuple(bounds))
    if check.kind == "unique" and len(check.columns) == 1:
        # count(DISTINCT) among the one scan's aggregates, instead of a GROUP BY joined back.
        screen = e.ExpectColumnProportionOfUniqueValuesToBeBetween(column=column, min_value=1.0, meta=meta)
        return Rule(expectation(check), (screen,))
    if check.kind == "unique" and dialect == "duckdb":
        # The same over a 64-bit hash of the grain: distinct hashes mean distinct grains, so it never
        # passes a duplicate; a collision (a few in a million at 10M rows) or a grain entirely NULL
        # only sends the rule on to its own expectation. At 10M rows GX's GROUP BY joined back
        # holds 2.2 GiB, this 0.5 GiB. Not on PostgreSQL, which has no such hash and where GX
        # would learn the derived column by running the query whole.
        screen = e.ExpectColumnProportionOfUniqueValuesToBeBetween(column=GRAIN_KEY, min_value=1.0, meta=meta)
        key = f"hash({', '.join(_quoted(c) for c in check.columns)})"
        return Rule(expectation(check), (screen,), derived=((GRAIN_KEY, key),))
    if check.kind == "in_set" and dialect == "duckdb":
        # GX tests membership with a 180-member IN list on every row, which DuckDB evaluates item by
        # item (10x a plain scan); an anti-join on a VALUES list is a hash lookup. PostgreSQL hashes
        # the IN list itself, inside the one scan.
        quoted = _quoted(column)
        members = ", ".join("('" + v.replace("'", "''") + "')" for v in check.value_set)
        query = (f"SELECT DISTINCT {quoted} FROM {{batch}} WHERE {quoted} NOT IN "
                 f"(SELECT member FROM (VALUES {members}) AS value_set(member))")
        return Rule(expectation(check), (e.UnexpectedRowsExpectation(unexpected_rows_query=query, meta=meta),))
    return Rule(expectation(check))


def build_rules(rules: TableRules, history_start: date, window_end: date, dialect: str) -> list[Rule]:
    return [gx_rule(check, dialect) for check in checks(rules, history_start, window_end)]


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
