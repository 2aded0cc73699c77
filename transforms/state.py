"""What each model's table holds, as its last build left it: `audit.model_builds`, one row per relation.

The runner writes a row in the same transaction as the build, so the record never disagrees with
the table. It decides the next build: a model is rebuilt incrementally only when its table exists
and was built from the same SQL and inputs (`fingerprint`). Publish reads it to learn whether a
candidate mart holds the whole mart or only the rows of some days, which then replace those days
of the published mart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa

from warehouse import Warehouse

SCHEMA = "audit"
TABLE = f"{SCHEMA}.model_builds"
# Days a run set out to rebuild and has not yet: cleared once built (a mart: once published), so a
# run that failed, or was held back, leaves its days to the next run's window.
PENDING = f"{SCHEMA}.model_pending"
# Days of raw data a non-windowed load changed (a file source's), noted by its ingestion and taken
# into the next models' build, whose window then covers them.
CHANGES = f"{SCHEMA}.raw_changes"
FULL = "full"
WINDOW = "window"

DDL = (
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"CREATE TABLE IF NOT EXISTS {TABLE} (relation varchar NOT NULL, fingerprint varchar NOT NULL, "
    "run_id varchar NOT NULL, built_at timestamp with time zone NOT NULL, mode varchar NOT NULL, "
    "date_column varchar, window_start date, window_end date, row_count bigint NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {PENDING} (relation varchar NOT NULL, date_column varchar NOT NULL, "
    "window_start date NOT NULL, window_end date NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {CHANGES} (source varchar NOT NULL, date_from date NOT NULL, "
    "date_to date NOT NULL, noted_at timestamp with time zone NOT NULL)",
)


@dataclass(frozen=True)
class Window:
    """The days `column` between `start` and `end`, both included."""

    column: str
    start: date
    end: date

    def hull(self, other: Window | None) -> Window:
        """The smallest window covering both: one range of days keeps a rebuild to one delete."""
        if other is None:
            return self
        return Window(self.column, min(self.start, other.start), max(self.end, other.end))

    def predicate(self, column: str | None = None) -> str:
        return (f"{column or self.column} between cast('{self.start.isoformat()}' as date) "
                f"and cast('{self.end.isoformat()}' as date)")


@dataclass(frozen=True)
class Build:
    relation: str
    fingerprint: str
    run_id: str
    # The days this build replaced, or None when the table was rebuilt whole.
    window: Window | None
    row_count: int

    @property
    def partial(self) -> bool:
        return self.window is not None

    @property
    def mode(self) -> str:
        return WINDOW if self.partial else FULL


def ensure(warehouse: Warehouse, conn: sa.Connection) -> None:
    for statement in DDL:
        warehouse.run_statement(conn, statement)


def read(warehouse: Warehouse, conn: sa.Connection,
         relations: set[tuple[str, str]] | None = None) -> dict[str, Build]:
    """Every relation's last build; empty before the first. `relations`: the warehouse's, when the
    caller has read them already."""
    if (SCHEMA, "model_builds") not in (warehouse.relations(conn) if relations is None else relations):
        return {}
    found = {}
    for row in conn.exec_driver_sql(f"SELECT relation, fingerprint, run_id, date_column, window_start, "
                                    f"window_end, row_count FROM {TABLE}"):
        relation, fingerprint, run_id, column, start, end, rows = row
        window = Window(column, _day(start), _day(end)) if column and start and end else None
        found[relation] = Build(relation, fingerprint, run_id, window, int(rows))
    return found


def record(warehouse: Warehouse, conn: sa.Connection, build: Build, settled: bool = False) -> None:
    """Call inside the build's transaction. `settled`: the build did the relation's pending days."""
    ensure(warehouse, conn)
    if settled:
        conn.execute(sa.text(f"DELETE FROM {PENDING} WHERE relation = :relation"), {"relation": build.relation})
    conn.execute(sa.text(f"DELETE FROM {TABLE} WHERE relation = :relation"), {"relation": build.relation})
    window = build.window
    conn.execute(
        sa.text(f"INSERT INTO {TABLE} VALUES (:relation, :fingerprint, :run_id, :at, :mode, :column, :start, :end, "
                ":rows)"),
        {"relation": build.relation, "fingerprint": build.fingerprint, "run_id": build.run_id,
         "at": datetime.now(UTC), "mode": build.mode, "column": window.column if window else None,
         "start": window.start if window else None, "end": window.end if window else None, "rows": build.row_count},
    )


def pending(warehouse: Warehouse, conn: sa.Connection,
            relations: set[tuple[str, str]] | None = None) -> dict[str, Window]:
    if (SCHEMA, "model_pending") not in (warehouse.relations(conn) if relations is None else relations):
        return {}
    return {relation: Window(column, _day(start), _day(end))
            for relation, column, start, end in conn.exec_driver_sql(
                f"SELECT relation, date_column, window_start, window_end FROM {PENDING}")}


def set_pending(warehouse: Warehouse, conn: sa.Connection, windows: Mapping[str, Window]) -> None:
    """Record the days each relation is to rebuild (already merged with what was pending)."""
    ensure(warehouse, conn)
    for relation, window in windows.items():
        conn.execute(sa.text(f"DELETE FROM {PENDING} WHERE relation = :relation"), {"relation": relation})
        conn.execute(sa.text(f"INSERT INTO {PENDING} VALUES (:relation, :column, :start, :end)"),
                     {"relation": relation, "column": window.column, "start": window.start, "end": window.end})


def clear_pending(warehouse: Warehouse, conn: sa.Connection, relations: Sequence[str]) -> None:
    """Call inside the transaction that published the relations' pending days."""
    ensure(warehouse, conn)
    for relation in relations:
        conn.execute(sa.text(f"DELETE FROM {PENDING} WHERE relation = :relation"), {"relation": relation})


