"""The gate: a good candidate passes; each kind of bad row fails, naming the rule and the rows."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from connectors import registry
from quality import gate
from quality.suites import DateBounds
from tests.transforms.fixture import KPI_SOURCES, build_fixture
from transforms.models import CANDIDATE_SCHEMA
from transforms.project import project
from warehouse import Warehouse

# The gate runs "now" in the fixture's world: the midnight after its last record.
NOW = datetime(2026, 1, 3, 0, 0, tzinfo=UTC)
BOUNDS = DateBounds(date(2020, 1, 1), NOW)
# The marts the hand-computed fixture builds (no ad-level reports among its sources).
MARTS = project(KPI_SOURCES).marts


@pytest.fixture(scope="module")
def built(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = build_fixture(module_warehouse_url, tmp_path_factory.mktemp("seeds"), KPI_SOURCES)
    warehouse.ensure_schemas(["pristine"])
    warehouse.execute(f"CREATE TABLE pristine.{n} AS SELECT * FROM {CANDIDATE_SCHEMA}.{n}" for n in MARTS)
    return warehouse


@pytest.fixture
def candidates(built: Warehouse) -> Warehouse:
    """The built candidates, restored to their pristine state for each test."""
    built.execute(
        statement
        for n in MARTS
        for statement in (f"DROP TABLE IF EXISTS {CANDIDATE_SCHEMA}.{n}",
                          f"CREATE TABLE {CANDIDATE_SCHEMA}.{n} AS SELECT * FROM pristine.{n}")
    )
    return built


def _check(warehouse: Warehouse, name: str, bounds: DateBounds = BOUNDS):
    return gate.check_mart(warehouse, CANDIDATE_SCHEMA, name, bounds)


def test_good_candidates_pass(candidates: Warehouse):
    for name in MARTS:
        outcome = _check(candidates, name)
        assert outcome.success, gate.render(outcome)
        assert outcome.evaluated >= 5


BAD_ROWS = {
    "negative spend": (
        "campaign_performance_daily",
        "UPDATE marts_candidate.campaign_performance_daily SET spend = -1 WHERE campaign_id = 'c2'",
        "expect_column_values_to_be_between", "spend",
    ),
    "clicks above impressions": (
        "campaign_performance_daily",
        "UPDATE marts_candidate.campaign_performance_daily SET clicks = 5000 WHERE campaign_id = 'c2'",
        "expect_column_pair_values_a_to_be_greater_than_b", "impressions>=clicks",
    ),
    "duplicate grain": (
        "campaign_performance_daily",
        "INSERT INTO marts_candidate.campaign_performance_daily SELECT * FROM marts_candidate.campaign_performance_daily WHERE campaign_id = 'c2'",
        "expect_compound_columns_to_be_unique", "date_day,platform,account_id,campaign_id",
    ),
    "null key": (
        "campaign_performance_daily",
        "UPDATE marts_candidate.campaign_performance_daily SET account_id = NULL WHERE campaign_id = 'c2'",
        "expect_column_values_to_not_be_null", "account_id",
    ),
    "unknown currency": (
        "campaign_performance_daily",
        "UPDATE marts_candidate.campaign_performance_daily SET currency_code = 'XYZ' WHERE campaign_id = 'c2'",
        "expect_column_values_to_be_in_set", "currency_code",
    ),
    "day in the future": (
        "web_traffic_daily",
        "UPDATE marts_candidate.web_traffic_daily SET date_day = DATE '2026-03-01' WHERE campaign = '(organic)'",
        "expect_column_values_to_be_between", "date_day",
    ),
    "day before the history": (
        "campaign_performance_daily",
        "UPDATE marts_candidate.campaign_performance_daily SET date_day = DATE '2019-12-31' WHERE campaign_id = 'c2'",
        "expect_column_values_to_be_between", "date_day",
    ),
    "deal created in the future": (
        "crm_deals",
        "UPDATE marts_candidate.crm_deals SET created_at = TIMESTAMPTZ '2026-01-03 00:30:00+00' WHERE deal_id = 'd1'",
        "expect_column_values_to_be_between", "created_at",
    ),
    "no rows": (
        "campaign_kpis_daily",
        "DELETE FROM marts_candidate.campaign_kpis_daily",
        "expect_table_row_count_to_be_between", None,
    ),
    "duplicate deal": (
        "crm_deals",
        "INSERT INTO marts_candidate.crm_deals SELECT * FROM marts_candidate.crm_deals WHERE deal_id = 'd1'",
        "expect_compound_columns_to_be_unique", "source_system,deal_id",
    ),
    "spend without an FX rate": (
        "campaign_performance_daily",
        "UPDATE marts_candidate.campaign_performance_daily SET spend_reporting = NULL WHERE campaign_id = 'c2'",
        "unexpected_rows_expectation", None,
    ),
    "deal amount without an FX rate": (
        "crm_deals",
        "UPDATE marts_candidate.crm_deals SET amount_reporting = NULL WHERE deal_id = 'd4'",
        "unexpected_rows_expectation", None,
    ),
    "campaign day with unconverted spend": (
        "campaign_kpis_daily",
        "UPDATE marts_candidate.campaign_kpis_daily SET spend = NULL WHERE campaign_key = 'autumn_promo'",
        "expect_column_values_to_not_be_null", "spend",
    ),
    "attributed revenue that does not add up to the month's": (
        "campaign_attribution_monthly",
        "UPDATE marts_candidate.campaign_attribution_monthly SET attributed_revenue = attributed_revenue - 1 "
        "WHERE attribution_model = 'linear' AND campaign_key = 'brand_search'",
        "unexpected_rows_expectation", None,
    ),
    "attribution share above 1": (
        "campaign_attribution_monthly",
        "UPDATE marts_candidate.campaign_attribution_monthly SET revenue_share = 1.5 "
        "WHERE attribution_model = 'first_touch' AND campaign_key = 'brand_search'",
        "expect_column_values_to_be_between", "revenue_share",
    ),
    "negative deal amount": (
        "crm_deals",
        "UPDATE marts_candidate.crm_deals SET amount = -5 WHERE deal_id = 'd4'",
        "expect_column_values_to_be_between", "amount",
    ),
}


@pytest.mark.parametrize("case", list(BAD_ROWS), ids=list(BAD_ROWS))
def test_each_bad_candidate_fails(candidates: Warehouse, case: str):
    table, sql, expectation, column = BAD_ROWS[case]
    candidates.execute([sql])
    outcome = _check(candidates, table)
    assert not outcome.success
    assert outcome.status == "failed"
    assert not outcome.errors
    failed = [(f.expectation, f.column) for f in outcome.failures]
    assert (expectation, column) in failed, failed
    finding = next(f for f in outcome.failures if f.expectation == expectation and f.column == column)
    if expectation != "expect_table_row_count_to_be_between":
        assert finding.sample, "the report must show offending rows"
    assert expectation in gate.render(outcome)


def test_attribution_conserves_each_models_month_within_its_rounding_tolerance(candidates: Warehouse):
    table = "marts_candidate.campaign_attribution_monthly"
    where = "WHERE attribution_model = 'time_decay' AND campaign_key = 'brand_search'"
    candidates.execute([f"UPDATE {table} SET attributed_revenue = attributed_revenue + 0.005 {where}"])
    assert _check(candidates, "campaign_attribution_monthly").success
    candidates.execute([f"UPDATE {table} SET attributed_revenue = attributed_revenue + 0.01 {where}"])
    outcome = _check(candidates, "campaign_attribution_monthly")
    finding = next(f for f in outcome.failures if f.rule == "sums_to:attributed_revenue=won_revenue")
    # The group that broke it, with what its rows add up to and the month's total (d1 300 USD, d3 216 and d4 55 from EUR: 571).
    assert [(r["attribution_model"], r["month"], float(r["summed"]), float(r["total"])) for r in finding.sample] \
        == [("time_decay", "2026-01-01", 571.015, 571.0)]


def test_sample_rows_name_the_offending_grain(candidates: Warehouse):
    candidates.execute(["UPDATE marts_candidate.campaign_performance_daily SET spend = -1 WHERE campaign_id = 'c2'"])
    outcome = _check(candidates, "campaign_performance_daily")
    finding = next(f for f in outcome.failures if f.column == "spend")
    assert finding.rule == "non_negative:spend"
    assert finding.unexpected_count == 1
    row = finding.sample[0]
    assert row["campaign_id"] == "c2" and row["account_id"] == "222" and float(row["spend"]) == -1


def test_a_missing_fx_rate_names_the_currency_and_the_day(candidates: Warehouse):
    candidates.execute(["UPDATE marts_candidate.campaign_performance_daily SET spend_reporting = NULL "
                        "WHERE currency_code = 'EUR'"])
    outcome = _check(candidates, "campaign_performance_daily")
    finding = next(f for f in outcome.failures if f.rule == "converted:spend_reporting")
    assert finding.sample == ({"currency_code": "EUR", "date_day": "2026-01-01", "rows_without_rate": 1},)
    assert "EUR" in gate.render(outcome) and "2026-01-01" in gate.render(outcome)
    # A NULL amount is not a missing rate.
    candidates.execute(["UPDATE marts_candidate.crm_deals SET amount = NULL, amount_reporting = NULL WHERE deal_id = 'd4'"])
    assert _check(candidates, "crm_deals").success


def test_a_candidate_that_drifted_from_its_frozen_contract_does_not_publish(candidates: Warehouse):
    candidates.execute(["ALTER TABLE marts_candidate.crm_deals DROP COLUMN stage",
                        "ALTER TABLE marts_candidate.crm_deals ADD COLUMN stage_label varchar"])
    outcome = _check(candidates, "crm_deals")
    assert outcome.status == "failed"
    [finding] = outcome.failures
    assert finding.rule == "schema" and finding.unexpected_count == 2
    assert [(c["column"], c["change"]) for c in finding.sample] == [("stage", "dropped"), ("stage_label", "added")]
    candidates.execute(["ALTER TABLE marts_candidate.crm_deals DROP COLUMN stage_label",
                        "ALTER TABLE marts_candidate.crm_deals ADD COLUMN stage bigint"])
    [finding] = _check(candidates, "crm_deals").failures
    assert [(c["column"], c["change"], c["declared"]) for c in finding.sample] == [("stage", "retyped", "text")]


def test_a_validator_error_is_reported_as_an_error_not_bad_data(candidates: Warehouse, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("server closed the connection unexpectedly")

    monkeypatch.setattr(gate, "validate", broken)
    outcome = _check(candidates, "crm_deals")
    assert not outcome.success
    assert outcome.status == "error"
    assert "server closed the connection" in gate.render(outcome)


def test_missing_table_is_a_validator_error(tmp_path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'empty.duckdb'}")
    outcome = _check(warehouse, "crm_deals")
    assert outcome.status == "error"
    assert "crm_deals" in gate.render(outcome)


def test_dates_follow_what_the_data_is_not_the_run_window(candidates: Warehouse):
    # CRM records bounded by now: a deal created minutes ago (inside the clock skew), and KPI rows
    # from long before the ads history, are good data.
    candidates.execute([
        "UPDATE marts_candidate.crm_deals SET created_at = TIMESTAMPTZ '2026-01-03 00:05:00+00' WHERE deal_id = 'd1'",
        "UPDATE marts_candidate.campaign_kpis_daily SET date_day = DATE '2015-06-01' WHERE deals_won = 2",
        # An account in UTC+14 is already a day ahead of UTC.
        "UPDATE marts_candidate.campaign_performance_daily SET date_day = DATE '2026-01-03' WHERE campaign_id = 'c2'",
    ])
    for name in ("crm_deals", "campaign_kpis_daily", "campaign_performance_daily"):
        outcome = _check(candidates, name)
        assert outcome.success, gate.render(outcome)


@pytest.mark.parametrize("source", ["google_ads", "hubspot"])  # a date column, and a timestamp with time zone
def test_freshness_passes_when_recent_and_fails_when_stale(candidates: Warehouse, source: str):
    spec = registry.spec(source)
    fresh = gate.check_freshness(candidates, spec, date(2026, 1, 3))
    assert fresh.success, gate.render(fresh)
    stale = gate.check_freshness(candidates, spec, date(2026, 2, 1))
    assert stale.status == "failed", gate.render(stale)
    assert stale.failures[0].expectation == "expect_column_max_to_be_between"


def test_quarantine_check_flags_only_records_this_run_set_aside(warehouse_url: str):
    warehouse = Warehouse(warehouse_url)
    warehouse.execute([
        "CREATE SCHEMA raw_hubspot",
        "CREATE TABLE raw_hubspot.quarantine (source_table varchar, record_id varchar, field varchar, "
        "raw_value varchar, error varchar, quarantined_at timestamp with time zone)",
        "INSERT INTO raw_hubspot.quarantine VALUES ('deals', '901', 'amount', '12,50 EUR', 'not a number', "
        "TIMESTAMPTZ '2026-01-01 10:00:00+00')",
    ])
    spec = registry.spec("hubspot")
    assert gate.check_quarantine(warehouse, spec, datetime(2026, 1, 2, tzinfo=UTC)).success
    outcome = gate.check_quarantine(warehouse, spec, datetime(2026, 1, 1, 9, tzinfo=UTC))
    assert outcome.status == "failed"
    sample = outcome.failures[0].sample[0]
    assert sample["record_id"] == "901" and sample["field"] == "amount" and sample["source_table"] == "deals"


def test_a_raw_table_is_held_to_its_declaration_as_a_warning(warehouse_url: str):
    warehouse = Warehouse(warehouse_url)
    spec = registry.spec("hubspot")
    deals = spec.table("deals")
    # Never loaded: nothing to hold it to yet.
    assert gate.check_raw(warehouse, spec, deals).success
    warehouse.execute(["CREATE SCHEMA raw_hubspot", deals.ddl("raw_hubspot"),
                       "ALTER TABLE raw_hubspot.deals ADD COLUMN _dlt_load_id varchar"])
    assert gate.check_raw(warehouse, spec, deals).success
    # The vendor's new property arrives as a column (dlt evolves the table), and one is retyped.
    warehouse.execute(["ALTER TABLE raw_hubspot.deals ADD COLUMN hs_new_property varchar",
                       f"ALTER TABLE raw_hubspot.deals DROP COLUMN {deals.primary_key[0]}",
                       f"ALTER TABLE raw_hubspot.deals ADD COLUMN {deals.primary_key[0]} bigint"])
    outcome = gate.check_raw(warehouse, spec, deals)
    # Read from the raw schemas' catalog at once, as the monitors do, the same.
    catalog = warehouse.columns_by_table(["raw_hubspot", "raw_google_ads"])
    assert catalog[("raw_hubspot", "deals")] == warehouse.columns("raw_hubspot", "deals")
    assert gate.check_raw(warehouse, spec, deals, catalog=catalog).failures == outcome.failures
    assert outcome.status == "failed"
    [drift] = outcome.failures
    assert [(c["column"], c["change"]) for c in drift.sample] == [
        ("hs_new_property", "added"), (deals.primary_key[0], "retyped")]


def _with_warning(monkeypatch, name: str, kind: str, column: str) -> None:
    """The mart's contract with its `kind` check on `column` turned into a warning."""
    import dataclasses

    from quality import gate as gate_module

    contracts = dict(gate_module.marts())
    contract = contracts[name]
    checks = tuple(dataclasses.replace(c, severity="warn") if (c.kind, c.columns) == (kind, (column,)) else c
                   for c in contract.checks)
    assert checks != contract.checks
    contracts[name] = dataclasses.replace(contract, checks=checks)
    monkeypatch.setattr(gate_module, "marts", lambda: contracts)


