"""Which alerts are open, kept in the warehouse (`audit.alerts`) so that every process (the CLI, the
Dagster daemon's sensor, a rerun tomorrow) sees the same state.

One row per alert and channel: a channel that failed to send a trigger has no row, so the next
failing run tries it again; a resolve closes the row only once the channel took it. Resolved rows
stay, as the history of what on-call was told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from alerts.model import AlertKey, Kind
from warehouse import Warehouse

AUDIT_SCHEMA = "audit"
ALERTS = f"{AUDIT_SCHEMA}.alerts"
_COLUMNS = (
    "dedup_key varchar NOT NULL, channel varchar NOT NULL, scope varchar NOT NULL, subject varchar NOT NULL, "
    "name varchar NOT NULL, partition_key varchar NOT NULL, kind varchar NOT NULL, severity varchar NOT NULL, "
    "job varchar NOT NULL, opened_run_id varchar NOT NULL, opened_at timestamp with time zone NOT NULL, "
    "resolved_run_id varchar, resolved_at timestamp with time zone"
)


@dataclass(frozen=True)
class OpenAlert:
    key: AlertKey
    channel: str
    kind: Kind
    severity: str
    job: str
    opened_run_id: str
    opened_at: datetime


class AlertStore:
    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def ensure(self) -> None:
        self.warehouse.execute([f"CREATE SCHEMA IF NOT EXISTS {AUDIT_SCHEMA}",
                                f"CREATE TABLE IF NOT EXISTS {ALERTS} ({_COLUMNS})"])

    def open_alerts(self) -> list[OpenAlert]:
        rows = self.warehouse.rows(
            f"SELECT scope, subject, name, partition_key, channel, kind, severity, job, opened_run_id, opened_at "
            f"FROM {ALERTS} WHERE resolved_at IS NULL ORDER BY opened_at, subject, name, partition_key, channel"
        )
        return [OpenAlert(AlertKey(scope, subject, name, partition), channel, Kind(kind), severity, job, run_id, at)
                for scope, subject, name, partition, channel, kind, severity, job, run_id, at in rows]

    def opened(self, key: AlertKey, channel: str, kind: Kind, severity: str, job: str, run_id: str,
               at: datetime) -> None:
        with self.warehouse.begin() as conn:
            conn.execute(sa.text(
                f"INSERT INTO {ALERTS} (dedup_key, channel, scope, subject, name, partition_key, kind, severity, job, "
                "opened_run_id, opened_at) VALUES (:dedup, :channel, :scope, :subject, :name, :partition, :kind, "
                ":severity, :job, :run_id, :at)"
            ), {"dedup": key.dedup_key, "channel": channel, "scope": key.scope, "subject": key.subject,
                "name": key.name, "partition": key.partition, "kind": kind.value, "severity": severity, "job": job,
                "run_id": run_id, "at": at})

    def resolved(self, key: AlertKey, channel: str, run_id: str, at: datetime) -> None:
        with self.warehouse.begin() as conn:
            conn.execute(sa.text(
                f"UPDATE {ALERTS} SET resolved_run_id = :run_id, resolved_at = :at "
                "WHERE dedup_key = :dedup AND channel = :channel AND resolved_at IS NULL"
            ), {"run_id": run_id, "at": at, "dedup": key.dedup_key, "channel": channel})
