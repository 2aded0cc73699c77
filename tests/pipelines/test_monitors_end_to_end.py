"""The monitors end to end: each fires on a sandbox world broken its way, stays quiet on the normal
world, and the published marts stay correct throughout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sandbox.server import SandboxServer
from sandbox.world import ads
from tests.pipelines.test_end_to_end import DUCKDB, END, _held_back, _run, project  # noqa: F401
from warehouse import Warehouse

pytestmark = pytest.mark.slow
ADS_MARTS = {"campaign_performance_daily", "ad_group_performance_daily", "ad_performance_daily"}


def _check_line(out: str, check: str) -> list[str]:
    return [line.strip() for line in out.splitlines()
            if line.strip().startswith("[") and line.strip().endswith(f" {check}")]


def test_reconciliation_blocks_a_lost_campaign_row_and_clears_when_fixed(project: SandboxServer,  # noqa: F811
                                                                          monkeypatch, capsys):
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "facebook_ads")
    start = END - timedelta(days=2)
    code, out = _run(capsys, start=start)
    assert code == 0, out
    assert not _check_line(out, "reconciliation"), out
    warehouse = Warehouse(DUCKDB)
    before = warehouse.rows("SELECT * FROM marts.campaign_performance_daily ORDER BY 1, 2, 3, 4")

    project.state.world.unreconciled = True
    code, out = _run(capsys, start=start)
    assert code == 1, out
    assert _check_line(out, "reconciliation") == ["[BLOCKING] staging/stg_facebook_ads__campaign_stats reconciliation"]
    meta = next(p for p in ads.platforms() if p.name == "facebook_ads")
    lost = ads.campaign_day(project.state.world, meta.accounts[0], meta.accounts[0].campaigns[0], END)
    assert f"'account_id': '{meta.accounts[0].customer_id}'" in out and f"'date_day': '{END}'" in out
    assert f"'platform_clicks': {sum_clicks(project, meta.accounts[0], END)}" in out
    assert lost is not None
    assert ADS_MARTS <= _held_back(out)
    assert ("held back: marts.campaign_performance_daily keeps its previous version: it is built from "
            "staging.stg_facebook_ads__campaign_stats, which failed its reconciliation") in out
    assert warehouse.rows("SELECT * FROM marts.campaign_performance_daily ORDER BY 1, 2, 3, 4") == before

    project.state.world.unreconciled = False
    code, out = _run(capsys, start=start)
    assert code == 0, out
    assert not _check_line(out, "reconciliation"), out
    first = meta.accounts[0].campaigns[0].campaign_id
    assert warehouse.scalar("SELECT count(*) FROM marts.campaign_performance_daily WHERE campaign_id = :c "
                            "AND date_day = :d", c=first, d=END) == 1


def sum_clicks(server: SandboxServer, account: ads.Account, day) -> int:
    total = ads.account_day(server.state.world, account, day)
    assert total is not None
    return total[1]
