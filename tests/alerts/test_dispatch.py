"""Alerts from crafted observations, sent to real receivers on 127.0.0.1 (HTTP for the webhook, Slack
and PagerDuty; SMTP with STARTTLS and login for email), their state kept in DuckDB and PostgreSQL."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from alerts import Kind, Observation, dispatch, load_alert_settings
from alerts.redact import Redactor, source_secrets
from tests.alerts.receivers import PAGERDUTY, SLACK, SMTP_USER, WEBHOOK
from tests.conftest import RUNBOOK_URL, SENTINEL, UI_URL, AlertReceivers
from warehouse import Warehouse

JOB = "funnelhouse_daily"
TABLE = "marts_candidate/campaign_performance_daily"
GATE = "quality_gate"
DAY = "2026-11-19"
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = [
    {"date_day": DAY, "campaign_id": "20000000001", "spend": "-323.480000"},
    {"date_day": DAY, "campaign_id": "20000000002", "spend": "-12.000000"},
    # A vendor echoing a credential into a field must not carry it into an alert.
    {"date_day": DAY, "campaign_id": "20000000003", "spend": "-1.000000", "note": f"token={SENTINEL}"},
    {"date_day": DAY, "campaign_id": "20000000004", "spend": "-2.000000"},
]
DESCRIPTION = "expect_column_values_to_be_between on spend: 4 unexpected rows (rule non_negative:spend)"


def gate(run_id: str, passed: bool, partition: str = DAY, **kwargs) -> Observation:
    if passed:
        return Observation.check(run_id, JOB, partition, TABLE, GATE, passed=True)
    return Observation.check(run_id, JOB, partition, TABLE, GATE, passed=False, outcome="failed",
                             failing_count=4, sample=SAMPLE, details=[DESCRIPTION], **kwargs)


def fast() -> object:
    """The configured settings with retries a few milliseconds apart."""
    return replace(load_alert_settings(), backoff=0.01)


def _all_text(receivers: AlertReceivers) -> list[str]:
    """Everything each channel received, PagerDuty's routing key (its credential, by design) aside."""
    texts = []
    for post in receivers.http.posts:
        body = post.json
        if post.path == PAGERDUTY:
            body = {k: v for k, v in body.items() if k != "routing_key"}
        texts.append(json.dumps(body))
    texts += [mail.message.as_string() for mail in receivers.smtp.mails]
    return texts


def assert_no_secret(receivers: AlertReceivers) -> None:
    for text in _all_text(receivers):
        for secret in receivers.secrets:
            assert secret not in text


@pytest.fixture
def warehouse(warehouse_url: str) -> Warehouse:
    return Warehouse(warehouse_url)


