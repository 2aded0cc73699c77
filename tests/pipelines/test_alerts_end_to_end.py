"""`funnelhouse run` alerts on-call staff, end to end: the real job against the sandbox with a broken
world (negative spend on the last day), every channel pointed at real receivers on 127.0.0.1. The
deployment is Google Ads alone (with the FX rates it needs) over one day, to stay quick."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from pipelines import cli
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World, ads
from tests.alerts.receivers import PAGERDUTY, SLACK, WEBHOOK
from tests.conftest import RUNBOOK_URL, TODAY, UI_URL, AlertReceivers, point_sources_at

END = TODAY - timedelta(days=1)
DAY = END.isoformat()
# Negative spend on one Google Ads campaign's day fails the gates of the marts built from it.
HELD = ("ad_group_performance_daily", "campaign_kpis_daily", "campaign_performance_daily")
CHANNELS = "(webhook, slack, pagerduty, email)"
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path, monkeypatch) -> Iterator[SandboxServer]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES", str(cli.SANDBOX_OVERRIDES))
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "google_ads")
    with SandboxServer(world=World(today=TODAY, history_days=120), faults=Faults()) as server:
        yield point_sources_at(server, monkeypatch)


def _run(capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = cli.main(["run", "--start-date", DAY, "--end-date", DAY])
    out = capsys.readouterr().out
    return code, out, out.split("funnelhouse run ", 1)[1].split(":", 1)[0]


def _alert_lines(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("alerts: "))
    return [lines[start], *[line for line in lines[start + 1:] if line.startswith("  ")]]


def test_a_broken_world_alerts_once_then_resolves_and_a_revoked_token_alerts_with_the_vendors_message(
        project: SandboxServer, alert_receivers: AlertReceivers, capsys):
    http, smtp = alert_receivers.http, alert_receivers.smtp
    project.state.world.negative_spend = True
    code, out, run_id = _run(capsys)
    assert code == 1, out
    assert _alert_lines(out) == [f"alerts: 3 triggered, 0 resolved {CHANNELS}"] + [
        f"  triggered check_failed marts_candidate/{mart} quality_gate [{DAY}]: webhook, slack, pagerduty, email"
        for mart in HELD]
    hooks = {p.json["asset"]: p.json for p in http.to(WEBHOOK)}
    body = hooks["marts_candidate/campaign_performance_daily"]
    google = next(p for p in ads.platforms() if p.name == "google_ads").accounts[0].campaigns[0]
    assert {k: body[k] for k in ("kind", "severity", "check", "partition", "failing_count")} == {
        "kind": "check_failed", "severity": "error", "check": "quality_gate", "partition": DAY, "failing_count": 1}
    assert [row["campaign_id"] for row in body["sample"]] == [google.campaign_id] and float(body["sample"][0]["spend"]) < 0
    assert body["details"] == ["expect_column_values_to_be_between on spend: 1 unexpected rows (rule non_negative:spend)"]
    assert body["run_id"].startswith(run_id) and body["run_url"] == f"{UI_URL}/runs/{body['run_id']}"
    assert body["runbook_url"] == f"{RUNBOOK_URL}#check_failed"
    triggers = {e.json["payload"]["source"]: e.json for e in http.to(PAGERDUTY)}
    assert set(triggers) == {f"marts_candidate/{mart}" for mart in HELD}
    assert len(http.to(SLACK)) == 3 and len(smtp.mails) == 3

    # The same window fails again: on-call was already told.
    code, out, _ = _run(capsys)
    assert code == 1
    assert _alert_lines(out) == ["alerts: 0 triggered, 0 resolved"]
    assert len(http.posts) == 9 and len(smtp.mails) == 3

    # Fixed at the vendor: one resolve per alert and channel, PagerDuty's with the trigger's dedup_key.
    project.state.world.negative_spend = False
    code, out, fixed_run = _run(capsys)
    assert code == 0, out
    assert _alert_lines(out)[0] == f"alerts: 0 triggered, 3 resolved {CHANNELS}"
    resolves = [e.json for e in http.to(PAGERDUTY)[3:]]
    assert sorted(r["dedup_key"] for r in resolves) == sorted(t["dedup_key"] for t in triggers.values())
    assert all(r["event_action"] == "resolve" for r in resolves)
    assert {p.json["run_id"][:8] for p in http.to(WEBHOOK)[3:]} == {fixed_run}
    assert len(smtp.mails) == 6 and all("resolved" in m.message["Subject"] for m in smtp.mails[3:])

    # Google revokes the refresh token: the ingest step fails, with Google's own words.
    project.state.faults.push("google_oauth", "invalid_grant")
    code, out, _ = _run(capsys)
    assert code == 1
    assert _alert_lines(out)[:2] == [
        f"alerts: 1 triggered, 0 resolved {CHANNELS}",
        f"  triggered run_failed funnelhouse_daily step ingest_google_ads [{DAY}]: webhook, slack, pagerduty, email"]
    [failed] = [e.json for e in http.to(PAGERDUTY)[6:]]
    assert failed["payload"]["severity"] == "critical" and failed["payload"]["component"] == "ingest_google_ads"
    [message] = failed["payload"]["custom_details"]["vendor_message"]
    assert "invalid_grant" in message and "Token has been expired or revoked." in message
    assert failed["links"][1]["href"] == f"{RUNBOOK_URL}#run_failed"

    # No configured secret in anything sent: the sentinels, the sandbox's credentials, issued tokens.
    secrets = [*alert_receivers.secrets, "ya29.sandbox-access-",
               *(v for k, v in project.source_settings().items() if "__CREDENTIALS__" in k)]
    sent = [json.dumps({k: v for k, v in p.json.items() if k != "routing_key"}) for p in http.posts]
    sent += [m.message.as_string() for m in smtp.mails]
    for text in sent:
        for secret in secrets:
            assert secret not in text
