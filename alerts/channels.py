"""Where alerts go: a generic JSON webhook, a Slack incoming webhook, PagerDuty's Events API v2 and
email. Each channel renders an alert to a plain structure (which dispatch redacts) and delivers it.

Delivery is bounded: a timeout per request, and a few attempts on 429, 5xx and connection errors,
honouring Retry-After up to `max_wait`. A failure raises `ChannelError`, whose message never holds
the destination (webhook URLs carry their token) or a credential.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

import requests

from alerts.model import RESOLVE, TRIGGER, Alert
from alerts.settings import AlertSettings, SmtpServer

RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
CLIENT = "funnelhouse"


class ChannelError(RuntimeError):
    """A channel could not deliver. The message names the status, never the URL or a secret."""


def _absolute(url: str) -> bool:
    return url.startswith(("https://", "http://"))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def post_json(url: str, body: Any, settings: AlertSettings, sleep: Callable[[float], None] = time.sleep,
              ) -> requests.Response:
    """POST `body` as JSON; retried on 429, 5xx and connection errors. Raises ChannelError."""
    last = "no attempt"
    for attempt in range(1, settings.attempts + 1):
        wait = settings.backoff * 2 ** (attempt - 1)
        try:
            response = requests.post(url, json=body, timeout=(min(5.0, settings.timeout), settings.timeout),
                                     headers={"User-Agent": CLIENT})
        except (requests.ConnectionError, requests.Timeout) as exc:
            # requests' messages quote the URL, and a webhook URL is a secret: the class name only.
            last = type(exc).__name__
        else:
            if response.status_code < 300:
                return response
            detail = response.text.strip().replace("\n", " ")[:200]
            last = f"HTTP {response.status_code}" + (f": {detail}" if detail else "")
            if response.status_code not in RETRYABLE:
                raise ChannelError(last)
            hinted = _retry_after(response)
            if hinted is not None:
                if hinted > settings.max_wait:
                    raise ChannelError(f"{last} (asked to wait {hinted:.0f}s, more than {settings.max_wait:.0f}s)")
                wait = hinted
        if attempt < settings.attempts:
            sleep(wait)
    raise ChannelError(f"{last} after {settings.attempts} attempts")


def _rows(alert: Alert) -> list[dict[str, Any]]:
    return [dict(row) for row in alert.sample]


def _fields(alert: Alert) -> list[tuple[str, str]]:
    """The facts every channel shows, in order."""
    if alert.key.scope == "check":
        facts = [("Table", alert.key.subject), ("Check", alert.key.name)]
    else:
        facts = [("Job", alert.key.subject), ("Step", alert.key.name)]
    facts.append(("Window", alert.window))
    if alert.action == TRIGGER and alert.failing_count is not None:
        facts.append(("Failing rows", f"{alert.failing_count:,}"))
    facts += [("Severity", alert.severity if alert.action == TRIGGER else "resolved"),
              ("Run", alert.run_url), ("Runbook", alert.runbook_url)]
    return facts


def plain_text(alert: Alert) -> str:
    """The alert as text: email bodies, and the fallback of other channels."""
    lines = [alert.title, ""]
    lines += [f"{name + ':':<14}{value}" for name, value in _fields(alert)]
    if alert.action == RESOLVE:
        lines += ["", f"Opened by run {alert.opened_run_id}; no action needed."]
        return "\n".join(lines) + "\n"
    lines += ["", f"What to do first: {alert.first_step}"]
    if alert.details:
        lines += ["", "Vendor's message:" if alert.key.scope == "step" else "Details:"]
        lines += [f"  {d}" for d in alert.details]
    if alert.sample:
        lines += ["", "Sample rows:"]
        lines += [f"  {json.dumps(row, default=str, sort_keys=True)}" for row in _rows(alert)]
    return "\n".join(lines) + "\n"


class WebhookChannel:
    """Any HTTP endpoint: one JSON document per alert, its fields as documented in the README."""

    name = "webhook"

    def __init__(self, url: str, settings: AlertSettings, sleep: Callable[[float], None] = time.sleep):
        self.url = url
        self.settings = settings
        self.sleep = sleep

    def render(self, alert: Alert) -> dict[str, Any]:
        body: dict[str, Any] = {
            "source": CLIENT,
            "action": alert.action,
            "kind": alert.kind.value,
            "severity": alert.severity if alert.action == TRIGGER else "info",
            "title": alert.title,
            "summary": alert.summary,
            "job": alert.job,
            "partition": alert.key.partition,
            "run_id": alert.run_id,
            "run_url": alert.run_url,
            "runbook_url": alert.runbook_url,
            "dedup_key": alert.key.dedup_key,
        }
        if alert.key.scope == "check":
            body.update(asset=alert.key.subject, check=alert.key.name)
        else:
            body.update(step=alert.key.name)
        if alert.action == TRIGGER:
            body.update(failing_count=alert.failing_count, sample=_rows(alert), details=list(alert.details),
                        first_step=alert.first_step)
        else:
            body.update(opened_run_id=alert.opened_run_id)
        return body

    def deliver(self, body: Mapping[str, Any]) -> None:
        post_json(self.url, body, self.settings, self.sleep)


def _mrkdwn(text: str) -> str:
    """Slack reads &, < and > as markup (`<!channel>` would ping everyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(url: str, label: str) -> str:
    return f"<{url}|{_mrkdwn(label)}>" if _absolute(url) else f"`{_mrkdwn(url)}`"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


class SlackChannel:
    """A Slack incoming webhook: `text` (the notification's fallback) and Block Kit `blocks`."""

    name = "slack"
    # Block Kit's limits: a header's text, a section's text, a field's text.
    HEADER, SECTION, FIELD = 150, 3000, 2000

    def __init__(self, url: str, settings: AlertSettings, sleep: Callable[[float], None] = time.sleep):
        self.url = url
        self.settings = settings
        self.sleep = sleep

    def render(self, alert: Alert) -> dict[str, Any]:
        icon = ":white_check_mark:" if alert.action == RESOLVE else {
            "critical": ":rotating_light:", "error": ":red_circle:", "warning": ":warning:"}.get(alert.severity, "")
        fields = []
        for name, value in _fields(alert):
            if name == "Run":
                shown = _link(value, f"run {alert.run_id[:8]}")
            elif name == "Runbook":
                shown = _link(value, alert.kind.anchor)
            else:
                shown = f"`{_mrkdwn(value)}`" if name in ("Table", "Check", "Job", "Step") else _mrkdwn(value)
            fields.append({"type": "mrkdwn", "text": _cut(f"*{name}*\n{shown}", self.FIELD)})
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": _cut(f"{icon} {alert.title}".strip(), self.HEADER)}},
            {"type": "section", "fields": fields[:10]},
        ]
        if alert.action == TRIGGER:
            if alert.details:
                label = "Vendor's message" if alert.key.scope == "step" else "Details"
                text = "\n".join(f"• {_mrkdwn(d)}" for d in alert.details)
                blocks.append({"type": "section", "text": {"type": "mrkdwn",
                                                           "text": _cut(f"*{label}*\n{text}", self.SECTION)}})
            if alert.sample:
                rows = "\n".join(json.dumps(r, default=str, sort_keys=True) for r in _rows(alert))
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(
                    f"*Sample rows*\n```{_mrkdwn(rows)}```", self.SECTION)}})
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(
                f"*What to do first:* {_mrkdwn(alert.first_step)} {_link(alert.runbook_url, 'Runbook')}",
                self.SECTION)}})
        else:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _mrkdwn(
                f"Opened by run {(alert.opened_run_id or '')[:8]}; no action needed.")}]})
        return {"text": alert.summary, "blocks": blocks}

    def deliver(self, body: Mapping[str, Any]) -> None:
        post_json(self.url, body, self.settings, self.sleep)