def test_both_severities_in_one_validation_report_as_separate_calls(candidates: Warehouse, monkeypatch):
    _with_warning(monkeypatch, "campaign_performance_daily", "non_negative", "spend")
    candidates.execute(["UPDATE marts_candidate.campaign_performance_daily SET spend = -1 WHERE campaign_id = 'c2'"])
    both = gate.check_mart_severities(candidates, CANDIDATE_SCHEMA, "campaign_performance_daily", BOUNDS)
    alone = {severity: gate.check_mart(candidates, CANDIDATE_SCHEMA, "campaign_performance_daily", BOUNDS, severity)
             for severity in ("error", "warn")}
    assert both == alone
    assert both["error"].success, gate.render(both["error"])
    [finding] = both["warn"].failures
    assert (finding.column, finding.unexpected_count) == ("spend", 1)
    assert both["warn"].evaluated == 1 and both["error"].evaluated > 1
    assert both["error"].row_count == both["warn"].row_count == candidates.row_count(
        CANDIDATE_SCHEMA, "campaign_performance_daily")


def test_a_drifted_candidate_still_reports_its_warnings(candidates: Warehouse, monkeypatch):
    _with_warning(monkeypatch, "crm_deals", "non_negative", "amount")
    candidates.execute(["ALTER TABLE marts_candidate.crm_deals ADD COLUMN extra varchar",
                        "UPDATE marts_candidate.crm_deals SET amount = -5 WHERE deal_id = 'd1'"])
    both = gate.check_mart_severities(candidates, CANDIDATE_SCHEMA, "crm_deals", BOUNDS)
    [drift] = both["error"].failures
    assert drift.rule == "schema" and both["error"].evaluated == 1
    [finding] = both["warn"].failures
    assert finding.column == "amount"


def test_freshness_validated_with_other_checks_of_its_table_reports_on_its_own(candidates: Warehouse):
    spec = registry.spec("google_ads")
    table = f"stg_google_ads__{spec.freshness.entity}"
    other = gate.query_rule("no_rows_from_1999", "SELECT * FROM {batch} WHERE date_day < DATE '2000-01-01'",
                            "nothing from the last century")

    def together(window_end: date):
        return gate.check_together(candidates, "staging", table,
                                   lambda: [*gate.freshness_rules(spec, window_end, "source_freshness"), other])

    fresh = together(date(2026, 1, 3))
    assert fresh.only({"source_freshness"}).success and fresh.only({"no_rows_from_1999"}).success
    stale = together(date(2026, 2, 1))
    assert stale.only({"source_freshness"}).status == "failed"
    assert stale.only({"source_freshness"}).failures[0].expectation == "expect_column_max_to_be_between"
    assert stale.only({"no_rows_from_1999"}).success
    assert len(stale.only({"source_freshness"}).results) == 1