def test_a_failed_check_reaches_every_channel_in_its_documented_shape(alert_receivers, warehouse):
    report = dispatch([gate("run-0001-aaaa", passed=False)], warehouse, fast())
    assert report.lines()[0] == "alerts: 1 triggered, 0 resolved (webhook, slack, pagerduty, email)"
    assert report.lines()[1] == (f"  triggered check_failed {TABLE} {GATE} [{DAY}]: webhook, slack, pagerduty, email")
    http = alert_receivers.http
    run_url = f"{UI_URL}/runs/run-0001-aaaa"
    runbook = f"{RUNBOOK_URL}#check_failed"

    [webhook] = http.to(WEBHOOK)
    body = webhook.json
    assert webhook.headers["Content-Type"] == "application/json"
    assert {k: body[k] for k in ("action", "kind", "severity", "asset", "check", "partition", "failing_count",
                                 "run_url", "runbook_url", "job")} == {
        "action": "trigger", "kind": "check_failed", "severity": "error", "asset": TABLE, "check": GATE,
        "partition": DAY, "failing_count": 4, "run_url": run_url, "runbook_url": runbook, "job": JOB}
    # A short sample: three rows, the credential in the third masked.
    assert [r["campaign_id"] for r in body["sample"]] == ["20000000001", "20000000002", "20000000003"]
    assert body["sample"][2]["note"] == "token=***"
    assert body["details"] == [DESCRIPTION]
    assert body["first_step"] == Kind.CHECK_FAILED.first_step

    # Slack: `text` is the notification's fallback, `blocks` the message.
    [slack] = http.to(SLACK)
    message = slack.json
    assert set(message) == {"text", "blocks"}
    assert message["text"].startswith(f"[funnelhouse] check_failed: {TABLE} {GATE} for {DAY}: 4 failing rows")
    header, facts, *sections = message["blocks"]
    assert header["type"] == "header" and header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) <= 150
    fields = {f["text"].split("\n", 1)[0].strip("*"): f["text"].split("\n", 1)[1] for f in facts["fields"]}
    assert fields == {"Table": f"`{TABLE}`", "Check": f"`{GATE}`", "Window": DAY, "Failing rows": "4",
                      "Severity": "error", "Run": f"<{run_url}|run run-0001>", "Runbook": f"<{runbook}|check_failed>"}
    texts = [s["text"]["text"] for s in sections]
    assert all(s["type"] == "section" and s["text"]["type"] == "mrkdwn" for s in sections)
    assert any(DESCRIPTION in t for t in texts)
    assert any("20000000001" in t and "-323.480000" in t for t in texts)
    assert any(t.startswith("*What to do first:*") and f"<{runbook}|Runbook>" in t for t in texts)

    # PagerDuty Events API v2.
    [event] = http.to(PAGERDUTY)
    event = event.json
    assert event["routing_key"] == alert_receivers.secrets[2]
    assert event["event_action"] == "trigger"
    assert len(event["dedup_key"]) == 64 and event["dedup_key"] == body["dedup_key"]
    payload = event["payload"]
    assert len(payload["summary"]) <= 1024 and payload["summary"] == message["text"]
    assert {k: payload[k] for k in ("source", "severity", "component", "group", "class")} == {
        "source": TABLE, "severity": "error", "component": GATE, "group": JOB, "class": "check_failed"}
    details = payload["custom_details"]
    assert details["failing_count"] == 4 and details["window"] == DAY and len(details["sample"]) == 3
    assert event["links"] == [{"href": run_url, "text": "Dagster run run-0001"},
                              {"href": runbook, "text": "Runbook: check_failed"}]
    assert event["client_url"] == run_url

    # Email: over STARTTLS, logged in as the URL's user, to every recipient.
    [mail] = alert_receivers.smtp.mails
    assert mail.tls and mail.login == SMTP_USER
    assert mail.mail_from == "funnelhouse@example.com"
    assert mail.rcpt_tos == ["oncall@example.com", "data-team@example.com"]
    assert mail.message["Subject"] == f"[funnelhouse] error: check_failed {TABLE} {GATE} ({DAY})"
    text = mail.text
    for expected in (f"Table:        {TABLE}", f"Check:        {GATE}", f"Window:       {DAY}", "Failing rows: 4",
                     "Severity:     error", f"Run:          {run_url}", f"Runbook:      {runbook}",
                     f"What to do first: {Kind.CHECK_FAILED.first_step}", DESCRIPTION, '"spend": "-323.480000"'):
        assert expected in text
    assert_no_secret(alert_receivers)


