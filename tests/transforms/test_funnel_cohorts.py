"""The channel grouping, marts.funnel_monthly and marts.customer_cohorts on a tiny hand-computed
fixture (fixtures/funnel/), on DuckDB and PostgreSQL, with every source and without ads or web."""

from __future__ import annotations

import math
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from tests.transforms.fixture import build_fixture, raw_ddl
from transforms import runner
from transforms.model_settings import ModelSettings
from transforms.models import CANDIDATE_SCHEMA, channel_group, transpile
from transforms.project import project
from warehouse import Warehouse

FUNNEL_FIXTURES = Path(__file__).parent / "fixtures" / "funnel"
ALL_FOUR = ("fx_rates", "google_ads", "google_analytics", "hubspot")


def _rows(source: str) -> list[str]:
    path = FUNNEL_FIXTURES / f"{source}.sql"
    if not path.exists():
        return []
    chunks = path.read_text().split(";\n")
    return [chunk[chunk.index("INSERT"):].strip() for chunk in chunks if "INSERT" in chunk]


def build(url: str, seeds: Path, sources: tuple[str, ...], **settings) -> Warehouse:
    """The funnel fixture's rows of `sources`, every model of their project built with `settings`."""
    warehouse = Warehouse(url)
    warehouse.execute(raw_ddl(sources) + [row for source in sources for row in _rows(source)])
    overrides = seeds / "overrides.csv"
    overrides.write_text("platform,campaign_id,campaign_key\n")
    runner.load_seed(warehouse, "campaign_key_overrides", overrides)
    variables = {**replace(ModelSettings(), **settings).variables(), "reporting_currency": "USD"}
    for model in project(sources).models:
        runner.build(warehouse, model, variables)
    return warehouse


def _table(warehouse: Warehouse, name: str, key: tuple[str, ...]) -> dict[tuple, dict]:
    columns = [c.name for c in warehouse.columns(CANDIDATE_SCHEMA, name)]
    found = {}
    for row in warehouse.rows(f"SELECT * FROM {CANDIDATE_SCHEMA}.{name}"):
        record = dict(zip(columns, row, strict=True))
        found[tuple(str(record[k]) for k in key)] = record
    return found


def _assert_matches(actual: dict, expected: dict, where: object) -> None:
    for column, value in expected.items():
        got = actual[column]
        if value is None:
            assert got is None, f"{where} {column}: expected NULL, got {got}"
        elif isinstance(value, str):
            assert got == value, f"{where} {column}: {got!r} != {value!r}"
        else:
            assert got is not None and math.isclose(float(got), value, rel_tol=1e-9, abs_tol=1e-9), \
                f"{where} {column}: {got} != {value}"


def _assert_gate_passes(warehouse: Warehouse) -> None:
    from datetime import UTC, date, datetime

    from quality import gate
    from quality.suites import DateBounds

    bounds = DateBounds(date(2020, 1, 1), datetime(2026, 3, 16, tzinfo=UTC))
    for name in ("funnel_monthly", "customer_cohorts"):
        outcome = gate.check_mart(warehouse, CANDIDATE_SCHEMA, name, bounds)
        assert outcome.success, gate.render(outcome)


# --- the channel grouping -------------------------------------------------------------------------
CHANNELS = [
    ("google", "cpc", "Paid Search"),
    ("Google", " CPC ", "Paid Search"),
    ("bing", "ppc", "Paid Search"),
    ("google.com", "paidsearch", "Paid Search"),
    ("facebook", "paid_social", "Paid Social"),
    ("linkedin", "paid_social", "Paid Social"),
    ("m.facebook.com", "cpc", "Paid Social"),
    ("youtube", "cpv", "Paid Video"),
    ("google", "display", "Display"),
    ("criteo", "banner", "Display"),
    ("google", "organic", "Organic Search"),
    ("duckduckgo", "referral", "Organic Search"),
    ("facebook.com", "referral", "Organic Social"),
    ("newsletter", "social", "Organic Social"),
    ("(direct)", "(none)", "Direct"),
    ("(direct)", "(not set)", "Direct"),
    ("newsletter", "email", "Email"),
    ("email", "(none)", "Email"),
    ("blog.example.com", "referral", "Referral"),
    ("partner", "affiliate", "Unassigned"),
    ("google.example.com", "cpc", "Unassigned"),
    (None, None, "Unassigned"),
]


