"""Naming governance on the hand-computed fixture, on DuckDB and PostgreSQL: the convention parsed
from campaign names, its violations, the campaign dimension and KPIs grouped by a naming part.

The fixture's Google Ads campaigns: c1 'Brand | Search' (key brand_search, USD) and c2 'Promo Herbst'
(key autumn_promo by the overrides CSV, EUR). The default convention is `{offer} | {tactic} | {region}`
with tactic and region from fixed lists (transforms/model_settings.py).
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from tests.transforms.fixture import KPI_SOURCES, build_fixture
from transforms import runner
from transforms.model_settings import ModelSettingError, load_model_settings
from transforms.models import CANDIDATE_SCHEMA
from transforms.project import project
from warehouse import Warehouse

NAMING_MODELS = ("int_campaign_taxonomy", "campaign_naming_violations", "campaign_taxonomy", "dim_campaign")


@pytest.fixture(scope="module")
def built(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_fixture(module_warehouse_url, tmp_path_factory.mktemp("seeds"), KPI_SOURCES)


def _rows(warehouse: Warehouse, table: str, order: str) -> list[dict]:
    columns = [c.name for c in warehouse.columns(CANDIDATE_SCHEMA, table)]
    return [dict(zip(columns, r, strict=True))
            for r in warehouse.rows(f"SELECT * FROM {CANDIDATE_SCHEMA}.{table} ORDER BY {order}")]


def test_violations_name_the_campaign_the_part_and_why(built: Warehouse):
    found = {(r["platform"], r["account_id"], r["campaign_id"], r["part"]): (r["value"], r["violation"])
             for r in _rows(built, "campaign_naming_violations", "campaign_id, part")}
    assert found == {
        ("google_ads", "111", "c1", "region"): (None, "missing: the name has 2 of the convention's 3 parts"),
        ("google_ads", "222", "c2", "tactic"): (None, "missing: the name has 1 of the convention's 3 parts"),
        ("google_ads", "222", "c2", "region"): (None, "missing: the name has 1 of the convention's 3 parts"),
    }


def test_taxonomy_has_every_part_of_every_key(built: Warehouse):
    found = {(r["campaign_key"], r["part"]): (r["position"], r["value"], r["is_valid"])
             for r in _rows(built, "campaign_taxonomy", "campaign_key, position")}
    assert found == {
        ("brand_search", "offer"): (1, "Brand", True),
        ("brand_search", "tactic"): (2, "Search", True),
        ("brand_search", "region"): (3, "(not set)", False),
        ("autumn_promo", "offer"): (1, "Promo Herbst", True),
        ("autumn_promo", "tactic"): (2, "(not set)", False),
        ("autumn_promo", "region"): (3, "(not set)", False),
    }


def test_dim_campaign_is_one_row_per_key(built: Warehouse):
    rows = _rows(built, "dim_campaign", "campaign_key")
    assert [(r["campaign_key"], r["campaign_name"], r["platforms"], r["channel"], r["platform_campaigns"], r["first_day"],
             r["last_day"], r["spend_reporting"], r["taxonomy"], r["naming_valid"], r["naming_violations"])
            for r in rows] == [
        # 10 EUR at the 1.10 carried into the 2026-01-01 holiday.
        # Channels from GA4's fixture sessions: google / display and google / cpc.
        ("autumn_promo", "Promo Herbst", "google_ads", "Display", 1, date(2026, 1, 1), date(2026, 1, 1), Decimal("11.000000"),
         "offer=Promo Herbst tactic=(not set) region=(not set)", False, 2),
        ("brand_search", "Brand | Search", "google_ads", "Paid Search", 1, date(2026, 1, 1), date(2026, 1, 2), Decimal("25.000000"),
         "offer=Brand tactic=Search region=(not set)", False, 1),
    ]


def test_kpis_group_by_any_part_and_each_part_adds_up(built: Warehouse):
    rows = {(r["part"], r["value"]): r for r in _rows(built, "taxonomy_performance_monthly", "part, value")}
    assert set(rows) == {("offer", "Brand"), ("offer", "Promo Herbst"), ("tactic", "Search"),
                         ("tactic", "(not set)"), ("region", "(not set)")}
    assert {r["month"] for r in rows.values()} == {date(2026, 1, 1)}
    brand = rows[("offer", "Brand")]
    # brand_search: 25 USD, 1000 impressions, 50 clicks, 5 conversions, 40 + 5 sessions, 3 leads,
    # 2 deals won for 300 USD and 200 EUR at 1.08.
    assert (brand["spend"], brand["impressions"], brand["clicks"], brand["sessions"], brand["leads"],
            brand["deals_won"], brand["revenue"]) == (Decimal("25.000000"), 1000, 50, 45, 3, 2, Decimal("516.000000"))
    assert math.isclose(brand["roas"], 516 / 25) and math.isclose(brand["ctr"], 0.05)
    region = rows[("region", "(not set)")]
    assert (region["campaign_keys"], region["spend"], region["impressions"], region["clicks"], region["sessions"],
            region["leads"], region["deals_won"], region["revenue"]) == (
        2, Decimal("36.000000"), 3000, 70, 55, 4, 3, Decimal("571.000000"))
    assert math.isclose(region["cac"], 36 / 3) and math.isclose(region["cpm"], 1000 * 36 / 3000)
    assert region["cpa"] == pytest.approx(36 / 5)


def test_another_convention_with_a_hostile_allowed_value_is_data(built: Warehouse):
    settings = load_model_settings({
        "naming_template": "{brand} | {tactic}",
        "naming_allowed": '{"brand": ["brand", "O\'Brien; drop table staging.x --"], "tactic": ["search"]}',
    })
    variables = {**settings.variables(), "reporting_currency": "USD"}
    for model in project(KPI_SOURCES).models:
        if model.name in NAMING_MODELS:
            runner.build(built, model, variables)
    found = {(r["campaign_id"], r["part"]): (r["value"], r["violation"])
             for r in _rows(built, "campaign_naming_violations", "campaign_id, part")}
    assert found == {
        ("c2", "brand"): ("Promo Herbst", "not an allowed value of brand"),
        ("c2", "tactic"): (None, "missing: the name has 1 of the convention's 2 parts"),
    }
    assert {r["naming_template"] for r in _rows(built, "campaign_naming_violations", "part")} == {"{brand} | {tactic}"}
    # The defaults again, for the module's other tests whatever their order.
    for model in project(KPI_SOURCES).models:
        if model.name in NAMING_MODELS:
            runner.build(built, model, {"reporting_currency": "USD"})


@pytest.mark.parametrize(("overrides", "message"), [
    ({"naming_template": "{a}_{b}-{c}"}, "joined by one separator"),
    ({"naming_template": "x{a}"}, "joined by one separator"),
    ({"naming_template": "{a}_{a}"}, "names a part twice"),
    ({"naming_allowed": '{"channel": ["x"]}'}, "names part 'channel'"),
    ({"naming_allowed": "not json"}, "FUNNELHOUSE_NAMING_ALLOWED' must be JSON"),
    ({"pacing_tolerance": "1.5"}, "FUNNELHOUSE_PACING_TOLERANCE"),
    ({"pacing_daily_profile": '{"mon": 1}'}, "FUNNELHOUSE_PACING_DAILY_PROFILE"),
])
def test_malformed_settings_name_their_key(overrides: dict, message: str):
    with pytest.raises(ModelSettingError, match=message):
        load_model_settings(overrides)