def test_one_alert_per_check_and_partition_until_a_passing_run_resolves_it(alert_receivers, warehouse):
    http, smtp = alert_receivers.http, alert_receivers.smtp
    dispatch([gate("run-1", passed=False)], warehouse, fast())
    # The next run fails the same way: nothing new is sent.
    second = dispatch([gate("run-2", passed=False)], warehouse, fast())
    assert second.lines() == ["alerts: 0 triggered, 0 resolved"]
    assert [len(http.to(p)) for p in (WEBHOOK, SLACK, PAGERDUTY)] == [1, 1, 1] and len(smtp.mails) == 1
    # Another window failing is another alert.
    dispatch([gate("run-3", passed=False, partition="2026-11-20")], warehouse, fast())
    assert [len(http.to(p)) for p in (WEBHOOK, SLACK, PAGERDUTY)] == [2, 2, 2] and len(smtp.mails) == 2
    opened = [e.json["dedup_key"] for e in http.to(PAGERDUTY)]

    # A passing evaluation resolves every open alert of the check, whatever its partition.
    fixed = dispatch([gate("run-4", passed=True, partition="2026-11-21")], warehouse, fast())
    assert fixed.lines()[0] == "alerts: 0 triggered, 2 resolved (webhook, slack, pagerduty, email)"
    resolves = http.to(PAGERDUTY)[2:]
    assert [e.json for e in resolves] == [
        {"routing_key": alert_receivers.secrets[2], "event_action": "resolve", "dedup_key": key} for key in opened]
    hooks = [p.json for p in http.to(WEBHOOK)[2:]]
    assert [(h["action"], h["partition"], h["run_id"]) for h in hooks] == [
        ("resolve", DAY, "run-4"), ("resolve", "2026-11-20", "run-4")]
    assert [h["opened_run_id"] for h in hooks] == ["run-1", "run-3"]
    slack = http.to(SLACK)[2].json
    assert slack["text"].startswith(f"[funnelhouse] resolved check_failed: {TABLE} {GATE} passed in run run-4")
    assert slack["blocks"][0]["text"]["text"].startswith(":white_check_mark: Resolved:")
    mail = smtp.mails[2].message
    assert mail["Subject"] == f"[funnelhouse] resolved: {TABLE} {GATE} ({DAY})"
    # The resolve answers the trigger's thread.
    assert mail["In-Reply-To"] == smtp.mails[0].message["Message-ID"]

    # Resolved once: passing again sends nothing; failing again opens a new alert.
    assert dispatch([gate("run-5", passed=True)], warehouse, fast()).lines() == ["alerts: 0 triggered, 0 resolved"]
    again = dispatch([gate("run-6", passed=False)], warehouse, fast())
    assert again.lines()[0] == "alerts: 1 triggered, 0 resolved (webhook, slack, pagerduty, email)"
    assert http.to(PAGERDUTY)[-1].json["dedup_key"] == opened[0]
    rows = warehouse.rows("SELECT partition_key, channel, opened_run_id, resolved_run_id FROM audit.alerts "
                          "WHERE channel = 'pagerduty' ORDER BY opened_at")
    assert rows == [(DAY, "pagerduty", "run-1", "run-4"), ("2026-11-20", "pagerduty", "run-3", "run-4"),
                    (DAY, "pagerduty", "run-6", None)]
    assert_no_secret(alert_receivers)


def test_a_check_that_fails_then_cannot_be_evaluated_stays_one_alert(alert_receivers, warehouse):
    dispatch([gate("run-1", passed=False)], warehouse, fast())
    error = Observation.check("run-2", JOB, DAY, TABLE, GATE, passed=False, outcome="error",
                              details=["expect_column_values_to_not_be_null on spend could not be evaluated: "
                                       "column spend does not exist"])
    assert dispatch([error], warehouse, fast()).lines() == ["alerts: 0 triggered, 0 resolved"]


