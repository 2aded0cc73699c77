"""`funnelhouse run` end to end against the sandbox for the shapes users run besides "everything,
yesterday": each source alone on a fresh warehouse, a subset of ad platforms, a backfill months in
the past while the CRM moved on, and one past day. Apart from tests/pipelines/test_end_to_end.py so
that the two spread over the test workers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from connectors import registry
from sandbox import ad_spend_files
from sandbox.server import SandboxServer
from sandbox.world import World, ads
from tests.conftest import TODAY
from tests.pipelines.test_end_to_end import DUCKDB, SPECS, _expected_spend, _run
from transforms.contracts import marts
from transforms.project import provided
from warehouse import Warehouse

pytestmark = pytest.mark.slow

def _alone(source: str) -> list[str]:
    """The marts a deployment with only this source publishes: those whose entities it and the
    sources it needs (FX rates for money) provide."""
    enabled = tuple(registry.enabled_sources(source))
    return sorted(n for n, c in marts().items() if set(c.requires) <= provided(enabled))


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
    published = [line for line in out.splitlines() if line.startswith("published: ")][0]
    assert sorted(part.split(" (")[0].removeprefix("marts.") for part in published[len("published: "):].split(", ")) \
        == _alone(source)
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