class PagerDutyChannel:
    """PagerDuty Events API v2: a trigger event per alert, and a resolve with the same dedup_key."""

    name = "pagerduty"

    def __init__(self, url: str, routing_key: str, settings: AlertSettings,
                 sleep: Callable[[float], None] = time.sleep):
        self.url = url
        self.routing_key = routing_key
        self.settings = settings
        self.sleep = sleep

    def render(self, alert: Alert) -> dict[str, Any]:
        """Everything but the routing key, which only `deliver` adds (after redaction)."""
        if alert.action == RESOLVE:
            return {"event_action": "resolve", "dedup_key": alert.key.dedup_key}
        details: dict[str, Any] = {"window": alert.window, "run_id": alert.run_id, "run_url": alert.run_url,
                                   "runbook": alert.runbook_url, "what_to_do_first": alert.first_step}
        if alert.key.scope == "check":
            details.update(table=alert.key.subject, check=alert.key.name)
        else:
            details.update(job=alert.key.subject, step=alert.key.name)
        if alert.failing_count is not None:
            details["failing_count"] = alert.failing_count
        if alert.details:
            details["vendor_message" if alert.key.scope == "step" else "details"] = list(alert.details)
        if alert.sample:
            details["sample"] = _rows(alert)
        body: dict[str, Any] = {
            "event_action": "trigger",
            "dedup_key": alert.key.dedup_key,
            "payload": {
                "summary": alert.summary,
                "source": alert.key.subject,
                "severity": alert.severity,
                "timestamp": datetime.now(UTC).isoformat(),
                "component": alert.key.name,
                "group": alert.job,
                "class": alert.kind.value,
                "custom_details": details,
            },
            "client": CLIENT,
            # PagerDuty links need absolute URLs; a relative runbook path stays in custom_details.
            "links": [link for link in ({"href": alert.run_url, "text": f"Dagster run {alert.run_id[:8]}"},
                                        {"href": alert.runbook_url, "text": f"Runbook: {alert.kind.anchor}"})
                      if _absolute(link["href"])],
        }
        if _absolute(alert.run_url):
            body["client_url"] = alert.run_url
        return body

    def deliver(self, body: Mapping[str, Any]) -> None:
        post_json(self.url, {"routing_key": self.routing_key, **body}, self.settings, self.sleep)


