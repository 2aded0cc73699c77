"""Every KPI of docs/metrics.md's catalog on a tiny hand-computed case, on DuckDB and PostgreSQL."""

from __future__ import annotations

import math

import pytest

from transforms.kpis import KpiError, catalog, kpi_sql, parse_catalog
from transforms.models import transpile
from warehouse import Warehouse

# Each KPI: inputs worked by hand and the value they give, then inputs whose denominator is 0.
CASES: dict[str, tuple[dict[str, float], float, dict[str, float]]] = {
    "ctr": ({"clicks": 50, "impressions": 1000}, 0.05, {"clicks": 3, "impressions": 0}),
    "cpc": ({"spend": 25, "clicks": 50}, 0.5, {"spend": 25, "clicks": 0}),
    "cpm": ({"spend": 11, "impressions": 2000}, 5.5, {"spend": 11, "impressions": 0}),
    "cpa": ({"spend": 25, "conversions": 5}, 5.0, {"spend": 25, "conversions": 0}),
    "cac": ({"spend": 11, "deals_won": 1}, 11.0, {"spend": 11, "deals_won": 0}),
    "roas": ({"revenue": 55, "spend": 11}, 5.0, {"revenue": 55, "spend": 0}),
    "roi": ({"revenue": 55, "spend": 11}, 4.0, {"revenue": 55, "spend": 0}),
    "click_to_session_rate": ({"sessions": 40, "clicks": 50}, 0.8, {"sessions": 4, "clicks": 0}),
    "lead_to_deal_rate": ({"deals_won": 1, "leads": 4}, 0.25, {"deals_won": 1, "leads": 0}),
    "session_to_lead_rate": ({"leads": 6, "sessions": 90}, 6 / 90, {"leads": 2, "sessions": 0}),
    "lead_to_mql_rate": ({"mqls": 5, "leads": 6}, 5 / 6, {"mqls": 0, "leads": 0}),
    "mql_to_sql_rate": ({"sqls": 4, "mqls": 5}, 0.8, {"sqls": 0, "mqls": 0}),
    "sql_to_opportunity_rate": ({"opportunities": 3, "sqls": 4}, 0.75, {"opportunities": 0, "sqls": 0}),
    "opportunity_to_won_rate": ({"won": 2, "opportunities": 3}, 2 / 3, {"won": 0, "opportunities": 0}),
    "lead_to_won_rate": ({"won": 2, "leads": 6}, 1 / 3, {"won": 0, "leads": 0}),
    "retention_rate": ({"active_customers": 1, "customers": 2}, 0.5, {"active_customers": 0, "customers": 0}),
    "revenue_per_customer": ({"cumulative_revenue": 210, "customers": 2}, 105.0,
                             {"cumulative_revenue": 0, "customers": 0}),
    "clv_to_cac_ratio": ({"clv": 105, "cac": 100}, 1.05, {"clv": 105, "cac": 0}),
    "expected_spend_to_date": ({"budget": 3100, "elapsed_weight": 10, "month_weight": 31}, 1000.0,
                               {"budget": 3100, "elapsed_weight": 0, "month_weight": 0}),
    "pacing": ({"spend_to_date": 1100, "expected_spend_to_date": 1000}, 1.1,
               {"spend_to_date": 5, "expected_spend_to_date": 0}),
    "budget_used": ({"spend_to_date": 25, "budget": 1500}, 25 / 1500, {"spend_to_date": 25, "budget": 0}),
    "projected_spend": ({"spend_to_date": 1000, "month_weight": 31, "elapsed_weight": 10}, 3100.0,
                        {"spend_to_date": 0, "month_weight": 31, "elapsed_weight": 0}),
    "platform_roas": ({"conversions_value": 500, "spend": 25}, 20.0, {"conversions_value": 500, "spend": 0}),
    "deal_share": ({"attributed_deals": 0.5, "won_deals": 4}, 0.125, {"attributed_deals": 0, "won_deals": 0}),
    "revenue_share": ({"attributed_revenue": 120, "won_revenue": 480}, 0.25,
                      {"attributed_revenue": 0, "won_revenue": 0}),
}


@pytest.fixture(scope="module")
def warehouse(module_warehouse_url: str) -> Warehouse:
    return Warehouse(module_warehouse_url)


def _value(warehouse: Warehouse, name: str, inputs: dict[str, float]):
    columns = ", ".join(f"cast({v} as double) as {k}" for k, v in inputs.items())
    sql = f"select {kpi_sql(name)} from (select {columns}) as t"
    return warehouse.rows(transpile(sql, warehouse.dialect))[0][0]


def test_every_catalog_kpi_has_a_hand_computed_case():
    assert set(CASES) == set(catalog())
    for name, (inputs, _, zero) in CASES.items():
        assert set(inputs) == set(catalog()[name].inputs) == set(zero), name


@pytest.mark.parametrize("name", sorted(CASES))
def test_kpi_matches_its_hand_computed_value_and_is_null_on_a_zero_denominator(warehouse: Warehouse, name: str):
    inputs, expected, zero = CASES[name]
    assert math.isclose(_value(warehouse, name, inputs), expected, rel_tol=1e-12)
    assert _value(warehouse, name, zero) is None


def test_inputs_can_be_renamed_to_a_models_own_columns(warehouse: Warehouse):
    sql = f"select {kpi_sql('roas', revenue='won', spend='cost')} from (select 30.0 as won, 12.0 as cost) as t"
    assert math.isclose(warehouse.rows(transpile(sql, warehouse.dialect))[0][0], 2.5)


def test_a_catalog_names_each_kpi_once_and_every_formula_parses():
    table = "## KPI catalog\n\n| KPI | column | formula | grain | NULL when |\n|---|---|---|---|---|\n"
    doubled = table + "| A | `a` | `x / y` | g | y = 0 |\n| B | `a` | `x / z` | g | z = 0 |\n"
    with pytest.raises(KpiError, match="'a' is defined twice"):
        parse_catalog(doubled)
    with pytest.raises(KpiError, match="'b': formula does not parse"):
        parse_catalog(table + "| B | `b` | `x / (y` | g | y = 0 |\n")
    with pytest.raises(KpiError, match="not in metrics.md's catalog"):
        kpi_sql("no_such_kpi")
    with pytest.raises(KpiError, match="has no inputs"):
        kpi_sql("ctr", conversions="x")


def test_a_division_inside_a_denominator_is_safe_too(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch):
    nested = parse_catalog("## KPI catalog\n\n| N | `n` | `a / (b / c)` | g | b or c = 0 |\n")
    monkeypatch.setattr("transforms.kpis.catalog", lambda: nested)
    sql = f"select {kpi_sql('n')} from (select 6.0 as a, 0.0 as b, 0.0 as c) as t"
    assert warehouse.rows(transpile(sql, warehouse.dialect))[0][0] is None
    sql = f"select {kpi_sql('n')} from (select 6.0 as a, 1.0 as b, 4.0 as c) as t"
    assert math.isclose(warehouse.rows(transpile(sql, warehouse.dialect))[0][0], 24.0)
