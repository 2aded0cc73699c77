"""Runs models inside the warehouse, each in one transaction: a model built whole replaces its table
(drop + create as); one built by a window replaces those days of its table (delete + insert), or,
for a mart, becomes a candidate of just those days. Each build is recorded in `audit.model_builds`
(transforms.state). Publishing the candidate marts is `transforms.publication`."""

from __future__ import annotations

import csv
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import sqlalchemy as sa

from transforms import state
from transforms.models import (
    CANDIDATE_SCHEMA,
    SEED_SCHEMA,
    SEEDS,
    Model,
    Relation,
    live_relation,
    replace_tables,
    transpile,
)
from transforms.state import Window
from warehouse import Warehouse
from warehouse.engine import Column


@dataclass(frozen=True)
class BuildResult:
    relation: str
    row_count: int
    columns: tuple[Column, ...] = ()
    # Raw tables read as empty stand-ins, because their source has never loaded.
    stood_in: tuple[str, ...] = ()
    # The days rebuilt, or None when the table was built whole.
    window: Window | None = None
    rows_rebuilt: int | None = None


class WindowError(RuntimeError):
    """An incremental model produced rows dated outside the days it was rebuilding."""


class MissingInputError(RuntimeError):
    """A model reads a table that does not exist yet, typically a source never ingested."""


def compiled_sql(model: Model, dialect: str, variables: Mapping[str, object], stand_ins: Mapping = (),
                 window: Window | None = None) -> str:
    sql = model.render(variables, window)
    if stand_ins:
        sql = replace_tables(sql, stand_ins)
    return transpile(sql, dialect)


def build(warehouse: Warehouse, model: Model, variables: Mapping[str, object], conn: sa.Connection | None = None,
          window: Window | None = None, fingerprint: str = "", run_id: str = "",
          previous: state.Build | None = None, published: Collection[Relation] = ()) -> BuildResult:
    """One transaction: build the table whole (`window` None) or by the window's days, record the
    build, read back count and schema. `previous`: the table's last build, whose row count an
    incremental build updates (counting a 10M-row table on PostgreSQL would cost a scan).
    `published`: the candidate marts this model reads that its run does not build; it reads their
    published tables instead, since a candidate another run left behind failed its gate.

    Pass `conn` to build several models on one connection: opening a DuckDB connection costs about
    as much as building a small model. Missing inputs are looked for only when a build fails, since
    a catalog lookup per model costs as much again. A staging model whose source has never loaded
    is then rebuilt whole from empty stand-ins with the raw tables' declared columns.
    """
    if conn is None:
        with warehouse.engine.connect() as own:
            return build(warehouse, model, variables, own, window, fingerprint, run_id, previous, published)
    record = state.Build(model.relation, fingerprint, run_id, window, 0)
    live = _published_stand_ins(warehouse, model, published, conn)
    try:
        sql = compiled_sql(model, warehouse.dialect, variables, live, window)
        if window is None or model.layer == "marts":
            return _replace(warehouse, model, sql, conn, record)
        return _rebuild_days(warehouse, model, sql, conn, window, record, previous)
    except Exception as exc:
        with conn.begin():
            existing = warehouse.relations(conn)
        missing = [dep for dep in model.deps if dep not in existing and dep not in live]
        if not missing:
            raise
        unfilled = [f"{s}.{t}" for s, t in missing if (s, t) not in model.stand_ins]
        if unfilled:
            raise MissingInputError(
                f"{model.relation} reads {', '.join(unfilled)}, which does not exist yet: run its upstream models first"
            ) from exc
        standing = {**live, **{dep: model.stand_ins[dep] for dep in missing}}
        result = _replace(warehouse, model, compiled_sql(model, warehouse.dialect, variables, standing), conn,
                          replace(record, window=None))
        return BuildResult(result.relation, result.row_count, result.columns,
                           tuple(f"{s}.{t}" for s, t in standing if s != CANDIDATE_SCHEMA))


