"""The monitors end to end: each fires on a sandbox world broken its way, stays quiet on the normal
world, and the published marts stay correct throughout."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sandbox.server import SandboxServer
from sandbox.world import ads
from tests.alerts.receivers import WEBHOOK
from tests.conftest import AlertReceivers
from tests.pipelines.test_alerts_end_to_end import _alert_lines
from tests.pipelines.test_end_to_end import DUCKDB, END, _held_back, _run
from warehouse import Warehouse

pytestmark = pytest.mark.slow
STATS = "staging/stg_google_ads__campaign_stats"
CHANNELS = "(webhook, slack, pagerduty, email)"
TO = "webhook, slack, pagerduty, email"
ADS_MARTS = {"campaign_performance_daily", "ad_group_performance_daily", "ad_performance_daily"}


def _check_line(out: str, check: str) -> list[str]:
    return [line.strip() for line in out.splitlines()
            if line.strip().startswith("[") and line.strip().endswith(f" {check}")]


def test_reconciliation_blocks_a_lost_campaign_row_and_clears_when_fixed(project: SandboxServer,
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


def _warnings(out: str) -> dict[str, list[str]]:
    """Each warning of the summary, by check name, with the lines under it."""
    found: dict[str, list[str]] = {}
    current = None
    for line in out.splitlines():
        stripped = line.strip()
        if stripped.startswith("[warning]"):
            current = stripped.split()[-1]
            found[current] = [stripped.split()[1]]
        elif current and line.startswith("      "):
            found[current].append(stripped)
        else:
            current = None
    return found


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_each_monitor_fires_on_its_break_and_stays_quiet_on_the_normal_world(
        project: SandboxServer, engine: str, monkeypatch, request, capsys, alert_receivers: AlertReceivers):
    url = DUCKDB if engine == "duckdb" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", url)
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "google_ads")
    world = project.state.world
    google = next(p for p in ads.platforms() if p.name == "google_ads")
    account, campaign = google.accounts[0], google.accounts[0].campaigns[0]

    # Ten weeks: enough same weekdays for a baseline. The normal world raises nothing.
    code, out = _run(capsys, start=END - timedelta(days=69))
    assert code == 0 and not _warnings(out), out
    code, out = _run(capsys, start=END)
    assert code == 0 and not _warnings(out), out
    assert _alert_lines(out) == ["alerts: 0 triggered, 0 resolved"]

    world.spend_spike = True
    code, out = _run(capsys, start=END)
    assert code == 0, out
    assert set(_warnings(out)) == {"anomalies"}, out
    # Exactly one actionable alert per channel, and each later stage resolves the one before.
    assert _alert_lines(out) == [f"alerts: 1 triggered, 0 resolved {CHANNELS}",
                                 f"  triggered check_warning {STATS} anomalies [{END}]: {TO}"]
    where, *rows = _warnings(out)["anomalies"]
    assert where == "staging/stg_google_ads__campaign_stats"
    assert (f"'account_id': '{account.customer_id}', 'campaign_id': '{campaign.campaign_id}', 'measure': 'spend', "
            f"'date_day': '{END}'") in rows[1]
    assert sum("e.g." in row for row in rows) == 1

    # Each break on a day of its own, as a daily schedule meets them: the world moves on a day.
    world.spend_spike, world.silent_account = False, True
    world.today += timedelta(days=1)
    day = END + timedelta(days=1)
    code, out = _run(capsys, start=day, end=day)
    assert code == 0, out
    assert set(_warnings(out)) == {"volume"}, out
    where, *rows = _warnings(out)["volume"]
    assert where == "staging/stg_google_ads__campaign_stats"
    assert f"'account_id': '{account.customer_id}', 'date_day': '{day}', 'row_count': 0" in rows[1]
    assert _alert_lines(out) == [f"alerts: 1 triggered, 1 resolved {CHANNELS}",
                                 f"  triggered check_warning {STATS} volume [{day}]: {TO}",
                                 f"  resolved check_warning {STATS} anomalies [{END}]: {TO}"]

    world.silent_account, world.restated = False, True
    world.today += timedelta(days=1)
    day += timedelta(days=1)
    code, out = _run(capsys, start=day, end=day)
    assert code == 0, out
    assert set(_warnings(out)) == {"restatement"}, out
    assert _alert_lines(out) == [f"alerts: 1 triggered, 1 resolved {CHANNELS}",
                                 f"  triggered check_warning {STATS} restatement [{day}]: {TO}",
                                 f"  resolved check_warning {STATS} volume [{day - timedelta(days=1)}]: {TO}"]
    restated = " ".join(_warnings(out)["restatement"])
    # The world restates its last seven days; the six of them already stored moved.
    assert f"'date_day': '{day - timedelta(days=6)}', 'measure': 'conversions'" in restated
    assert f"'date_day': '{day - timedelta(days=7)}'" not in restated and "'spend'" not in restated
    warehouse = Warehouse(url)
    assert warehouse.scalar("SELECT count(*) FROM monitoring.stg_google_ads__campaign_stats__before") > 0

    # Accepted: the next run compares with what the restated run stored, and is quiet.
    code, out = _run(capsys, start=day, end=day)
    assert code == 0 and not _warnings(out), out
    assert _alert_lines(out) == [f"alerts: 0 triggered, 1 resolved {CHANNELS}",
                                 f"  resolved check_warning {STATS} restatement [{day}]: {TO}"]
    assert len(alert_receivers.http.to(WEBHOOK)) == 6 and len(alert_receivers.smtp.mails) == 6


def sum_clicks(server: SandboxServer, account: ads.Account, day) -> int:
    total = ads.account_day(server.state.world, account, day)
    assert total is not None
    return total[1]
