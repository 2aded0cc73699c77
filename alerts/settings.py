"""The alert channels' settings, resolved the way every `FUNNELHOUSE_*` setting is (environment,
then `.dlt/config.toml` / `.dlt/secrets.toml`) when alerts are sent, never at import.

Each channel is off until its key is set. A channel set up wrongly is reported, naming the key and
never the value, and left off: the others still send.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from alerts.model import Kind

DEFAULT_PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
# Where `make dev` serves the Dagster UI; a deployment sets its own.
DEFAULT_UI_URL = "http://127.0.0.1:3000"
DEFAULT_RUNBOOK_URL = "docs/oncall.md"

# dlt's names (env vars are the same upper-cased): (key, default, secret).
KEYS: dict[str, tuple[str, str | None, bool]] = {
    "webhook_url": ("funnelhouse_alert_webhook_url", None, True),
    "slack_webhook_url": ("funnelhouse_alert_slack_webhook_url", None, True),
    "pagerduty_routing_key": ("funnelhouse_alert_pagerduty_routing_key", None, True),
    "pagerduty_url": ("funnelhouse_alert_pagerduty_url", DEFAULT_PAGERDUTY_URL, False),
    "smtp_url": ("funnelhouse_alert_smtp_url", None, True),
    "email_from": ("funnelhouse_alert_email_from", None, False),
    "email_to": ("funnelhouse_alert_email_to", None, False),
    "ui_url": ("funnelhouse_ui_url", DEFAULT_UI_URL, False),
    "runbook_url": ("funnelhouse_runbook_url", DEFAULT_RUNBOOK_URL, False),
}


def env_name(field: str) -> str:
    return KEYS[field][0].upper()


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    ssl: bool
    user: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpServer:
    """`smtp://[user[:password]@]host[:port]` (STARTTLS when offered; port 25 by default) or
    `smtps://...` (TLS from the start; port 465). Raises ValueError naming the key, not the value."""
    parts = urlsplit(url)
    problem = f"{env_name('smtp_url')} must be smtp://[user:password@]host[:port] or smtps://..."
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError(problem)
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 25)
    except ValueError:
        raise ValueError(problem) from None
    return SmtpServer(parts.hostname, port, parts.scheme == "smtps",
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password is not None else None)


@dataclass(frozen=True)
class AlertSettings:
    webhook_url: str | None = None
    slack_webhook_url: str | None = None
    pagerduty_routing_key: str | None = None
    pagerduty_url: str = DEFAULT_PAGERDUTY_URL
    smtp_url: str | None = None
    email_from: str | None = None
    email_to: tuple[str, ...] = ()
    ui_url: str = DEFAULT_UI_URL
    runbook_url: str = DEFAULT_RUNBOOK_URL
    # Sending is bounded: each request waits at most `timeout` seconds, and is tried `attempts`
    # times on 429, 5xx and connection errors, `backoff` seconds apart and doubling.
    timeout: float = 10.0
    attempts: int = 3
    backoff: float = 1.0
    # A vendor asking to wait longer than this (Retry-After) is not waited for.
    max_wait: float = 30.0

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_url.rstrip('/')}/runs/{run_id}"

    def runbook(self, kind: Kind) -> str:
        return f"{self.runbook_url}#{kind.anchor}"

    def secrets(self) -> list[str]:
        """The channels' own secrets: webhook URLs carry their token, as may the generic one."""
        values = [self.webhook_url, self.slack_webhook_url, self.pagerduty_routing_key, self.smtp_url]
        if self.smtp_url:
            try:
                values.append(parse_smtp_url(self.smtp_url).password)
            except ValueError:
                pass
        return [v for v in values if v]

    def channels(self) -> tuple[list, list[str]]:
        """The channels whose keys are set, and what is wrong with the others (by key, never value)."""
        from alerts import channels

        found: list = []
        problems: list[str] = []

        def http_url(field: str, value: str) -> bool:
            if value.startswith(("https://", "http://")):
                return True
            problems.append(f"{env_name(field)} must be an http(s) URL; that channel is off")
            return False

        if self.webhook_url and http_url("webhook_url", self.webhook_url):
            found.append(channels.WebhookChannel(self.webhook_url, self))
        if self.slack_webhook_url and http_url("slack_webhook_url", self.slack_webhook_url):
            found.append(channels.SlackChannel(self.slack_webhook_url, self))
        if self.pagerduty_routing_key and http_url("pagerduty_url", self.pagerduty_url):
            found.append(channels.PagerDutyChannel(self.pagerduty_url, self.pagerduty_routing_key, self))
        if self.smtp_url:
            missing = [env_name(f) for f, v in (("email_from", self.email_from), ("email_to", self.email_to)) if not v]
            bad = [a for a in (self.email_from, *self.email_to) if a and "@" not in a]
            try:
                server = parse_smtp_url(self.smtp_url)
            except ValueError as exc:
                problems.append(f"{exc}; email alerts are off")
            else:
                if missing:
                    problems.append(f"{' and '.join(missing)} must be set with {env_name('smtp_url')}; "
                                    "email alerts are off")
                elif bad:
                    problems.append(f"{env_name('email_from')} and {env_name('email_to')} must be email addresses; "
                                    "email alerts are off")
                else:
                    found.append(channels.EmailChannel(server, self.email_from or "", self.email_to, self))
        return found, problems


def load_alert_settings() -> AlertSettings:
    """Read now, from the environment and `.dlt/*.toml`: a change applies to the next alert sent."""
    from warehouse.settings import setting_value

    values = {field: setting_value(key) or default for field, (key, default, _) in KEYS.items()}
    recipients = tuple(a.strip() for a in (values.pop("email_to") or "").split(",") if a.strip())
    return AlertSettings(**{k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()},
                         email_to=recipients)