@pytest.fixture(scope="module")
def warehouse(module_warehouse_url: str) -> Warehouse:
    return Warehouse(module_warehouse_url)


def test_channel_group_follows_the_documented_rules(warehouse: Warehouse):
    values = ", ".join(
        "(" + ", ".join("null" if v is None else "'" + v + "'" for v in (s, m)) + f", {i})"
        for i, (s, m, _) in enumerate(CHANNELS))
    sql = (f"select i, {channel_group('s', 'm')} from (values {values}) as t(s, m, i) order by i")
    got = [channel for _, channel in warehouse.rows(transpile(sql, warehouse.dialect))]
    assert got == [expected for _, _, expected in CHANNELS]


# --- every source ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def built(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build(module_warehouse_url, tmp_path_factory.mktemp("seeds"), ALL_FOUR, cohort_horizon_months=3)


def test_contacts_carry_their_first_touch_channel_and_furthest_stage(built: Warehouse):
    rows = {r[0]: r[1:] for r in built.rows(
        "SELECT contact_id, channel, lifecycle_stage FROM intermediate.int_contacts_first_touch")}
    assert rows["a1"] == ("Paid Search", "customer")
    # Moved back to lead by hand: the MQL date stands.
    assert rows["a4"] == ("Paid Search", "marketingqualifiedlead")
    assert rows["b1"] == ("Paid Social", "marketingqualifiedlead")
    # No utm parameters: HubSpot's original source decides.
    assert rows["o1"] == ("Organic Search", "customer")
    assert rows["o2"] == ("Direct", "lead")
    # Past customer: its own stage.
    assert rows["e1"] == ("Email", "evangelist")


def test_campaign_keys_take_the_channel_of_most_of_their_sessions(built: Warehouse):
    assert sorted(built.rows("SELECT campaign_key, channel, basis, volume FROM intermediate.int_campaign_channels")) == [
        ("brand_search", "Paid Search", "web_sessions", 120),
        ("jan_news", "Email", "web_sessions", 25),
        ("social_push", "Paid Social", "web_sessions", 15),
    ]


# Hand-computed from fixtures/funnel: leads of a month counted by the furthest stage they reached.
FUNNEL = {
    # a1 and a7 won, a2 lost its deal (opportunity), a3 SQL, a4 MQL, a5 lead.
    ("2026-01-01", "brand_search", "Paid Search"): dict(
        impressions=1000, clicks=100, sessions=90, leads=6, mqls=5, sqls=4, opportunities=3, won=2,
        ctr=0.1, click_to_session_rate=0.9, session_to_lead_rate=6 / 90, lead_to_mql_rate=5 / 6,
        mql_to_sql_rate=0.8, sql_to_opportunity_rate=0.75, opportunity_to_won_rate=2 / 3, lead_to_won_rate=1 / 3),
    ("2026-02-01", "brand_search", "Paid Search"): dict(
        impressions=500, clicks=40, sessions=30, leads=1, mqls=1, sqls=1, opportunities=1, won=1,
        ctr=0.08, click_to_session_rate=0.75, session_to_lead_rate=1 / 30, lead_to_won_rate=1.0),
    # b1 is MQL in HubSpot, but its won deal makes it won.
    ("2026-01-01", "social_push", "Paid Social"): dict(
        impressions=2000, clicks=20, sessions=15, leads=1, mqls=1, sqls=1, opportunities=1, won=1,
        ctr=0.01, click_to_session_rate=0.75, lead_to_mql_rate=1.0, opportunity_to_won_rate=1.0),
    # Ads whose key brings no traffic: Unassigned, and no sessions or leads to rate.
    ("2026-01-01", "ghost_campaign", "Unassigned"): dict(
        impressions=100, clicks=1, sessions=0, leads=0, mqls=0, won=0, ctr=0.01, click_to_session_rate=0.0,
        session_to_lead_rate=None, lead_to_mql_rate=None, opportunity_to_won_rate=None, lead_to_won_rate=None),
    ("2026-01-01", "(none)", "Organic Search"): dict(
        impressions=0, clicks=0, sessions=200, leads=1, mqls=1, sqls=1, opportunities=1, won=1, ctr=None,
        click_to_session_rate=None, session_to_lead_rate=0.005),
    ("2026-01-01", "(none)", "Direct"): dict(
        impressions=0, clicks=0, sessions=50, leads=1, mqls=0, sqls=0, opportunities=0, won=0,
        lead_to_mql_rate=0.0, mql_to_sql_rate=None),
    # An evangelist without a deal: won by its lifecycle stage.
    ("2026-01-01", "jan_news", "Email"): dict(
        impressions=0, clicks=0, sessions=25, leads=1, mqls=1, sqls=1, opportunities=1, won=1, lead_to_won_rate=1.0),
}


