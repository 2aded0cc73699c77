"""`funnelhouse run` end to end against the sandbox for the shapes users run besides "everything,
yesterday": each source alone on a fresh warehouse, a subset of ad platforms, a backfill months in
the past while the CRM moved on, and one past day. Apart from tests/pipelines/test_end_to_end.py so
that the two spread over the test workers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from connectors import registry
from sandbox import ad_spend_files, campaign_plans
from sandbox.server import SandboxServer
from sandbox.world import World, ads, crm
from tests.conftest import TODAY
from tests.pipelines.test_end_to_end import DUCKDB, SPECS, _expected_spend, _run
from transforms.contracts import marts
from transforms.project import provided
from warehouse import Warehouse

pytestmark = pytest.mark.slow

def _alone(source: str) -> list[str]:
    """The marts a deployment with only this source publishes: those whose entities it and the
    sources it needs (FX rates for money) provide."""
    return _published_with(source)


def _published_with(*sources: str) -> list[str]:
    enabled = tuple(registry.enabled_sources(",".join(sources)))
    return sorted(n for n, c in marts().items() if set(c.requires) <= provided(enabled))


def _published(out: str) -> list[str]:
    line = [line for line in out.splitlines() if line.startswith("published: ")][0]
    return sorted(part.split(" (")[0].removeprefix("marts.") for part in line[len("published: "):].split(", "))


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("source", list(SPECS))
def test_one_source_alone_on_a_fresh_warehouse(project: SandboxServer, source: str, engine: str, monkeypatch,
                                               capsys, request):
    """Only this source configured and enabled, with the sources it needs: it publishes every mart its
    domain feeds."""
    enabled = registry.enabled_sources(source)
    for key in project.source_settings():
        if not any(key.startswith(f"SOURCES__{name.upper()}__") for name in enabled):
            monkeypatch.delenv(key)
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", source)
    if engine == "postgres":
        monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", request.getfixturevalue("postgres_url"))
    code, out = _run(capsys)
    assert code == 0, out
    assert _alone(source), f"{source} feeds no mart"
    assert _published(out) == _alone(source)
    warehouse = Warehouse(DUCKDB if engine == "duckdb" else request.getfixturevalue("postgres_url"))
    for name in _alone(source):
        assert warehouse.row_count("marts", name) > 0, name
    others = {spec.dataset for name, spec in SPECS.items() if name not in enabled}
    assert not others & {schema for schema, _ in warehouse.relations()}


def test_a_subset_of_ad_platforms_publishes_in_one_currency(project: SandboxServer, monkeypatch, capsys):
    """Meta and LinkedIn without Google: their accounts' GBP and EUR spend sums into USD KPIs."""
    chosen = ("facebook_ads", "linkedin_ads")
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", ",".join(chosen))
    code, out = _run(capsys)
    assert code == 0, out
    warehouse = Warehouse(DUCKDB)
    platforms = {p for (p,) in warehouse.rows("SELECT DISTINCT platform FROM marts.campaign_performance_daily")}
    assert platforms == set(chosen)
    spend = {(p, a): Decimal(v) for p, a, v in warehouse.rows(
        "SELECT platform, account_id, sum(spend) FROM marts.campaign_performance_daily GROUP BY platform, account_id")}
    assert spend == {key: value for key, value in _expected_spend(project.state.world).items() if key[0] in chosen}
    assert warehouse.scalar(
        "SELECT count(*) FROM (SELECT date_day, campaign_key FROM marts.campaign_kpis_daily "
        "GROUP BY date_day, campaign_key HAVING count(*) > 1) d") == 0
    assert warehouse.scalar("SELECT count(*) FROM marts.ad_performance_daily") > 0


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_backfill_months_in_the_past_publishes_while_the_crm_moved_on(project: SandboxServer, engine: str,
                                                                        monkeypatch, capsys, request):
    """July, run in late November: the CRM holds deals created and won long after the window."""
    url = DUCKDB if engine == "duckdb" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", url)
    project.state.world = World(today=TODAY, history_days=400)
    start, end = date(2026, 7, 1), date(2026, 7, 31)
    code, out = _run(capsys, start=start, end=end)
    assert code == 0, out
    warehouse = Warehouse(url)
    days = {platform: (first, last) for platform, first, last in warehouse.rows(
        "SELECT platform, min(date_day), max(date_day) FROM marts.campaign_performance_daily GROUP BY platform")}
    # The API platforms: the window (the lookback's 30 days before its end lie inside it). A spend
    # file is not windowed: its platforms hold the days the files in the folder hold.
    files: dict[str, list[date]] = {}
    for row in ad_spend_files.campaign_days(project.state.world):
        files.setdefault(row.platform, []).append(row.day)
    assert days == {**{platform.name: (start, end) for platform in ads.platforms()},
                    **{platform: (min(d), max(d)) for platform, d in files.items()}}
    after = "SELECT count(*) FROM marts.crm_deals WHERE created_at > :end"
    assert warehouse.scalar(after, end=end + timedelta(days=1)) > 100
    assert warehouse.scalar("SELECT max(date_day) FROM marts.campaign_kpis_daily") > end