class EmailChannel:
    """Plain-text email over SMTP: STARTTLS when the server offers it, login only with a user."""

    name = "email"

    def __init__(self, server: SmtpServer, sender: str, recipients: tuple[str, ...], settings: AlertSettings,
                 sleep: Callable[[float], None] = time.sleep):
        self.server = server
        self.sender = sender
        self.recipients = recipients
        self.settings = settings
        self.sleep = sleep

    def render(self, alert: Alert) -> dict[str, Any]:
        if alert.action == RESOLVE:
            subject = f"[funnelhouse] resolved: {alert.what} ({alert.window})"
        else:
            subject = f"[funnelhouse] {alert.severity}: {alert.kind} {alert.what} ({alert.window})"
        # One thread per alert: the resolve answers the trigger's message.
        thread = f"<{alert.key.dedup_key[:32]}.{(alert.opened_run_id or alert.run_id)[:8]}@funnelhouse.alerts>"
        return {"subject": _cut(subject, 200), "text": plain_text(alert), "thread": thread, "action": alert.action}

    def message(self, body: Mapping[str, Any]) -> EmailMessage:
        message = EmailMessage()
        message["Subject"] = body["subject"]
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Date"] = format_datetime(datetime.now(UTC))
        if body["action"] == RESOLVE:
            message["Message-ID"] = make_msgid(domain="funnelhouse.alerts")
            message["In-Reply-To"] = body["thread"]
            message["References"] = body["thread"]
        else:
            message["Message-ID"] = body["thread"]
        message.set_content(body["text"])
        return message

    def deliver(self, body: Mapping[str, Any]) -> None:
        message = self.message(body)
        last = "no attempt"
        for attempt in range(1, self.settings.attempts + 1):
            try:
                self._send(message)
                return
            except smtplib.SMTPResponseException as exc:
                # 4xx is transient by RFC 5321; 5xx (a refused login, an unknown recipient) is not.
                last = f"SMTP {exc.smtp_code}"
                if not 400 <= exc.smtp_code < 500:
                    raise ChannelError(last) from None
            except smtplib.SMTPRecipientsRefused:
                raise ChannelError("SMTP: every recipient was refused") from None
            except smtplib.SMTPNotSupportedError:
                raise ChannelError("SMTP: the server offers no login (AUTH) on this connection") from None
            except smtplib.SMTPServerDisconnected as exc:
                last = type(exc).__name__
            except ssl.SSLCertVerificationError:
                raise ChannelError("SMTP: the server's TLS certificate is not trusted") from None
            except smtplib.SMTPException as exc:
                raise ChannelError(f"SMTP: {type(exc).__name__}") from None
            except OSError as exc:
                # Connection refused, timed out, name not resolved: worth another try.
                last = type(exc).__name__
            if attempt < self.settings.attempts:
                self.sleep(self.settings.backoff * 2 ** (attempt - 1))
        raise ChannelError(f"{last} after {self.settings.attempts} attempts")

    def _send(self, message: EmailMessage) -> None:
        server = self.server
        context = ssl.create_default_context()
        if server.ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=self.settings.timeout,
                                                  context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=self.settings.timeout)
        with smtp:
            smtp.ehlo()
            if not server.ssl and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.user:
                smtp.login(server.user, server.password or "")
            smtp.send_message(message)