def test_funnel_matches_hand_computed_values(built: Warehouse):
    funnel = _table(built, "funnel_monthly", ("date_month", "campaign_key", "channel"))
    assert set(funnel) == set(FUNNEL)
    for key, expected in FUNNEL.items():
        _assert_matches(funnel[key], expected, key)


def test_funnel_stages_follow_the_setting(warehouse_url: str, tmp_path: Path):
    # Only HubSpot's own SQL value counts as SQL: a3 (salesqualifiedlead) is then an MQL at most if MQL
    # maps nothing, and a4's MQL counts nowhere.
    warehouse = build(warehouse_url, tmp_path, ALL_FOUR,
                      funnel_stages={"sql": ("SalesQualifiedLead",), "won": ("customer",)})
    row = _table(warehouse, "funnel_monthly", ("date_month", "campaign_key", "channel"))[
        ("2026-01-01", "brand_search", "Paid Search")]
    # a1, a7 won (customer and won deals); a2 opportunity by its deal; a3 SQL; a4 and a5 nothing.
    _assert_matches(row, dict(leads=6, mqls=4, sqls=4, opportunities=3, won=2), "custom stages")
    email = _table(warehouse, "funnel_monthly", ("date_month", "campaign_key", "channel"))[
        ("2026-01-01", "jan_news", "Email")]
    # evangelist is no longer mapped.
    _assert_matches(email, dict(leads=1, mqls=0, won=0), "custom stages")


# Hand-computed with a 3-month horizon; the CRM's data runs to March 2026 (o1's deal of 15 March).
COHORTS = {
    # a1 (100 in January, 50 in March) and a7 (60 in January); brand_search spent 200 in January.
    ("2026-01-01", "Paid Search", "0"): dict(
        customers=2, active_customers=2, revenue=160, cumulative_revenue=160, spend=200, retention_rate=1.0,
        revenue_per_customer=80, cac=100, clv=105, clv_to_cac_ratio=1.05, payback_months=2),
    ("2026-01-01", "Paid Search", "1"): dict(
        customers=2, active_customers=0, revenue=0, cumulative_revenue=160, retention_rate=0.0,
        revenue_per_customer=80, cac=100, clv=105, payback_months=2),
    ("2026-01-01", "Paid Search", "2"): dict(
        customers=2, active_customers=1, revenue=50, cumulative_revenue=210, retention_rate=0.5,
        revenue_per_customer=105, cac=100, clv=105, clv_to_cac_ratio=1.05, payback_months=2),
    # a6: two months observed of three, so no CLV yet.
    ("2026-02-01", "Paid Search", "0"): dict(
        customers=1, active_customers=1, revenue=200, cumulative_revenue=200, spend=20, cac=20, clv=None,
        clv_to_cac_ratio=None, payback_months=0),
    ("2026-02-01", "Paid Search", "1"): dict(
        customers=1, active_customers=0, revenue=0, cumulative_revenue=200, retention_rate=0.0, clv=None),
    ("2026-01-01", "Paid Social", "0"): dict(
        customers=1, revenue=300, spend=30, cac=30, clv=300, clv_to_cac_ratio=10.0, payback_months=0),
    ("2026-01-01", "Paid Social", "1"): dict(customers=1, active_customers=0, revenue=0, cumulative_revenue=300),
    ("2026-01-01", "Paid Social", "2"): dict(customers=1, active_customers=0, revenue=0, cumulative_revenue=300),
    # o1 buys every month; no ad campaign is organic, so there is no CAC.
    ("2026-01-01", "Organic Search", "0"): dict(
        customers=1, active_customers=1, revenue=80, cumulative_revenue=80, spend=None, cac=None, clv=160,
        clv_to_cac_ratio=None, payback_months=None),
    ("2026-01-01", "Organic Search", "1"): dict(
        active_customers=1, revenue=40, cumulative_revenue=120, retention_rate=1.0, revenue_per_customer=120),
    ("2026-01-01", "Organic Search", "2"): dict(
        active_customers=1, revenue=40, cumulative_revenue=160, retention_rate=1.0, revenue_per_customer=160),
}


