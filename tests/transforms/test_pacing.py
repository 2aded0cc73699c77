"""Budget pacing on hand-computed fixtures, on DuckDB and PostgreSQL.

Google Ads' fixture spends 25 USD on brand_search (5 conversions worth 500 USD) and 10 EUR on
autumn_promo, on 2026-01-01; its last day is 2026-01-02, so that is the as-of day: 2 of January's 31
days have elapsed. The plan fixture's current version gives brand_search 1,500 USD for January; the
file below adds 5 GBP for autumn_promo in January, and for February 800 USD for brand_search and
200 USD for spring_launch, a campaign with no ads yet.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from tests.transforms.fixture import OVERRIDES_CSV, create_raw
from transforms import runner
from transforms.model_settings import load_model_settings
from transforms.models import CANDIDATE_SCHEMA
from transforms.project import project
from warehouse import Warehouse

SOURCES = ("campaign_plans", "fx_rates", "google_ads", "google_analytics")
EXTRA_PLANS = """INSERT INTO raw_campaign_plans.plans VALUES
    ('q1.csv', 2, 'q1', TIMESTAMP '2026-01-01 08:00:00', 'Autumn Promo', DATE '2026-01-01', 5.000000, 'GBP', NULL, NULL,
     NULL, NULL, NULL, 'Cy', NULL, NULL, 'execution'),
    ('q1.csv', 3, 'q1', TIMESTAMP '2026-01-01 08:00:00', 'Brand Search', DATE '2026-02-01', 800.000000, 'USD', NULL, NULL,
     NULL, NULL, NULL, 'Ana', NULL, NULL, 'planning'),
    ('q1.csv', 4, 'q1', TIMESTAMP '2026-01-01 08:00:00', 'Spring Launch', DATE '2026-02-01', 200.000000, 'USD', NULL, NULL,
     NULL, NULL, NULL, 'Ana', NULL, NULL, 'planning')"""


def _build(warehouse: Warehouse, variables: dict) -> dict[tuple[str, date], dict]:
    for model in project(SOURCES).models:
        runner.build(warehouse, model, variables)
    columns = [c.name for c in warehouse.columns(CANDIDATE_SCHEMA, "budget_pacing")]
    rows = warehouse.rows(f"SELECT * FROM {CANDIDATE_SCHEMA}.budget_pacing")
    return {(r[1], r[3]): dict(zip(columns, r, strict=True)) for r in rows}


@pytest.fixture(scope="module")
def warehouse(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = Warehouse(module_warehouse_url)
    create_raw(warehouse, SOURCES)
    warehouse.execute([EXTRA_PLANS])
    overrides = tmp_path_factory.mktemp("seeds") / "overrides.csv"
    overrides.write_text(OVERRIDES_CSV)
    runner.load_seed(warehouse, "campaign_key_overrides", overrides)
    return warehouse


def test_linear_pacing_of_a_plan_in_the_accounts_currency(warehouse: Warehouse):
    row = _build(warehouse, {"reporting_currency": "USD"})[("brand_search", date(2026, 1, 1))]
    assert (row["as_of_date"], row["days_in_month"], row["days_elapsed"], row["currency_code"], row["budget"],
            row["spend_to_date"]) == (date(2026, 1, 2), 31, 2, "USD", Decimal("1500.000000"), Decimal("25.000000"))
    # 1500 x 2/31, to 6 decimals.
    assert row["expected_spend_to_date"] == Decimal("96.774194")
    assert math.isclose(row["pacing"], 25 / 96.774194)
    assert math.isclose(row["budget_used"], 25 / 1500)
    assert row["projected_spend"] == Decimal("387.500000")  # 25 x 31/2
    assert row["status"] == "under"
    assert (row["target_cpa"], row["actual_cpa"], row["target_roas"]) == (Decimal("30.000000"), Decimal("5.000000"), 3.0)
    assert math.isclose(row["actual_roas"], 500 / 25)
    assert (row["budget_reporting"], row["spend_to_date_reporting"], row["fx_rate_date"]) == (
        Decimal("1500.000000"), Decimal("25.000000"), date(2026, 1, 2))


def test_a_plan_in_another_currency_converts_spend_at_each_days_rate_and_warns_over_budget(warehouse: Warehouse):
    row = _build(warehouse, {"reporting_currency": "USD"})[("autumn_promo", date(2026, 1, 1))]
    # 10 EUR on 2026-01-01 at 1.10 USD/EUR, into GBP at 1.10/0.85 USD/GBP: 8.5 GBP.
    assert (row["currency_code"], row["spend_to_date"], row["spend_to_date_reporting"]) == (
        "GBP", Decimal("8.500000"), Decimal("11.000000"))
    assert row["expected_spend_to_date"] == Decimal("0.322581")  # 5 x 2/31
    assert row["status"] == "over" and math.isclose(row["pacing"], 8.5 / 0.322581)
    # The budget at 2026-01-02's 1.08/0.84 USD per GBP (1.285714285714, 12 decimals).
    assert row["budget_reporting"] == Decimal("6.428571")
    assert row["actual_cpa"] is None  # no conversions


def test_a_month_not_begun_is_not_started(warehouse: Warehouse):
    row = _build(warehouse, {"reporting_currency": "USD"})[("brand_search", date(2026, 2, 1))]
    assert (row["days_in_month"], row["days_elapsed"], row["spend_to_date"], row["expected_spend_to_date"],
            row["status"], row["pacing"], row["projected_spend"]) == (28, 0, Decimal("0.000000"), Decimal("0.000000"),
                                                                      "not_started", None, None)


def test_a_weekday_profile_and_tolerance_change_expectation_and_status(warehouse: Warehouse):
    settings = load_model_settings({
        "pacing_daily_profile": '{"mon": 1, "tue": 1, "wed": 1, "thu": 1, "fri": 1, "sat": 0, "sun": 0}',
        "pacing_tolerance": "0.9",
    })
    rows = _build(warehouse, {**settings.variables(), "reporting_currency": "USD"})
    row = rows[("brand_search", date(2026, 1, 1))]
    # January 2026 has 22 weekdays; Thursday 1 and Friday 2 have elapsed.
    assert row["expected_spend_to_date"] == Decimal("136.363636")  # 1500 x 2/22
    assert row["projected_spend"] == Decimal("275.000000")  # 25 x 22/2
    # 25 is within 90% of 136.36.
    assert row["status"] == "on_track" and row["pacing_tolerance"] == 0.9
    _build(warehouse, {"reporting_currency": "USD"})


def test_the_gate_passes_pacing_and_warns_naming_the_campaign_over_budget(warehouse: Warehouse):
    from datetime import UTC, datetime

    from quality import gate
    from quality.suites import DateBounds

    _build(warehouse, {"reporting_currency": "USD"})
    outcomes = gate.check_mart_severities(warehouse, CANDIDATE_SCHEMA, "budget_pacing",
                                          DateBounds(date(2025, 1, 1), datetime.now(UTC)))
    assert outcomes["error"].success, gate.render(outcomes["error"])
    warning = outcomes["warn"]
    assert not warning.success
    report = gate.render(warning)
    assert "rule no_rows_where:status = 'over'" in report
    assert "autumn_promo" in report and "brand_search" not in report


def test_the_portfolio_rolls_plans_up_by_phase_and_naming_part(warehouse: Warehouse):
    _build(warehouse, {"reporting_currency": "USD"})
    columns = [c.name for c in warehouse.columns(CANDIDATE_SCHEMA, "budget_pacing_portfolio")]
    rows = {(r[0], r[1], r[2]): dict(zip(columns, r, strict=True)) for r in warehouse.rows(
        f"SELECT * FROM {CANDIDATE_SCHEMA}.budget_pacing_portfolio")}
    january = date(2026, 1, 1)
    execution = rows[(january, "pmo_phase", "execution")]
    # brand_search (1500 USD, 25 spent) and autumn_promo (5 GBP = 6.428571 USD, 11 USD spent).
    assert (execution["campaigns"], execution["campaigns_over"], execution["campaigns_under"],
            execution["budget_reporting"], execution["spend_to_date_reporting"]) == (
        2, 1, 1, Decimal("1506.428571"), Decimal("36.000000"))
    # Expected: 96.774194 USD and 0.322581 GBP at 1.285714285714.
    assert execution["expected_spend_to_date_reporting"] == Decimal("97.188941")
    assert math.isclose(execution["pacing"], 36 / 97.188941)
    # The region part: neither name carries one.
    region = rows[(january, "naming:region", "(not set)")]
    assert (region["campaigns"], region["budget_reporting"]) == (2, Decimal("1506.428571"))
    assert {(k[1], k[2]) for k in rows if k[0] == january} == {
        ("pmo_phase", "execution"), ("channel", "Paid Search"), ("channel", "Display"), ("naming:offer", "Brand"),
        ("naming:offer", "Promo Herbst"), ("naming:tactic", "Search"), ("naming:tactic", "(not set)"),
        ("naming:region", "(not set)")}
    february = rows[(date(2026, 2, 1), "pmo_phase", "planning")]
    assert (february["campaigns"], february["campaigns_not_started"], february["budget_reporting"],
            february["pacing"]) == (2, 2, Decimal("1000.000000"), None)
    # spring_launch has no ads, so no naming parts: it counts under '(not set)' in every part.
    assert rows[(date(2026, 2, 1), "naming:offer", "(not set)")]["campaigns"] == 1
    assert rows[(date(2026, 2, 1), "naming:offer", "Brand")]["campaigns"] == 1
    assert rows[(date(2026, 2, 1), "naming:region", "(not set)")]["campaigns"] == 2
    # The channel of the traffic each key brings (GA4's fixture): brand_search's sessions are paid
    # search, autumn_promo's display; spring_launch has none.
    assert rows[(january, "channel", "Display")]["budget_reporting"] == Decimal("6.428571")
    assert rows[(date(2026, 2, 1), "channel", "(not set)")]["campaigns"] == 1


def test_pacing_built_in_a_run_of_its_own_reads_the_published_plans(warehouse: Warehouse):
    from transforms.publication import publish

    before = _build(warehouse, {"reporting_currency": "USD"})
    # Published, the plans' candidate is renamed into place; a later run building only the pacing
    # (a backfill's runs split that way) reads the published plans.
    publish(warehouse, ["campaign_plans"], "run-1", SOURCES)
    model = next(m for m in project(SOURCES).models if m.name == "budget_pacing")
    result = runner.build(warehouse, model, {"reporting_currency": "USD"},
                          published=[(CANDIDATE_SCHEMA, "campaign_plans")])
    assert result.stood_in == ()
    columns = [c.name for c in warehouse.columns(CANDIDATE_SCHEMA, "budget_pacing")]
    after = {(r[1], r[3]): dict(zip(columns, r, strict=True))
             for r in warehouse.rows(f"SELECT * FROM {CANDIDATE_SCHEMA}.budget_pacing")}
    assert after == before


def test_a_candidate_another_run_left_behind_is_not_read(warehouse: Warehouse):
    from transforms.publication import publish

    before = _build(warehouse, {"reporting_currency": "USD"})
    publish(warehouse, ["campaign_plans"], "run-1", SOURCES)
    # A later run's plans failed their gate: its candidate, here one that lost every plan, stays.
    warehouse.execute([f"CREATE TABLE {CANDIDATE_SCHEMA}.campaign_plans AS "
                       f"SELECT * FROM {CANDIDATE_SCHEMA}.campaign_plans__live WHERE 1 = 0"])
    model = next(m for m in project(SOURCES).models if m.name == "budget_pacing")
    plans = (CANDIDATE_SCHEMA, "campaign_plans")

    def pacing(published) -> dict:
        runner.build(warehouse, model, {"reporting_currency": "USD"}, published=published)
        return {(r[1], r[3]) for r in warehouse.rows(f"SELECT * FROM {CANDIDATE_SCHEMA}.budget_pacing")}

    # Read as a run that builds the plans itself would, the held-back candidate empties the pacing;
    # a run that does not build them reads the published plans.
    assert pacing(()) == set()
    assert pacing([plans]) == set(before)
    warehouse.execute([f"DROP TABLE {CANDIDATE_SCHEMA}.campaign_plans",
                       f"ALTER TABLE {CANDIDATE_SCHEMA}.campaign_plans__live RENAME TO campaign_plans"])
    with pytest.raises(runner.MissingInputError, match="campaign_plans, which has never been published"):
        pacing([plans])