def _published_stand_ins(warehouse: Warehouse, model: Model, published: Collection[Relation],
                         conn: sa.Connection) -> dict[Relation, str]:
    wanted = [dep for dep in model.deps if dep[0] == CANDIDATE_SCHEMA and dep in published]
    if not wanted:
        return {}
    with conn.begin():
        existing = warehouse.relations(conn)
    unpublished = [f"{s}.{t}" for s, t in wanted if live_relation(t) not in existing]
    if unpublished:
        raise MissingInputError(f"{model.relation} reads {', '.join(unpublished)}, which has never been published: "
                                "build it in the same run, or publish it first")
    return {dep: f"select * from {'.'.join(live_relation(dep[1]))}" for dep in wanted}


def _replace(warehouse: Warehouse, model: Model, sql: str, conn: sa.Connection, record: state.Build) -> BuildResult:
    with conn.begin():
        for statement in (f"CREATE SCHEMA IF NOT EXISTS {model.schema}", f"DROP TABLE IF EXISTS {model.relation}",
                          f"CREATE TABLE {model.relation} AS {sql}"):
            warehouse.run_statement(conn, statement)
        count = warehouse.row_count(model.schema, model.name, conn)
        columns = tuple(warehouse.columns(model.schema, model.name, conn))
        if record.fingerprint:
            # A mart's candidate of some days is pending until published.
            state.record(warehouse, conn, replace(record, row_count=count),
                         settled=record.window is None or model.layer != "marts")
    return BuildResult(model.relation, count, columns, window=record.window,
                       rows_rebuilt=count if record.window else None)


def _rebuild_days(warehouse: Warehouse, model: Model, sql: str, conn: sa.Connection, window: Window,
                  record: state.Build, previous: state.Build | None) -> BuildResult:
    """Replace the window's days of the table with the model's rows for them. The rows are staged
    first, so a model yielding a row dated outside the window fails before anything changes: the
    delete would not have removed that row's earlier version."""
    staged = f"{model.name}__window"
    with conn.begin():
        warehouse.run_statement(conn, f"DROP TABLE IF EXISTS {staged}")
        warehouse.run_statement(conn, f"CREATE TEMPORARY TABLE {staged} AS {sql}")
        outside = conn.exec_driver_sql(
            f"SELECT count(*), min({window.column}), max({window.column}) FROM {staged} "
            f"WHERE {window.column} IS NULL OR NOT ({window.predicate()})").one()
        if outside[0]:
            raise WindowError(f"{model.relation}: {outside[0]} rows dated outside the days rebuilt "
                              f"({window.start} to {window.end}), from {outside[1]} to {outside[2]}: its SQL must "
                              f"filter every input by {{{{ window(...) }}}} on the same days")
        deleted = warehouse.run_counted(conn, f"DELETE FROM {model.relation} WHERE {window.predicate()}")
        inserted = warehouse.run_counted(conn, f"INSERT INTO {model.relation} SELECT * FROM {staged}")
        warehouse.run_statement(conn, f"DROP TABLE {staged}")
        if previous is not None:
            count = previous.row_count - deleted + inserted
        else:
            count = warehouse.row_count(model.schema, model.name, conn)
        columns = tuple(warehouse.columns(model.schema, model.name, conn))
        state.record(warehouse, conn, replace(record, row_count=count), settled=True)
    return BuildResult(model.relation, count, columns, window=window, rows_rebuilt=inserted)


def load_seed(warehouse: Warehouse, name: str, path: str | Path) -> BuildResult:
    """A small CSV the user owns (e.g. campaign key overrides), loaded as a typed text table."""
    columns = SEEDS[name]
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != columns:
            raise ValueError(f"seed {name}: {path} must have the header {','.join(columns)}")
        rows = [tuple((row[c] or "").strip() for c in columns) for row in reader]
    relation = f"{SEED_SCHEMA}.{name}"
    column_sql = ", ".join(f"{c} varchar" for c in columns)
    placeholders = ", ".join(["?" if warehouse.dialect == "duckdb" else "%s"] * len(columns))
    warehouse.ensure_schemas([SEED_SCHEMA])
    with warehouse.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {relation}")
        conn.exec_driver_sql(f"CREATE TABLE {relation} ({column_sql})")
        if rows:
            conn.exec_driver_sql(f"INSERT INTO {relation} VALUES ({placeholders})", rows)
    return BuildResult(relation, len(rows))