def test_cohorts_match_hand_computed_values(built: Warehouse):
    cohorts = _table(built, "customer_cohorts", ("acquisition_month", "channel", "months_since_acquisition"))
    assert set(cohorts) == set(COHORTS)
    for key, expected in COHORTS.items():
        _assert_matches(cohorts[key], {"reporting_currency": "USD", **expected}, key)
    assert cohorts[("2026-01-01", "Paid Search", "2")]["cumulative_revenue"] == Decimal("210.000000")


def test_cohorts_run_to_the_horizon_and_clv_waits_for_it(warehouse_url: str, tmp_path: Path):
    warehouse = build(warehouse_url, tmp_path, ALL_FOUR)
    cohorts = _table(warehouse, "customer_cohorts", ("acquisition_month", "channel", "months_since_acquisition"))
    # The default 12-month horizon: rows only to March, the latest month of data, and no CLV yet.
    assert set(cohorts) == set(COHORTS)
    assert all(row["clv"] is None and row["clv_to_cac_ratio"] is None for row in cohorts.values())
    assert cohorts[("2026-01-01", "Paid Search", "2")]["payback_months"] == 2


# --- source subsets -------------------------------------------------------------------------------
def test_without_ads_there_are_no_clicks_and_no_cac(warehouse_url: str, tmp_path: Path):
    warehouse = build(warehouse_url, tmp_path, ("fx_rates", "google_analytics", "hubspot"),
                      cohort_horizon_months=3)
    funnel = _table(warehouse, "funnel_monthly", ("date_month", "campaign_key", "channel"))
    assert set(funnel) == set(FUNNEL) - {("2026-01-01", "ghost_campaign", "Unassigned")}
    assert all(r["impressions"] == 0 and r["clicks"] == 0 and r["ctr"] is None for r in funnel.values())
    _assert_matches(funnel[("2026-01-01", "brand_search", "Paid Search")],
                    dict(sessions=90, leads=6, won=2, click_to_session_rate=None), "no ads")
    cohorts = _table(warehouse, "customer_cohorts", ("acquisition_month", "channel", "months_since_acquisition"))
    assert set(cohorts) == set(COHORTS)
    assert all(r["spend"] is None and r["cac"] is None and r["payback_months"] is None for r in cohorts.values())
    _assert_matches(cohorts[("2026-01-01", "Paid Search", "2")], dict(cumulative_revenue=210, clv=105), "no ads")
    _assert_gate_passes(warehouse)


def test_without_web_analytics_sessions_are_zero_and_contacts_give_keys_their_channel(
        warehouse_url: str, tmp_path: Path):
    warehouse = build(warehouse_url, tmp_path, ("fx_rates", "google_ads", "hubspot"), cohort_horizon_months=3)
    assert sorted(warehouse.rows("SELECT campaign_key, channel, basis, volume FROM intermediate.int_campaign_channels")) == [
        ("brand_search", "Paid Search", "crm_contacts", 7),
        ("jan_news", "Email", "crm_contacts", 1),
        ("social_push", "Paid Social", "crm_contacts", 1),
    ]
    funnel = _table(warehouse, "funnel_monthly", ("date_month", "campaign_key", "channel"))
    assert set(funnel) == set(FUNNEL)
    assert all(r["sessions"] == 0 and r["session_to_lead_rate"] is None for r in funnel.values())
    _assert_matches(funnel[("2026-01-01", "brand_search", "Paid Search")],
                    dict(impressions=1000, clicks=100, leads=6, mqls=5, won=2, click_to_session_rate=0.0), "no web")
    cohorts = _table(warehouse, "customer_cohorts", ("acquisition_month", "channel", "months_since_acquisition"))
    _assert_matches(cohorts[("2026-01-01", "Paid Search", "0")], dict(spend=200, cac=100), "no web")
    _assert_gate_passes(warehouse)


def test_without_a_crm_neither_mart_is_built():
    for sources in (("fx_rates", "google_ads", "google_analytics"), ("google_analytics",), ("google_ads",)):
        assert not {"funnel_monthly", "customer_cohorts"} & set(project(sources).marts), sources


