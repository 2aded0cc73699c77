"""`funnelhouse run` alerts on-call staff, end to end: the real job against the sandbox with a broken
world (a campaign row the report lost on the last day), every channel pointed at real receivers on 127.0.0.1. The
deployment is Google Ads alone (with the FX rates it needs) over one day, to stay quick."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from pipelines import cli
from sandbox.server import SandboxServer
from sandbox.world import ads
from tests.alerts.receivers import PAGERDUTY, SLACK, WEBHOOK
from tests.conftest import RUNBOOK_URL, TODAY, UI_URL, AlertReceivers

END = TODAY - timedelta(days=1)
DAY = END.isoformat()
# A campaign row the Google Ads report lost fails reconciliation, which holds back the ads marts.
LOST = "staging/stg_google_ads__campaign_stats"
CHANNELS = "(webhook, slack, pagerduty, email)"
pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def google_ads_only(monkeypatch) -> None:
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "google_ads")


def _run(capsys: pytest.CaptureFixture) -> tuple[int, str, str]:
    code = cli.main(["run", "--start-date", DAY, "--end-date", DAY])
    out = capsys.readouterr().out
    return code, out, out.split("funnelhouse run ", 1)[1].split(":", 1)[0]


def _alert_lines(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("alerts: "))
    return [lines[start], *[line for line in lines[start + 1:]
                            if line.startswith(("  triggered ", "  resolved ", "  not sent "))]]


def test_a_broken_world_alerts_once_then_resolves_and_a_revoked_token_alerts_with_the_vendors_message(
        project: SandboxServer, alert_receivers: AlertReceivers, capsys):
    http, smtp = alert_receivers.http, alert_receivers.smtp
    project.state.world.unreconciled = True
    code, out, run_id = _run(capsys)
    assert code == 1, out
    assert _alert_lines(out) == [
        f"alerts: 1 triggered, 0 resolved {CHANNELS}",
        f"  triggered check_failed {LOST} reconciliation [{DAY}]: webhook, slack, pagerduty, email"]
    [body] = [p.json for p in http.to(WEBHOOK)]
    account = next(p for p in ads.platforms() if p.name == "google_ads").accounts[0]
    assert {k: body[k] for k in ("kind", "severity", "asset", "check", "partition")} == {
        "kind": "check_failed", "severity": "error", "asset": LOST, "check": "reconciliation", "partition": DAY}
    [row] = body["sample"]
    assert (row["account_id"], row["date_day"]) == (account.customer_id, DAY)
    assert float(row["platform_spend"]) > float(row["loaded_spend"])
    assert body["run_id"].startswith(run_id) and body["run_url"] == f"{UI_URL}/runs/{body['run_id']}"
    assert body["runbook_url"] == f"{RUNBOOK_URL}#check_failed"
    [trigger] = [e.json for e in http.to(PAGERDUTY)]
    assert trigger["payload"]["source"] == LOST and trigger["event_action"] == "trigger"
    assert len(http.to(SLACK)) == 1 and len(smtp.mails) == 1

    # The same window fails again: on-call was already told.
    code, out, _ = _run(capsys)
    assert code == 1
    assert _alert_lines(out) == ["alerts: 0 triggered, 0 resolved"]
    assert len(http.posts) == 3 and len(smtp.mails) == 1

    # Fixed at the vendor: one resolve per channel, PagerDuty's with the trigger's dedup_key.
    project.state.world.unreconciled = False
    code, out, fixed_run = _run(capsys)
    assert code == 0, out
    # The row back raises the account's stored day, which the restatement monitor reports.
    assert _alert_lines(out) == [
        f"alerts: 1 triggered, 1 resolved {CHANNELS}",
        f"  triggered check_warning {LOST} restatement [{DAY}]: webhook, slack, pagerduty, email",
        f"  resolved check_failed {LOST} reconciliation [{DAY}]: webhook, slack, pagerduty, email"], out
    [resolve] = [e.json for e in http.to(PAGERDUTY)[1:] if e.json["event_action"] == "resolve"]
    assert resolve["dedup_key"] == trigger["dedup_key"] and resolve["event_action"] == "resolve"
    assert {p.json["run_id"][:8] for p in http.to(WEBHOOK)[1:]} == {fixed_run}
    assert len(smtp.mails) == 3 and sum("resolved" in m.message["Subject"] for m in smtp.mails) == 1

    # Google revokes the refresh token: the ingest step fails, with Google's own words.
    project.state.faults.push("google_oauth", "invalid_grant")
    code, out, _ = _run(capsys)
    assert code == 1
    assert _alert_lines(out)[:2] == [
        f"alerts: 1 triggered, 0 resolved {CHANNELS}",
        f"  triggered run_failed funnelhouse_daily step ingest_google_ads [{DAY}]: webhook, slack, pagerduty, email"]
    [failed] = [e.json for e in http.to(PAGERDUTY)[3:]]
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
