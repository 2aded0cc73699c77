"""From a run's observations to messages: one trigger per alert and channel until it resolves, then
one resolve.

- A failing observation triggers only where no alert is open for its key (asset + check +
  partition, or job + step + partition), channel by channel.
- A passing one resolves every open alert of the same check (or step), whatever its partition:
  checks evaluate the whole table as it stands after the run.
- A channel that fails is logged and reported; it neither stops the others nor fails the run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from alerts.channels import ChannelError
from alerts.model import RESOLVE, TRIGGER, Alert, Observation
from alerts.redact import Redactor, source_secrets
from alerts.settings import AlertSettings, load_alert_settings
from alerts.store import AlertStore, OpenAlert
from warehouse import Warehouse

log = logging.getLogger("funnelhouse.alerts")


@dataclass(frozen=True)
class Delivery:
    action: str
    alert: Alert
    channel: str
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class DispatchReport:
    channels: tuple[str, ...] = ()
    deliveries: list[Delivery] = field(default_factory=list)
    # Channels set up wrongly, by key: they were left off.
    problems: list[str] = field(default_factory=list)

    def _alerts(self, action: str) -> list[Alert]:
        seen: dict[tuple[str, str], Alert] = {}
        for d in self.deliveries:
            if d.ok and d.action == action:
                seen.setdefault((d.alert.key.dedup_key, d.alert.run_id), d.alert)
        return list(seen.values())

    @property
    def triggered(self) -> list[Alert]:
        return self._alerts(TRIGGER)

    @property
    def resolved(self) -> list[Alert]:
        return self._alerts(RESOLVE)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if not d.ok]

    def lines(self) -> list[str]:
        """The run summary's lines: a total, then one line per alert sent or resolved, with its channels."""
        if not self.channels:
            head = ["alerts: off (no channel configured; see FUNNELHOUSE_ALERT_* in the README)"]
            return head + [f"  alert setting: {p}" for p in self.problems]
        used = [c for c in self.channels if any(d.ok and d.channel == c for d in self.deliveries)]
        lines = [f"alerts: {len(self.triggered)} triggered, {len(self.resolved)} resolved"
                 + (f" ({', '.join(used)})" if used else "")]
        per_alert: dict[tuple[str, str], list[str]] = {}
        for d in self.deliveries:
            if d.ok:
                per_alert.setdefault((d.action, d.alert.key.dedup_key), []).append(d.channel)
        shown: set[tuple[str, str]] = set()
        for d in self.deliveries:
            marker = (d.action, d.alert.key.dedup_key)
            if not d.ok or marker in shown:
                continue
            shown.add(marker)
            verb = "triggered" if d.action == TRIGGER else "resolved"
            lines.append(f"  {verb} {d.alert.kind} {d.alert.what} [{d.alert.window}]: {', '.join(per_alert[marker])}")
        for d in self.failed:
            lines.append(f"  not sent ({d.channel}, {d.action}) {d.alert.what} [{d.alert.window}]: {d.error}")
        lines += [f"  alert setting: {p}" for p in self.problems]
        return lines


def _latest(observations: Iterable[Observation]) -> list[Observation]:
    """The last evaluation of each check (or step) in the run: a retried step reports twice."""
    latest: dict[tuple[str, str, str], Observation] = {}
    for obs in observations:
        key = (obs.scope, obs.subject, obs.name)
        latest.pop(key, None)
        latest[key] = obs
    return list(latest.values())


def _trigger(obs: Observation, settings: AlertSettings, redact: Redactor) -> Alert:
    assert obs.kind is not None
    return Alert(
        action=TRIGGER, kind=obs.kind, key=obs.key, job=obs.job, run_id=obs.run_id,
        severity=obs.severity or obs.kind.default_severity,
        run_url=settings.run_url(obs.run_id), runbook_url=settings.runbook(obs.kind),
        failing_count=obs.failing_count, sample=tuple(redact(dict(row)) for row in obs.sample),
        details=tuple(redact.text(str(d)) for d in obs.details),
    )


def _resolve(row: OpenAlert, obs: Observation, settings: AlertSettings) -> Alert:
    return Alert(
        action=RESOLVE, kind=row.kind, key=row.key, job=row.job, run_id=obs.run_id, severity=row.severity,
        run_url=settings.run_url(obs.run_id), runbook_url=settings.runbook(row.kind), opened_run_id=row.opened_run_id,
    )


def _send(channel: Any, alert: Alert, redact: Redactor, report: DispatchReport) -> bool:
    try:
        channel.deliver(redact(channel.render(alert)))
    except ChannelError as exc:
        error = redact.text(str(exc))
    except Exception as exc:
        # Whatever a channel does wrong, the run goes on and the others still send.
        error = f"{type(exc).__name__}: {redact.text(str(exc))[:200]}"
    else:
        report.deliveries.append(Delivery(alert.action, alert, channel.name))
        return True
    log.warning("alert channel %s could not send the %s of %s [%s]: %s", channel.name, alert.action, alert.what,
                alert.window, error)
    report.deliveries.append(Delivery(alert.action, alert, channel.name, error))
    return False


def dispatch(observations: Sequence[Observation] | Iterable[Observation], warehouse: Warehouse,
             settings: AlertSettings | None = None, *, channels: list | None = None) -> DispatchReport:
    """Send what the observations call for, and record it in `audit.alerts`.

    `settings` default to the configured ones (read now); `channels` to those the settings enable.
    Raises only when the warehouse cannot be read or written: the caller decides whether to retry.
    """
    settings = settings or load_alert_settings()
    report = DispatchReport()
    if channels is None:
        channels, report.problems = settings.channels()
    for problem in report.problems:
        log.warning("alerts: %s", problem)
    report.channels = tuple(c.name for c in channels)
    if not channels:
        return report
    redact = Redactor([*source_secrets(), *settings.secrets()])
    store = AlertStore(warehouse)
    store.ensure()
    open_rows = store.open_alerts()
    is_open = {(row.key, row.channel) for row in open_rows}
    latest = _latest(observations)

    for obs in latest:
        if obs.passed:
            continue
        alert = _trigger(obs, settings, redact)
        for channel in channels:
            if (obs.key, channel.name) in is_open:
                continue
            if _send(channel, alert, redact, report):
                store.opened(obs.key, channel.name, alert.kind, alert.severity, obs.job, obs.run_id, _now())

    passing = {(o.scope, o.subject, o.name): o for o in latest if o.passed}
    by_name = {c.name: c for c in channels}
    for row in open_rows:
        obs = passing.get((row.key.scope, row.key.subject, row.key.name))
        # A channel switched off since keeps its row open: its resolve goes out when it is back.
        if obs is None or row.channel not in by_name:
            continue
        if _send(by_name[row.channel], _resolve(row, obs, settings), redact, report):
            store.resolved(row.key, row.channel, obs.run_id, _now())
    return report


def _now() -> datetime:
    return datetime.now(UTC)
