"""Which models a run rebuilds whole, and which only by the days of its window.

A model declared `build: {incremental: <date column>}` is rebuilt by its window's days when its
table exists and was last built from the same SQL and inputs: its fingerprint covers the SQL as
rendered for the engine (the reporting currency included), its declaration, and the fingerprints of
everything it reads, seeds by content. So an edited model, an edited overrides CSV or another
reporting currency rebuilds the model and everything built from it whole, on the next run, without
anyone asking. A full refresh is one flag away. Days a run set out to rebuild and did not (it
failed, or the gate held the mart back) stay pending and join the next run's window.

What an incremental model cannot see: a name or status changed on a day outside the window keeps
its old value on those days until a full refresh, as in dbt's incremental models.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from transforms.models import SEED_SCHEMA, Model, live_relation
from transforms.state import Build, Window


@dataclass(frozen=True)
class Plan:
    """How one model is built this run: by `window`, or whole (window None), and why."""

    window: Window | None
    reason: str


def model_window(start: date, end: date, lookback_days: int) -> tuple[date, date]:
    """The days a run's models rebuild: its dates, widened (as the windowed sources' loads are) to the
    restatement lookback before its end."""
    if lookback_days:
        start = min(start, end - timedelta(days=lookback_days - 1))
    return start, end


def fingerprints(models: Iterable[Model], variables: Mapping[str, object], dialect: str,
                 seeds: Mapping[str, Path]) -> dict[str, str]:
    """Each model's fingerprint by relation; `models` in dependency order, `seeds` by name."""
    found = {f"{SEED_SCHEMA}.{name}": hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
             for name, path in seeds.items()}
    for model in models:
        digest = hashlib.sha256()
        for part in (dialect, repr(model.build), model.render(variables),
                     *(found.get(f"{schema}.{table}", "") for schema, table in sorted(model.deps))):
            digest.update(part.encode())
            digest.update(b"\0")
        found[model.relation] = digest.hexdigest()[:16]
    return found


def built_relation(model: Model) -> str:
    """Where a model's history lives: its table, or for a mart the published table behind the view
    (a mart's candidate holds only what the run rebuilt)."""
    return ".".join(live_relation(model.name)) if model.layer == "marts" else model.relation


def plan(model: Model, fingerprint: str, builds: Mapping[str, Build], pending: Mapping[str, Window],
         existing: set[tuple[str, str]], days: tuple[date, date], full_refresh: bool) -> Plan:
    column = model.incremental
    if column is None:
        return Plan(None, f"built whole: {model.build.reason}")
    if full_refresh:
        return Plan(None, "built whole: a full refresh was asked for")
    target = built_relation(model)
    record = builds.get(target)
    if record is None or tuple(target.split(".", 1)) not in existing:
        return Plan(None, "built whole: its first build")
    if record.fingerprint != fingerprint:
        return Plan(None, "built whole: its SQL or what it reads changed since its last build")
    window = Window(column, *days).hull(pending.get(model.relation))
    return Plan(window, f"days {window.start} to {window.end}")
