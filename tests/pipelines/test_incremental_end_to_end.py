"""Daily runs and backfills that rebuild only their days publish what a full rebuild publishes, row for
row, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connectors import registry
from pipelines import cli
from sandbox.server import SandboxServer
from tests.conftest import TODAY
from transforms import runner
from transforms.contracts import marts
from transforms.project import project
from warehouse import Warehouse

pytestmark = pytest.mark.slow

DUCKDB = "duckdb:///.funnelhouse/warehouse.duckdb"
END = TODAY - timedelta(days=1)
# Longer than every source's lookback, so that a daily run leaves days as they were.
START = END - timedelta(days=49)


def _run(capsys: pytest.CaptureFixture, start: date, end: date, *extra: str) -> str:
    code = cli.main(["run", "--start-date", start.isoformat(), "--end-date", end.isoformat(), *extra])
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert code == 0, out
    return out


def _marts(warehouse: Warehouse) -> dict[str, list[str]]:
    return {name: sorted(map(repr, warehouse.rows(f"SELECT * FROM marts.{name}"))) for name in marts()}


def _rebuilt_whole(warehouse: Warehouse) -> dict[str, list[str]]:
    """Every model rebuilt whole from the same raw tables, the way a first run builds them: the marts
    as their candidates hold them."""
    for model in project(tuple(registry.source_names())).models:
        runner.build(warehouse, model, {"reporting_currency": "USD"})
    return {name: sorted(map(repr, warehouse.rows(f"SELECT * FROM marts_candidate.{name}"))) for name in marts()}


def _builds(warehouse: Warehouse) -> dict[str, tuple[str, date | None]]:
    return {relation: (mode, start) for relation, mode, start in
            warehouse.rows("SELECT relation, mode, window_start FROM audit.model_builds")}


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_daily_runs_and_backfills_publish_what_a_full_rebuild_does(project: SandboxServer, engine: str, monkeypatch,
                                                                   capsys, request):
    url = DUCKDB if engine == "duckdb" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", url)
    warehouse = Warehouse(url)
    _run(capsys, START, END)
    history = warehouse.scalar("SELECT count(*) FROM marts.ad_group_performance_daily")

    # The next day: the daily run rebuilds its day and the lookback before it, and nothing else.
    project.state.world.today += timedelta(days=1)
    day = TODAY
    _run(capsys, day, day)
    builds = _builds(warehouse)
    lookback_start = builds["staging.stg_google_ads__ad_group_stats"][1]
    assert builds["staging.stg_google_ads__ad_group_stats"][0] == "window" and START < lookback_start < day
    assert builds["intermediate.int_ad_campaigns_daily"] == ("window", lookback_start)
    assert builds["marts_candidate.ad_group_performance_daily"] == ("window", lookback_start)
    modes = dict(warehouse.rows("SELECT mart, mode FROM audit.publications WHERE run_id = (SELECT run_id FROM "
                                "audit.publications ORDER BY published_at DESC LIMIT 1)"))
    assert modes["ad_group_performance_daily"] == "window" and modes["crm_deals"] == "full"
    assert builds["staging.stg_hubspot__deals"][0] == "full"
    rebuilt = warehouse.scalar("SELECT count(*) FROM marts_candidate.ad_group_performance_daily")
    published = warehouse.scalar("SELECT count(*) FROM marts.ad_group_performance_daily")
    assert 0 < rebuilt < history < published
    assert _marts(warehouse) == _rebuilt_whole(warehouse)

    # A backfill of a week two months back: those days (and the lookback before them) only.
    first, last = START + timedelta(days=3), START + timedelta(days=9)
    _run(capsys, first, last)
    assert _builds(warehouse)["staging.stg_google_ads__ad_group_stats"][0] == "window"
    assert _marts(warehouse) == _rebuilt_whole(warehouse)

    if engine != "duckdb":
        return
    # A full refresh, one flag away, rebuilds everything whole and publishes the same.
    before = _marts(warehouse)
    _run(capsys, day, day, "--full-refresh")
    assert _builds(warehouse)["staging.stg_google_ads__ad_group_stats"] == ("full", None)
    assert _marts(warehouse) == before
