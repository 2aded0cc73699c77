"""Publish: the candidates that passed their gate become what `marts.<name>` shows, every mart of a
publication in one transaction, at a cost that does not grow with the marts' size.

`marts.<name>` is a view of `marts_candidate.<name>__live` (`models.live_relation`). A candidate
holding the whole mart is renamed into place, never copied: the live table is renamed away, the
candidate renamed to live, the view re-pointed (PostgreSQL binds a view to a table, not to its name)
and the old table dropped. A candidate holding only a window's days (an incremental build, as
`transforms.state` records it) replaces those days of the live table: a DELETE of the window, which
an index finds on PostgreSQL and zone maps on DuckDB, and an INSERT of the candidate's rows.
Both engines have transactional DDL, so readers see every mart before the publication or after it,
never a mix.

The views declared over a mart (`transforms.views`) are dropped before it is replaced and created
again after, in the same transaction.

Each publication is recorded in `audit.publications`, one row per mart, in the same transaction,
with the live table's row count. That count is kept in one place, the live table's build record
(`transforms.state`): a swap brings the candidate's record along, a merge adjusts it by the rows it
deleted and inserted, since counting the live table would cost as much as the mart is large.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa

from transforms import state
from transforms.models import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA, Relation, live_relation
from transforms.runner import BuildResult, MissingInputError
from transforms.views import views_of
from warehouse import Warehouse
from warehouse.engine import Column

AUDIT_SCHEMA = "audit"
PUBLICATIONS = f"{AUDIT_SCHEMA}.publications"
_LOG_COLUMNS = ("mart varchar NOT NULL", "run_id varchar NOT NULL", "published_at timestamp with time zone NOT NULL",
                "row_count bigint NOT NULL", "sources varchar NOT NULL")
# Added later, so added to older warehouses' logs: how the mart was replaced, and which days.
_ADDED_LOG_COLUMNS = ("mode varchar", "window_start date", "window_end date")
# What PostgreSQL says when CREATE OR REPLACE VIEW would drop, rename or retype a column.
_VIEW_COLUMNS_CHANGED = "42P16"


FULL_REFRESH = "`funnelhouse run --full-refresh`, or full_refresh in the launchpad's transform_models config"


class PublishError(RuntimeError):
    """A candidate cannot replace its mart as it stands; the message names the mart and what to do."""


def publish(warehouse: Warehouse, names: Sequence[str], run_id: str, sources: Sequence[str]) -> dict[str, BuildResult]:
    """Replace `marts.<name>` with its candidate for every name, in one transaction: all of them or
    none, each recorded in `audit.publications`. Raises MissingInputError when a candidate does not
    exist, PublishError when one cannot replace its mart."""
    published_at = datetime.now(UTC)
    results: dict[str, BuildResult] = {}
    with warehouse.begin() as conn:
        _ensure_log(warehouse, conn)
        if warehouse.dialect == "postgres":
            # One publisher at a time: a partial publication must start from the live table and the
            # row count the previous one committed. Readers never take this lock.
            warehouse.run_statement(conn, f"LOCK TABLE {PUBLICATIONS} IN SHARE ROW EXCLUSIVE MODE")
        kinds = _relation_kinds(conn)
        missing = [n for n in names if (CANDIDATE_SCHEMA, n) not in kinds]
        if missing:
            raise MissingInputError(f"no candidate to publish for {', '.join(missing)}")
        builds = state.read(warehouse, conn)
        windows = {n: _window(n, builds.get(f"{CANDIDATE_SCHEMA}.{n}"), kinds) for n in names}
        whole = [n for n in names if windows[n] is None]
        over = [view for name in names for view in views_of(name)]
        # Before the marts are locked, as a reader of a view over a mart locks the view first; and
        # before they are re-pointed, which PostgreSQL refuses for a mart whose columns change while
        # a view still reads it.
        for view in over:
            if (PUBLISHED_SCHEMA, view.name) in kinds:
                warehouse.run_statement(conn, f"DROP VIEW {view.relation}")
        if warehouse.dialect == "postgres":
            _lock_views(warehouse, conn, whole, kinds)
        for name in names:
            window = windows[name]
            if window is None:
                build = builds.get(f"{CANDIDATE_SCHEMA}.{name}")
                count = _swap(warehouse, conn, name, kinds, build.row_count if build else None)
            else:
                count = _merge(warehouse, conn, name, window, kinds, builds.get(".".join(live_relation(name))))
            columns = tuple(warehouse.columns(PUBLISHED_SCHEMA, name, conn))
            results[name] = BuildResult(f"{PUBLISHED_SCHEMA}.{name}", count, columns)
            conn.execute(
                sa.text(f"INSERT INTO {PUBLICATIONS} (mart, run_id, published_at, row_count, sources, mode, "
                        "window_start, window_end) VALUES (:mart, :run_id, :at, :rows, :sources, :mode, :start, :end)"),
                {"mart": name, "run_id": run_id, "at": published_at, "rows": count, "sources": ",".join(sources),
                 "mode": state.WINDOW if window else state.FULL,
                 "start": window.start if window else None, "end": window.end if window else None},
            )
        for view in over:
            warehouse.run_statement(conn, view.create_sql(warehouse.dialect))
        # The whole candidates are live tables now, and their records go with them: the next run
        # rebuilds an incremental mart by its days only when its live table was built from the same SQL.
        for name in whole:
            if f"{CANDIDATE_SCHEMA}.{name}" in builds:
                state.rename(warehouse, conn, f"{CANDIDATE_SCHEMA}.{name}", ".".join(live_relation(name)))
        state.clear_pending(warehouse, conn, [f"{CANDIDATE_SCHEMA}.{name}" for name in names])
    return results


def _ensure_log(warehouse: Warehouse, conn: sa.Connection) -> None:
    for statement in (f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED_SCHEMA}", f"CREATE SCHEMA IF NOT EXISTS {AUDIT_SCHEMA}",
                      f"CREATE TABLE IF NOT EXISTS {PUBLICATIONS} ({', '.join(_LOG_COLUMNS + _ADDED_LOG_COLUMNS)})"):
        warehouse.run_statement(conn, statement)
    present = {c.name for c in warehouse.columns(AUDIT_SCHEMA, "publications", conn)}
    for column in _ADDED_LOG_COLUMNS:
        if column.split()[0] not in present:
            warehouse.run_statement(conn, f"ALTER TABLE {PUBLICATIONS} ADD COLUMN {column}")


def _relation_kinds(conn: sa.Connection) -> dict[Relation, str]:
    """Each relation of the published and candidate schemas, with its type: 'BASE TABLE' or 'VIEW'."""
    rows = conn.execute(sa.text("SELECT table_schema, table_name, table_type FROM information_schema.tables "
                                "WHERE table_schema IN (:published, :candidates)"),
                        {"published": PUBLISHED_SCHEMA, "candidates": CANDIDATE_SCHEMA})
    return {(schema, table): kind for schema, table, kind in rows}


def _window(name: str, build: state.Build | None, kinds: Mapping[Relation, str]) -> state.Window | None:
    """The days a partial candidate replaces; None for a whole one (built in full, or unrecorded)."""
    if build is None or build.window is None:
        return None
    if live_relation(name) not in kinds:
        raise PublishError(f"marts.{name}: its candidate holds only {build.window.start} to {build.window.end} and "
                           f"there is no whole mart to merge it into: it needs a full build first ({FULL_REFRESH})")
    return build.window


def _lock_views(warehouse: Warehouse, conn: sa.Connection, names: Sequence[str], kinds: Mapping[Relation, str]) -> None:
    """On PostgreSQL a reader locks the views it reads, then the tables behind them. Locking the
    views before any table keeps a reader from holding a view this publication waits for while
    waiting for a table this publication holds (a deadlock), for readers naming the marts in order."""
    views = sorted(f"{PUBLISHED_SCHEMA}.{n}" for n in names if (PUBLISHED_SCHEMA, n) in kinds)
    if views:
        warehouse.run_statement(conn, f"LOCK TABLE {', '.join(views)} IN ACCESS EXCLUSIVE MODE")


def _swap(warehouse: Warehouse, conn: sa.Connection, name: str, kinds: Mapping[Relation, str],
          recorded_rows: int | None) -> int:
    """The whole candidate renamed into place; its row count as its build recorded it, else counted."""
    schema, live = live_relation(name)
    old = f"{name}__old"
    replaced = (schema, live) in kinds
    if replaced:
        warehouse.run_statement(conn, f"ALTER TABLE {schema}.{live} RENAME TO {old}")
    warehouse.run_statement(conn, f"ALTER TABLE {CANDIDATE_SCHEMA}.{name} RENAME TO {live}")
    _point_view(warehouse, conn, name, kinds)
    if replaced:
        warehouse.run_statement(conn, f"DROP TABLE {schema}.{old}")
    return recorded_rows if recorded_rows is not None else warehouse.row_count(schema, live, conn)


def _merge(warehouse: Warehouse, conn: sa.Connection, name: str, window: state.Window,
           kinds: Mapping[Relation, str], live_build: state.Build | None) -> int:
    """The window's days of the live table replaced by the partial candidate's rows; its row count,
    kept in the live table's build record (counted once where a live table has none)."""
    schema, live = live_relation(name)
    candidate = warehouse.columns(CANDIDATE_SCHEMA, name, conn)
    published = warehouse.columns(schema, live, conn)
    if candidate != published:
        raise PublishError(f"marts.{name}: its candidate's columns ({_describe(candidate)}) differ from the "
                           f"published ones ({_describe(published)}): it needs a full build first ({FULL_REFRESH})")
    if warehouse.dialect == "postgres":
        # So the DELETE reads the window's days, not the table. Built once per live table.
        warehouse.run_statement(conn, f"CREATE INDEX IF NOT EXISTS {live}_{window.column} "
                                      f"ON {schema}.{live} ({window.column})")
    before = live_build.row_count if live_build is not None else warehouse.row_count(schema, live, conn)
    deleted = warehouse.run_counted(conn, f"DELETE FROM {schema}.{live} WHERE {window.predicate()}")
    # Positional: the candidate and the live table come from the same SQL, and their columns match.
    inserted = warehouse.run_counted(conn, f"INSERT INTO {schema}.{live} SELECT * FROM {CANDIDATE_SCHEMA}.{name}")
    if kinds.get((PUBLISHED_SCHEMA, name)) != "VIEW":
        _point_view(warehouse, conn, name, kinds)
    if live_build is not None:
        state.adjust_rows(warehouse, conn, f"{schema}.{live}", inserted - deleted)
    return before - deleted + inserted