def rename(warehouse: Warehouse, conn: sa.Connection, relation: str, to: str) -> None:
    """A table renamed into place keeps its record under its new name (publish's swap)."""
    ensure(warehouse, conn)
    conn.execute(sa.text(f"DELETE FROM {TABLE} WHERE relation = :to"), {"to": to})
    conn.execute(sa.text(f"UPDATE {TABLE} SET relation = :to WHERE relation = :relation"),
                 {"relation": relation, "to": to})


def adjust_rows(warehouse: Warehouse, conn: sa.Connection, relation: str, change: int) -> None:
    """Rows removed after the build (set aside in quarantine) leave the recorded count too."""
    conn.execute(sa.text(f"UPDATE {TABLE} SET row_count = row_count + :change WHERE relation = :relation"),
                 {"relation": relation, "change": change})


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def note_changes(warehouse: Warehouse, conn: sa.Connection, source: str, start: date, end: date) -> None:
    """Record that a load of `source` changed the days `start` to `end` of its raw data."""
    ensure(warehouse, conn)
    conn.execute(sa.text(f"INSERT INTO {CHANGES} VALUES (:source, :start, :end, :at)"),
                 {"source": source, "start": start, "end": end, "at": datetime.now(UTC)})


def take_changes(warehouse: Warehouse, conn: sa.Connection, sources: Sequence[str],
                 relations: set[tuple[str, str]] | None = None) -> tuple[date, date] | None:
    """The days the sources' loads changed since models last took them, and forget them. Call in the
    transaction that records the models' pending days, so a build that fails keeps them pending."""
    if (SCHEMA, "raw_changes") not in (warehouse.relations(conn) if relations is None else relations):
        return None
    if not sources:
        return None
    names = {f"s{i}": name for i, name in enumerate(sources)}
    where = f"source IN ({', '.join(':' + key for key in names)})"
    row = conn.execute(sa.text(f"SELECT min(date_from), max(date_to), max(noted_at) FROM {CHANGES} WHERE {where}"),
                       names).one()
    if row[0] is None:
        return None
    # Only what was read: a load noting its days meanwhile leaves them for the next build.
    conn.execute(sa.text(f"DELETE FROM {CHANGES} WHERE {where} AND noted_at <= :seen"), {**names, "seen": row[2]})
    return _day(row[0]), _day(row[1])
