"""The one-pass SQL yardstick: hand-computed violation counts on both engines, and agreement with
the GX gate rule by rule."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bench.gate_baseline import one_pass, one_pass_sql
from quality import gate
from quality.suites import DateBounds, checks
from transforms.contracts import marts
from warehouse import Warehouse

# Late on the last day of January: dates reach 2026-02-01 (UTC+14 accounts), timestamps 23:55.
BOUNDS = DateBounds(date(2020, 1, 1), datetime(2026, 1, 31, 23, 45, tzinfo=UTC))
SCHEMA = "marts_candidate"
AD_GROUPS = "ad_group_performance_daily"
GRAIN = "unique:date_day,platform,account_id,campaign_id,ad_group_id"

AD_GROUP_DDL = f"""CREATE TABLE {SCHEMA}.{AD_GROUPS} (date_day date, platform varchar, account_id varchar,
    campaign_id varchar, ad_group_id varchar, time_zone varchar, currency_code varchar, campaign_key varchar,
    spend decimal(38,6), impressions bigint, clicks bigint, conversions double precision,
    conversions_value double precision, reporting_currency varchar, spend_reporting decimal(38,6),
    conversions_value_reporting double precision)"""
GOOD_ROW = "(DATE '2026-01-01', 'google_ads', '111', 'c1', 'ag1', 'UTC', 'USD', 'k1', 10, 100, 5, 1, 2, 'USD', 10, 2)"
BAD_ROWS = [
    GOOD_ROW,
    GOOD_ROW,  # the grain twice
    "(DATE '2026-01-02', 'google_ads', '111', 'c1', 'ag1', 'UTC', 'EUR', NULL, -1, 100, 5, 0, 0, 'USD', NULL, 0)",
    "(DATE '2026-03-01', 'google_ads', '111', 'c1', 'ag2', 'UTC', 'XYZ', 'k1', 0, 10, 20, 0, 0, 'USD', 0, 0)",
    "(DATE '2019-12-31', 'google_ads', NULL, 'c1', 'ag3', NULL, NULL, 'k1', 0, -5, 0, -1, 0, 'USD', 0, 0)",
]
# Worked out by hand from BAD_ROWS; every other rule counts 0.
BAD_COUNTS = {
    "not_null:account_id": 1,     # row 5
    "not_null:currency_code": 1,  # row 5
    "not_null:campaign_key": 1,   # row 3
    "not_null:time_zone": 1,      # row 5
    GRAIN: 1,                     # row 2 repeats row 1
    "non_negative:spend": 1,      # row 3
    "non_negative:impressions": 1,  # row 5
    "non_negative:conversions": 1,  # row 5
    "ordered:clicks<=impressions": 2,  # rows 4 and 5
    "in_set:currency_code": 1,    # row 4 (row 5's NULL is in no set, and not counted)
    "between:date_day": 2,        # row 4 in the future, row 5 before the history
    "converted:spend_reporting": 1,  # row 3: EUR spend with no rate
}


def _ad_groups(warehouse_url: str, rows: list[str]) -> Warehouse:
    warehouse = Warehouse(warehouse_url)
    statements = [f"CREATE SCHEMA {SCHEMA}", AD_GROUP_DDL]
    if rows:
        statements.append(f"INSERT INTO {SCHEMA}.{AD_GROUPS} VALUES {', '.join(rows)}")
    warehouse.execute(statements)
    return warehouse


def _checks(name: str = AD_GROUPS):
    return checks(marts()[name], BOUNDS)


def _one_pass(warehouse: Warehouse, name: str = AD_GROUPS) -> dict[str, int]:
    return one_pass(warehouse, SCHEMA, name, _checks(name))


def test_one_select_with_one_column_per_rule_of_the_suite():
    sql = one_pass_sql(_checks(), SCHEMA, AD_GROUPS)
    assert sql.count("SELECT") == 3  # the statement, and the ISO 4217 list it anti-joins (twice)
    assert sql.rstrip().endswith(f'FROM "{SCHEMA}"."{AD_GROUPS}"')
    assert len(_split_columns(sql)) == len(_checks())


def _split_columns(sql: str) -> list[str]:
    body = sql.split("\n")[1:-1]
    return [line for line in body if line.strip()]


def test_counts_every_rule_by_hand(warehouse_url: str):
    counts = _one_pass(_ad_groups(warehouse_url, BAD_ROWS))
    assert set(counts) == {c.name for c in _checks()}
    assert {name: n for name, n in counts.items() if n} == BAD_COUNTS


def test_a_good_table_counts_nothing_and_an_empty_one_only_its_row_count(warehouse_url: str):
    warehouse = _ad_groups(warehouse_url, [GOOD_ROW])
    assert not any(_one_pass(warehouse).values())
    warehouse.execute([f"DELETE FROM {SCHEMA}.{AD_GROUPS}"])
    assert {name: n for name, n in _one_pass(warehouse).items() if n} == {"row_count": 1}


def test_timestamps_are_bounded_above_by_now_and_the_clock_skew(warehouse_url: str):
    warehouse = Warehouse(warehouse_url)
    warehouse.execute([
        f"CREATE SCHEMA {SCHEMA}",
        f"""CREATE TABLE {SCHEMA}.crm_deals (deal_id varchar, source_system varchar, created_at timestamp with time zone,
            closed_at timestamp with time zone, stage varchar, amount decimal(38,6), currency_code varchar,
            reporting_currency varchar, fx_rate_date date, amount_reporting decimal(38,6))""",
        f"""INSERT INTO {SCHEMA}.crm_deals VALUES
            ('d1', 'hubspot', TIMESTAMPTZ '2019-06-01 10:00:00+00', NULL, 'won', 5, 'USD', 'USD', DATE '2019-06-01', 5),
            ('d2', 'hubspot', TIMESTAMPTZ '2026-01-31 23:50:00+00', NULL, 'won', 5, 'USD', 'USD', DATE '2026-01-31', 5),
            ('d2', 'hubspot', TIMESTAMPTZ '2026-02-01 00:30:00+00', NULL, 'won', 5, 'USD', 'USD', DATE '2026-02-01', 5),
            ('d3', 'hubspot', TIMESTAMPTZ '2026-01-01 00:00:00+00', TIMESTAMPTZ '2026-02-01 00:00:00+00', 'won', 5, 'USD',
             'USD', DATE '2026-02-01', 5),
            (NULL, 'hubspot', TIMESTAMPTZ '2026-01-01 00:00:00+00', NULL, 'won', 5, 'USD', 'USD', DATE '2026-01-01', 5)""",
    ])
    counts = _one_pass(warehouse, "crm_deals")
    # CRM records may predate the history, and reach up to now plus the clock skew (23:55).
    assert {name: n for name, n in counts.items() if n} == {
        "not_null:deal_id": 1, "unique:source_system,deal_id": 1, "between:created_at": 1, "between:closed_at": 1,
    }


def test_what_the_gate_fails_the_baseline_counts_rule_by_rule(warehouse_url: str):
    warehouse = _ad_groups(warehouse_url, BAD_ROWS)
    # The contract's rules alone: the table holds only the columns they read, which the frozen
    # schema would refuse before any rule ran.
    outcome = gate.check_contract(warehouse, SCHEMA, AD_GROUPS, marts()[AD_GROUPS], BOUNDS)
    assert outcome.status == "failed", gate.render(outcome)
    failed = {f.rule for f in outcome.failures}
    assert failed == set(BAD_COUNTS)
    counts = _one_pass(warehouse)
    assert {rule for rule, n in counts.items() if n} == failed
    for finding in outcome.failures:
        if finding.unexpected_count is not None and finding.rule != GRAIN:
            # GX counts every row of a duplicated grain; the baseline only the extra ones.
            assert finding.unexpected_count == counts[finding.rule], finding


ATTRIBUTION = "campaign_attribution_monthly"
ATTRIBUTION_DDL = f"""CREATE TABLE {SCHEMA}.{ATTRIBUTION} (month date, attribution_model varchar,
    campaign_key varchar, credited_to varchar, reporting_currency varchar, attributed_deals double precision,
    attributed_revenue decimal(38,6), won_deals bigint, won_revenue decimal(38,6), deal_share double precision,
    revenue_share double precision)"""
# January: 2 deals, 300 of revenue, split 2/3 : 1/3 under linear; February: one 100 deal unattributed.
ATTRIBUTION_ROWS = [
    "(DATE '2026-01-01', 'linear', 'k1', 'campaign', 'USD', 1.333333333, 200.000001, 2, 300, 0.6666666665, 0.666667)",
    "(DATE '2026-01-01', 'linear', 'k2', 'campaign', 'USD', 0.666666667, 99.999999, 2, 300, 0.3333333335, 0.333333)",
    "(DATE '2026-01-01', 'first_touch', 'k1', 'campaign', 'USD', 2, 300, 2, 300, 1, 1)",
    "(DATE '2026-02-01', 'linear', '(unattributed)', 'unattributed', 'USD', 1, 100, 1, 100, 1, 1)",
]


def test_parts_that_add_up_to_their_groups_total_count_nothing_and_each_group_that_does_not_counts_once(
        warehouse_url: str):
    warehouse = Warehouse(warehouse_url)
    warehouse.execute([f"CREATE SCHEMA {SCHEMA}", ATTRIBUTION_DDL,
                       f"INSERT INTO {SCHEMA}.{ATTRIBUTION} VALUES {', '.join(ATTRIBUTION_ROWS)}"])
    assert not any(_one_pass(warehouse, ATTRIBUTION).values())
    # January's linear credits lose 0.5 (beyond the 0.01 tolerance); February's row disagrees with
    # its own total of deals.
    warehouse.execute([f"UPDATE {SCHEMA}.{ATTRIBUTION} SET attributed_revenue = 99.5 WHERE campaign_key = 'k2'",
                       f"UPDATE {SCHEMA}.{ATTRIBUTION} SET attributed_deals = 0.5 WHERE month = DATE '2026-02-01'"])
    counts = {name: n for name, n in _one_pass(warehouse, ATTRIBUTION).items() if n}
    assert counts == {"sums_to:attributed_revenue=won_revenue": 1, "sums_to:attributed_deals=won_deals": 1}
    outcome = gate.check_contract(warehouse, SCHEMA, ATTRIBUTION, marts()[ATTRIBUTION], BOUNDS)
    assert sorted(f.rule for f in outcome.failures) == sorted(counts)


def test_a_warning_is_found_by_both_and_is_no_disagreement(warehouse_url: str):
    from bench import quality_gate
    from warehouse.types import sql_type

    contract = marts()["budget_pacing"]
    warehouse = Warehouse(warehouse_url)
    values = {c.name: "NULL" for c in contract.columns}
    values.update(source_system="'campaign_plans'", campaign_key="'k1'", plan_month="DATE '2026-01-01'",
                  as_of_date="DATE '2026-01-10'", days_in_month="31", days_elapsed="10", currency_code="'USD'",
                  budget="310", spend_to_date="200", expected_spend_to_date="100", pacing="2", budget_used="0.645",
                  projected_spend="620", status="'over'", pacing_tolerance="0.1", reporting_currency="'USD'",
                  fx_rate_date="DATE '2026-01-10'", budget_reporting="310", spend_to_date_reporting="200",
                  expected_spend_to_date_reporting="100", projected_spend_reporting="620")
    warehouse.execute([
        "CREATE SCHEMA IF NOT EXISTS marts",
        f"CREATE TABLE marts.budget_pacing ({', '.join(f'{c.name} {sql_type(c.type)}' for c in contract.columns)})",
        f"INSERT INTO marts.budget_pacing VALUES ({', '.join(values[c.name] for c in contract.columns)})",
    ])
    # A campaign over budget is a warning both find; the blocking rules pass.
    assert quality_gate.compare(warehouse, ["budget_pacing"], repeats=1)["budget_pacing"]["rows"] == 1
    warehouse.execute(["UPDATE marts.budget_pacing SET status = 'on_track'"])
    assert quality_gate.compare(warehouse, ["budget_pacing"], repeats=1)["budget_pacing"]["rows"] == 1
    # A row the gate refuses stops the comparison, naming the mart.
    warehouse.execute(["UPDATE marts.budget_pacing SET budget = -1"])
    with pytest.raises(RuntimeError, match="the gate failed on marts.budget_pacing"):
        quality_gate.compare(warehouse, ["budget_pacing"], repeats=1)