def _point_view(warehouse: Warehouse, conn: sa.Connection, name: str, kinds: Mapping[Relation, str]) -> None:
    """`marts.<name>` as a view of the live table, in place of whatever it was."""
    schema, live = live_relation(name)
    view = f"{PUBLISHED_SCHEMA}.{name}"
    kind = kinds.get((PUBLISHED_SCHEMA, name))
    if kind is not None and kind != "VIEW":
        # A mart published by a version that copied candidates into tables.
        warehouse.run_statement(conn, f"DROP TABLE {view}")
    create = f"VIEW {view} AS SELECT * FROM {schema}.{live}"
    if kind != "VIEW" or warehouse.dialect == "duckdb":
        # DuckDB replaces a view whatever its columns were.
        warehouse.run_statement(conn, f"CREATE OR REPLACE {create}")
        return
    try:
        with conn.begin_nested():
            warehouse.run_statement(conn, f"CREATE OR REPLACE {create}")
    except sa.exc.DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != _VIEW_COLUMNS_CHANGED:
            raise
        # The mart's columns changed. Without CASCADE, so a view someone built on the mart stops the
        # publication rather than silently disappearing.
        warehouse.run_statement(conn, f"DROP VIEW {view}")
        warehouse.run_statement(conn, f"CREATE {create}")


def _describe(columns: Sequence[Column]) -> str:
    return ", ".join(f"{c.name} {c.type}" for c in columns)