def test_one_day_months_in_the_past_fetches_that_day_not_yesterday(project: SandboxServer, monkeypatch, capsys,
                                                                    tmp_path):
    """A single partition (a day picked in the UI, or `run` for one day) reads its own days."""
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'one_day.duckdb'}")
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "google_ads")
    project.state.world = World(today=TODAY, history_days=400)
    day = date(2026, 6, 15)
    code, out = _run(capsys, start=day, end=day)
    assert code == 0, out
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'one_day.duckdb'}")
    lookback = SPECS["google_ads"].lookback_days
    assert warehouse.rows("SELECT min(date_day), max(date_day) FROM raw_google_ads.ad_group_stats")[0] == (
        day - timedelta(days=lookback - 1), day)


def test_plans_one_ad_platform_and_one_crm_publish_the_marketing_model(project: SandboxServer, monkeypatch, capsys):
    """The plans, LinkedIn and HubSpot, without Google, Meta, GA4 or Salesforce: the pacing counts
    LinkedIn's spend alone against plans that budget every platform, the funnel has LinkedIn's
    traffic and no sessions, and the attribution still accounts for every won deal."""
    chosen = ("campaign_plans", "linkedin_ads", "hubspot")
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", ",".join(chosen))
    code, out = _run(capsys)
    assert code == 0, out
    expected = _published_with(*chosen)
    assert {"budget_pacing", "budget_pacing_portfolio", "dim_campaign", "campaign_attribution_monthly",
            "funnel_monthly", "customer_cohorts"} <= set(expected)
    assert "web_traffic_daily" not in expected and _published(out) == expected
    warehouse = Warehouse(DUCKDB)
    world = project.state.world
    plans = campaign_plans.plan_rows(world)
    assert warehouse.scalar("SELECT count(*) FROM marts.budget_pacing") == len(plans)
    # Spend to date in the reporting currency is LinkedIn's, day by day, up to the as-of day.
    pacing = warehouse.rows("SELECT campaign_key, plan_month, as_of_date, days_in_month, spend_to_date_reporting "
                            "FROM marts.budget_pacing")
    spent = 0
    for key, month, as_of, days, to_date in pacing:
        last = min(as_of, month + timedelta(days=days - 1))
        ads_spend = Decimal(warehouse.scalar(
            "SELECT coalesce(sum(spend_reporting), 0) FROM marts.campaign_performance_daily WHERE campaign_key = :key "
            "AND date_day BETWEEN :first AND :last", key=key, first=month, last=last))
        assert abs(Decimal(to_date or 0) - ads_spend) <= Decimal("0.0001"), (key, month)
        spent += ads_spend
    assert spent > 0
    assert {p for (p,) in warehouse.rows("SELECT DISTINCT platform FROM marts.campaign_performance_daily")} \
        == {"linkedin_ads"}
    # The funnel: LinkedIn's impressions and clicks, no web analytics source so no sessions.
    assert warehouse.rows("SELECT sum(impressions), sum(clicks), sum(sessions) FROM marts.funnel_monthly")[0] == \
        warehouse.rows("SELECT sum(impressions), sum(clicks), 0 FROM marts.campaign_performance_daily")[0]
    assert warehouse.scalar("SELECT sum(leads) FROM marts.funnel_monthly") == len(crm.contacts(world))
    # Every model and month credits exactly the month's won revenue, HubSpot's alone.
    off = warehouse.scalar("""
        SELECT count(*) FROM (
            SELECT month, attribution_model, sum(attributed_revenue) AS credited, max(won_revenue) AS won
            FROM marts.campaign_attribution_monthly GROUP BY month, attribution_model) AS m
        WHERE abs(credited - won) > 0.0001""")
    assert off == 0
    assert warehouse.scalar("SELECT sum(won_revenue) FROM (SELECT DISTINCT month, won_revenue "
                            "FROM marts.campaign_attribution_monthly) AS m") == warehouse.scalar(
        "SELECT sum(amount_reporting) FROM marts.crm_deals WHERE is_won")
    # CAC only in the channels of the campaign keys LinkedIn spent on (a key's channel is its traffic's).
    with_cac = {c for (c,) in warehouse.rows("SELECT DISTINCT channel FROM marts.customer_cohorts WHERE cac IS NOT NULL")}
    spent_on = {c for (c,) in warehouse.rows("SELECT DISTINCT channel FROM marts.dim_campaign WHERE spend_reporting > 0")}
    assert with_cac and with_cac <= spent_on
