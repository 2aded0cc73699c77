"""Transforms on a hand-computed fixture, on DuckDB and PostgreSQL."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import pytest

from tests.transforms.fixture import EXPECTED_KPIS, KPI_SOURCES, build_fixture
from transforms import runner
from transforms.models import CANDIDATE_SCHEMA, referenced_tables, render, transpile
from transforms.project import project
from transforms.publication import publish
from warehouse import Warehouse


@pytest.fixture(scope="module")
def built(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = build_fixture(module_warehouse_url, tmp_path_factory.mktemp("seeds"), KPI_SOURCES)
    return warehouse


def _kpis(warehouse: Warehouse) -> dict[tuple[str, str], dict]:
    columns = [c.name for c in warehouse.columns(CANDIDATE_SCHEMA, "campaign_kpis_daily")]
    rows = warehouse.rows(f"SELECT * FROM {CANDIDATE_SCHEMA}.campaign_kpis_daily")
    return {(str(r[0]), r[1]): dict(zip(columns, r, strict=True)) for r in rows}


def test_models_come_after_what_they_read():
    seen: set[tuple[str, str]] = set()
    for model in project(KPI_SOURCES).models:
        for dep in model.deps:
            if dep[0] in ("staging", "intermediate", CANDIDATE_SCHEMA) and dep != ("staging", "campaign_key_overrides"):
                assert dep in seen, f"{model.relation} runs before {dep}"
        seen.add((model.schema, model.name))
    assert ("marts_candidate", "campaign_kpis_daily") in seen


def test_kpis_match_hand_computed_values(built: Warehouse):
    kpis = _kpis(built)
    assert set(kpis) == set(EXPECTED_KPIS)
    for key, expected in EXPECTED_KPIS.items():
        for column, value in expected.items():
            actual = kpis[key][column]
            if value is None:
                assert actual is None, f"{key} {column}: expected NULL, got {actual}"
            elif isinstance(value, str):
                assert actual == value, f"{key} {column}"
            else:
                assert math.isclose(float(actual), value, rel_tol=1e-9, abs_tol=1e-9), f"{key} {column}: {actual} != {value}"


def test_campaign_performance_keeps_account_currency_and_converts_spend(built: Warehouse):
    rows = built.rows(
        f"SELECT account_id, campaign_id, currency_code, reporting_currency, spend_reporting, campaign_key, account_name, "
        f"time_zone FROM {CANDIDATE_SCHEMA}.campaign_performance_daily ORDER BY date_day, account_id"
    )
    assert rows == [
        ("111", "c1", "USD", "USD", Decimal("25.000000"), "brand_search", "Acct US", "America/New_York"),
        # 10 EUR on New Year's Day, a TARGET holiday: at 2025-12-31's 1.1.
        ("222", "c2", "EUR", "USD", Decimal("11.000000"), "autumn_promo", "Acct DE", "Europe/Berlin"),
        ("111", "c1", "USD", "USD", Decimal("0.000000"), "brand_search", "Acct US", "America/New_York"),
    ]


def test_fx_rates_cross_through_the_euro_and_carry_over_weekends_and_holidays(built: Warehouse):
    rates = {(str(d), c): (r, str(s)) for d, c, r, s in built.rows(
        f"SELECT date_day, currency_code, rate_to_reporting, rate_date FROM {CANDIDATE_SCHEMA}.fx_rates_daily")}
    assert rates[("2026-01-02", "EUR")] == (Decimal("1.080000000000"), "2026-01-02")
    assert rates[("2026-01-02", "USD")] == (Decimal("1.000000000000"), "2026-01-02")
    # GBP: 1.08 / 0.84 on Friday, carried to Saturday and Sunday; New Year's Day takes 2025-12-31's.
    assert rates[("2026-01-03", "GBP")] == (Decimal("1.285714285714"), "2026-01-02")
    assert rates[("2026-01-04", "GBP")] == (Decimal("1.285714285714"), "2026-01-02")
    assert rates[("2026-01-05", "GBP")] == (Decimal("1.267441860465"), "2026-01-05")
    assert rates[("2026-01-01", "GBP")] == (Decimal("1.294117647059"), "2025-12-31")
    assert rates[("2026-01-01", "JPY")] == (Decimal("0.006875000000"), "2025-12-31")
    # Nothing before the first rate, and no rate carried more than 7 days past the last.
    assert ("2025-12-30", "USD") not in rates
    assert ("2026-01-12", "USD") in rates and ("2026-01-13", "USD") not in rates


def test_deals_convert_at_the_close_day_or_while_open_the_creation_day(built: Warehouse):
    rows = {r[0]: r[1:] for r in built.rows(
        f"SELECT deal_id, currency_code, fx_rate_date, amount_reporting FROM {CANDIDATE_SCHEMA}.crm_deals")}
    assert rows["d3"] == ("EUR", date(2026, 1, 2), Decimal("216.000000"))
    assert rows["d4"] == ("EUR", date(2026, 1, 1), Decimal("55.000000"))
    assert rows["d1"] == ("USD", date(2026, 1, 2), Decimal("300.000000"))
    # Open, with no amount: converted at its creation day, and NULL like its amount.
    assert rows["d5"] == ("USD", date(2026, 1, 1), None)


def test_crm_deals_carry_first_touch_of_earliest_contact(built: Warehouse):
    rows = dict(
        (r[0], r[1:]) for r in built.rows(
            f"SELECT deal_id, utm_source, utm_medium, utm_campaign, campaign_key, is_won, closed_at IS NULL "
            f"FROM {CANDIDATE_SCHEMA}.crm_deals"
        )
    )
    # d1 has contacts k1 and k2: k1 was created first
    assert rows["d1"] == ("google", "cpc", "brand_search", "brand_search", True, False)
    # k3's URL has no utm; the paid-search drill-down supplies the campaign
    assert rows["d3"] == (None, None, "Brand Search", "brand_search", True, False)
    assert rows["d5"] == (None, None, None, None, False, True)
    assert len(rows) == 5


def test_web_placeholders_get_no_campaign_key(built: Warehouse):
    keys = dict(built.rows(f"SELECT campaign, campaign_key FROM {CANDIDATE_SCHEMA}.web_traffic_daily"))
    assert keys["(organic)"] is None
    assert keys["brand_search"] == "brand_search"


def test_archived_contacts_are_not_leads(built: Warehouse):
    assert built.scalar("SELECT count(*) FROM intermediate.int_contacts_first_touch") == 5


def test_rebuilding_is_idempotent(built: Warehouse):
    before = sorted(_kpis(built).items())
    for model in project(KPI_SOURCES).models:
        runner.build(built, model, {"reporting_currency": "USD"})
    assert sorted(_kpis(built).items()) == before


def test_regexp_extract_is_portable_to_postgres():
    sql = "select regexp_extract(u, 'utm_campaign=([^&#]+)', 1) as c from t"
    assert transpile(sql, "postgres") == "SELECT SUBSTRING(u FROM 'utm_campaign=([^&#]+)') AS c FROM t"


def test_dependencies_ignore_ctes():
    sql = render("with a as (select * from staging.x) select * from a join intermediate.y using (k)", {})
    assert referenced_tables(sql) == (("intermediate", "y"), ("staging", "x"))


def test_variables_are_validated_before_inlining():
    with pytest.raises(ValueError):
        render("select {{ var('reporting_currency') }}", {"reporting_currency": "x'; drop table t; --"})


def test_missing_input_is_a_clear_error(tmp_path):
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    model = next(m for m in project(KPI_SOURCES).models if m.name == "int_contacts_first_touch")
    with pytest.raises(runner.MissingInputError, match="staging.stg_hubspot__contacts"):
        runner.build(warehouse, model, {"reporting_currency": "USD"})


def test_ad_group_performance_carries_campaign_and_account(built: Warehouse):
    rows = built.rows(
        "select date_day, account_name, campaign_name, campaign_key, ad_group_id, currency_code, spend, clicks,"
        " spend_reporting from marts_candidate.ad_group_performance_daily"
    )
    assert [tuple(r) for r in rows] == [
        (date(2026, 1, 1), "Acct US", "Brand | Search", "brand_search", "ag1", "USD", Decimal("25.000000"), 50,
         Decimal("25.000000")),
    ]


def test_publish_swaps_in_one_transaction_and_logs_the_run(built: Warehouse):
    expected = {name: built.row_count(CANDIDATE_SCHEMA, name) for name in ("crm_deals", "web_traffic_daily")}
    results = publish(built, ["crm_deals", "web_traffic_daily"], "run-123", ("hubspot", "google_analytics"))
    assert {n: r.row_count for n, r in results.items()} == expected
    assert {n: built.row_count("marts", n) for n in expected} == expected
    logged = built.rows("SELECT mart, run_id, row_count, sources FROM audit.publications WHERE run_id = 'run-123' "
                        "ORDER BY mart")
    assert logged == [("crm_deals", "run-123", 5, "hubspot,google_analytics"),
                      ("web_traffic_daily", "run-123", 4, "hubspot,google_analytics")]
    before = built.scalar("SELECT count(*) FROM audit.publications")
    with pytest.raises(runner.MissingInputError, match="no candidate to publish for no_such_mart"):
        publish(built, ["campaign_kpis_daily", "no_such_mart"], "run-456", ("hubspot",))
    # Nothing of the failed publication remains: not its log rows, not its first mart's swap.
    assert built.scalar("SELECT count(*) FROM audit.publications") == before
    assert (CANDIDATE_SCHEMA, "campaign_kpis_daily") in built.relations()
    assert ("marts", "campaign_kpis_daily") not in built.relations()