def test_salesforce_decides_its_contacts_channel_and_stage(warehouse_url: str, tmp_path: Path):
    warehouse = build_fixture(warehouse_url, tmp_path, ("fx_rates", "salesforce"))
    rows = {r[0]: r[1:] for r in warehouse.rows(
        "SELECT contact_id, channel, lifecycle_stage FROM intermediate.int_contacts_first_touch")}
    assert rows == {
        # Converted from l1, first touched by the Advertisement campaign brand_search, LeadSource google.
        "003c1": ("Paid Search", "Closed - Converted"),
        # No lead: no Status. Its earliest live membership is an Advertisement campaign; LeadSource facebook.
        "003c2": ("Paid Social", None),
        "00Ql2": ("Paid Search", "Working - Contacted"),
        # A Web lead of no campaign.
        "00Ql4": ("Unassigned", "Open - Not Contacted"),
    }
    funnel = _table(warehouse, "funnel_monthly", ("date_month", "campaign_key", "channel"))
    # c1 won o1 (Closed Won): won; c2 has open o3: opportunity; l2 is Working - Contacted: MQL.
    _assert_matches(funnel[("2026-01-01", "brand_search", "Paid Search")],
                    dict(leads=2, mqls=2, sqls=2, opportunities=2, won=1), "salesforce")
    _assert_matches(funnel[("2026-01-01", "autumn_promo", "Paid Search")],
                    dict(leads=1, mqls=1, sqls=0), "salesforce")
    _assert_gate_passes(warehouse)


# --- settings -------------------------------------------------------------------------------------
def test_funnel_and_cohort_settings_are_validated_naming_the_key():
    from transforms.model_settings import ModelSettingError, load_model_settings

    settings = load_model_settings({"funnel_stages": '{"mql": ["MQL"], "won": ["Customer"]}',
                                    "cohort_horizon_months": "6"})
    assert settings.funnel_stages == {"mql": ("MQL",), "won": ("Customer",)}
    assert settings.variables()["funnel_stages"].rows == (("mql", "1", "MQL"), ("won", "4", "Customer"))
    assert settings.variables()["cohort_months"].rows == tuple((str(i),) for i in range(6))
    for overrides in ({"funnel_stages": '{"customer": ["x"]}'}, {"funnel_stages": '{"mql": "x"}'},
                      {"funnel_stages": '{"mql": ["Lead"], "sql": ["lead"]}'}):
        with pytest.raises(ModelSettingError, match="FUNNELHOUSE_FUNNEL_STAGES"):
            load_model_settings(overrides)
    for horizon in ("0", "1.5", "121"):
        with pytest.raises(ModelSettingError, match="FUNNELHOUSE_COHORT_HORIZON_MONTHS"):
            load_model_settings({"cohort_horizon_months": horizon})


# --- the gate -------------------------------------------------------------------------------------
def test_the_gate_passes_both_marts_and_blocks_a_funnel_that_grows_downstream(built: Warehouse):
    from datetime import UTC, date, datetime

    from quality import gate
    from quality.suites import DateBounds

    _assert_gate_passes(built)
    bounds = DateBounds(date(2020, 1, 1), datetime(2026, 3, 16, tzinfo=UTC))
    built.execute([f"CREATE TABLE {CANDIDATE_SCHEMA}.funnel_pristine AS SELECT * FROM {CANDIDATE_SCHEMA}.funnel_monthly",
                   f"UPDATE {CANDIDATE_SCHEMA}.funnel_monthly SET sqls = 9 WHERE campaign_key = 'jan_news'"])
    try:
        outcome = gate.check_mart(built, CANDIDATE_SCHEMA, "funnel_monthly", bounds)
        assert not outcome.success
        assert "sqls<=mqls" in gate.render(outcome)
    finally:
        built.execute([f"DROP TABLE {CANDIDATE_SCHEMA}.funnel_monthly",
                       f"ALTER TABLE {CANDIDATE_SCHEMA}.funnel_pristine RENAME TO funnel_monthly"])


def test_typed_settings_as_a_toml_file_gives_them_are_validated_too():
    from transforms.model_settings import ModelSettingError, load_model_settings

    # A TOML table and integer arrive as a dict and an int, not as text.
    settings = load_model_settings({"cohort_horizon_months": 6, "funnel_stages": {"sql": ["SQL"]}})
    assert (settings.cohort_horizon_months, settings.funnel_stages) == (6, {"sql": ("SQL",)})
    with pytest.raises(ModelSettingError, match="FUNNELHOUSE_COHORT_HORIZON_MONTHS"):
        load_model_settings({"cohort_horizon_months": 6.5})