def test_the_open_alert_is_seen_by_another_process(alert_receivers, tmp_path):
    """The state lives in the warehouse: a second process, as the Dagster daemon is, sends nothing new."""
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    dispatch([gate("run-1", passed=False)], Warehouse(url), fast())
    script = (
        "import sys\n"
        "from alerts import Observation, dispatch\n"
        "from warehouse import Warehouse\n"
        "obs = [Observation.check('run-2', 'funnelhouse_daily', '2026-11-19', sys.argv[2], 'quality_gate', "
        "passed=False, failing_count=4)]\n"
        "print(dispatch(obs, Warehouse(sys.argv[1])).lines()[0])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, url, TABLE], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "alerts: 0 triggered, 0 resolved"
    assert len(alert_receivers.http.to(PAGERDUTY)) == 1


def test_each_kind_carries_its_severity_runbook_anchor_and_first_step(alert_receivers, warehouse):
    observations = [
        Observation.check("run-1", JOB, DAY, "staging/stg_google_ads__campaign_stats", "source_freshness",
                          passed=False, blocking=False, outcome="failed",
                          details=["newest date_day is 2026-11-10, 9 days before 2026-11-19"]),
        Observation.check("run-1", JOB, DAY, "marts_candidate/crm_deals", GATE, passed=False, outcome="error",
                          details=["expect_column_values_to_not_be_null on deal_id could not be evaluated: "
                                   "relation marts_candidate.crm_deals does not exist"]),
        Observation.step("run-1", JOB, DAY, "ingest_hubspot", succeeded=False,
                         message=f"hubspot: HTTP 401: Authentication credentials not found ({SENTINEL})"),
    ]
    report = dispatch(observations, warehouse, fast())
    assert report.lines()[0] == "alerts: 3 triggered, 0 resolved (webhook, slack, pagerduty, email)"
    events = {e.json["payload"]["class"]: e.json for e in alert_receivers.http.to(PAGERDUTY)}
    assert {k: e["payload"]["severity"] for k, e in events.items()} == {
        "check_warning": "warning", "validator_error": "error", "run_failed": "critical"}
    for kind, event in events.items():
        assert event["links"][1]["href"] == f"{RUNBOOK_URL}#{kind}"
        assert event["payload"]["custom_details"]["what_to_do_first"] == Kind(kind).first_step
    failed = events["run_failed"]["payload"]
    assert (failed["source"], failed["component"], failed["group"]) == (JOB, "ingest_hubspot", JOB)
    assert failed["custom_details"]["vendor_message"] == [
        "hubspot: HTTP 401: Authentication credentials not found (***)"]
    hooks = {p.json["kind"]: p.json for p in alert_receivers.http.to(WEBHOOK)}
    assert hooks["run_failed"]["step"] == "ingest_hubspot" and "asset" not in hooks["run_failed"]
    assert hooks["validator_error"]["details"][0].endswith("relation marts_candidate.crm_deals does not exist")
    mail = next(m for m in alert_receivers.smtp.mails if "run_failed" in m.message["Subject"])
    assert "Vendor's message:\n  hubspot: HTTP 401: Authentication credentials not found (***)" in mail.text
    assert_no_secret(alert_receivers)

    # The step's success in a later run resolves it; the other two stay open.
    later = dispatch([Observation.step("run-2", JOB, "2026-11-20", "ingest_hubspot", succeeded=True)], warehouse,
                     fast())
    assert later.lines()[:2] == ["alerts: 0 triggered, 1 resolved (webhook, slack, pagerduty, email)",
                                 f"  resolved run_failed {JOB} step ingest_hubspot [{DAY}]: webhook, slack, pagerduty, "
                                 "email"]


def test_a_failing_channel_is_logged_without_secrets_and_the_others_still_send(alert_receivers, warehouse, caplog):
    http = alert_receivers.http
    http.fail(SLACK, 500, times=3)
    # Throttled once, told to retry at once: the next attempt goes through.
    http.fail(PAGERDUTY, 429, times=1, headers={"Retry-After": "0"})
    with caplog.at_level(logging.WARNING, logger="funnelhouse.alerts"):
        report = dispatch([gate("run-1", passed=False)], warehouse, fast())
    lines = report.lines()
    assert lines[0] == "alerts: 1 triggered, 0 resolved (webhook, pagerduty, email)"
    assert lines[2] == f"  not sent (slack, trigger) {TABLE} {GATE} [{DAY}]: HTTP 500: {{\"error\": \"injected\"}} " \
                       "after 3 attempts"
    assert len(http.to(SLACK)) == 3 and len(http.to(PAGERDUTY)) == 2
    assert "alert channel slack could not send the trigger" in caplog.text
    for secret in alert_receivers.secrets:
        assert secret not in caplog.text and secret not in "\n".join(lines)
    # Slack never took the trigger, so the next failing run tries it again, and only it.
    again = dispatch([gate("run-2", passed=False)], warehouse, fast())
    assert again.lines()[0] == "alerts: 1 triggered, 0 resolved (slack)"
    assert len(http.to(SLACK)) == 4 and len(http.to(PAGERDUTY)) == 2


def test_a_refused_request_is_not_retried_and_an_unreachable_receiver_is_bounded(alert_receivers, warehouse,
                                                                                monkeypatch):
    alert_receivers.http.fail(WEBHOOK, 400)
    # Nothing listens on port 9 of 127.0.0.1: connection refused, three times.
    monkeypatch.setenv("FUNNELHOUSE_ALERT_PAGERDUTY_URL", "http://127.0.0.1:9/v2/enqueue")
    report = dispatch([gate("run-1", passed=False)], warehouse, fast())
    errors = {d.channel: d.error for d in report.failed}
    assert errors == {"webhook": 'HTTP 400: {"error": "injected"}',
                      "pagerduty": "ConnectionError after 3 attempts"}
    assert len(alert_receivers.http.to(WEBHOOK)) == 1


def test_channels_are_off_until_set_and_read_when_sending(monkeypatch, tmp_path):
    for key in ("ALERT_WEBHOOK_URL", "ALERT_SLACK_WEBHOOK_URL", "ALERT_PAGERDUTY_ROUTING_KEY", "ALERT_PAGERDUTY_URL",
                "ALERT_SMTP_URL", "UI_URL", "RUNBOOK_URL"):
        monkeypatch.delenv(f"FUNNELHOUSE_{key}", raising=False)
    warehouse = Warehouse(f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    report = dispatch([gate("run-1", passed=False)], warehouse)
    assert report.lines() == ["alerts: off (no channel configured; see FUNNELHOUSE_ALERT_* in the README)"]
    # Off means untouched: no state is kept for channels that do not exist.
    assert ("audit", "alerts") not in warehouse.relations()
    settings = load_alert_settings()
    assert (settings.pagerduty_url, settings.ui_url, settings.runbook_url) == (
        "https://events.pagerduty.com/v2/enqueue", "http://127.0.0.1:3000", "docs/oncall.md")
    assert settings.run_url("abc") == "http://127.0.0.1:3000/runs/abc"
    assert settings.runbook(Kind.RUN_FAILED) == "docs/oncall.md#run_failed"


def test_a_misconfigured_channel_names_its_key_never_its_value(monkeypatch, tmp_path):
    monkeypatch.setenv("FUNNELHOUSE_ALERT_SMTP_URL", f"smtp://ops:{SENTINEL}@mail.example.com:587")
    monkeypatch.delenv("FUNNELHOUSE_ALERT_EMAIL_FROM", raising=False)
    monkeypatch.setenv("FUNNELHOUSE_ALERT_EMAIL_TO", "oncall@example.com")
    monkeypatch.setenv("FUNNELHOUSE_ALERT_SLACK_WEBHOOK_URL", f"hooks.slack.com/services/{SENTINEL}")
    report = dispatch([gate("run-1", passed=False)], Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}"))
    assert report.lines() == [
        "alerts: off (no channel configured; see FUNNELHOUSE_ALERT_* in the README)",
        "  alert setting: FUNNELHOUSE_ALERT_SLACK_WEBHOOK_URL must be an http(s) URL; that channel is off",
        "  alert setting: FUNNELHOUSE_ALERT_EMAIL_FROM must be set with FUNNELHOUSE_ALERT_SMTP_URL; email alerts are off",
    ]


def test_every_configured_secret_is_known_to_the_redactor(monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCES__HUBSPOT__CREDENTIALS__ACCESS_TOKEN", "pat-na1-SENTINEL-HUBSPOT")
    monkeypatch.setenv("SOURCES__ACME__CREDENTIALS", "native-SENTINEL-token")
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", "postgresql://funnelhouse:pg-SENTINEL-pass@db:5432/marketing")
    monkeypatch.setenv("FUNNELHOUSE_ALERT_SMTP_URL", "smtp://ops:p%40ss-SENTINEL@mail.example.com")
    redact = Redactor([*source_secrets(), *load_alert_settings().secrets()])
    text = "pat-na1-SENTINEL-HUBSPOT native-SENTINEL-token pg-SENTINEL-pass p@ss-SENTINEL p%40ss-SENTINEL"
    assert redact.text(text) == "*** *** *** *** ***"
    assert redact({"k pat-na1-SENTINEL-HUBSPOT": ["x pg-SENTINEL-pass", 3]}) == {"k ***": ["x ***", 3]}


def test_secrets_declared_in_dlt_secrets_toml_are_redacted_too(tmp_path):
    """A setting the spec declares secret may live in .dlt/secrets.toml instead of the environment:
    read in a fresh process, since dlt reads a working directory's .dlt once."""
    (tmp_path / ".dlt").mkdir()
    (tmp_path / ".dlt" / "secrets.toml").write_text(
        '[sources.google_ads.credentials]\ndeveloper_token = "dev-SENTINEL-toml-token"\n')
    script = "from alerts.redact import source_secrets\nprint('dev-SENTINEL-toml-token' in source_secrets())\n"
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("SOURCES__")}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
