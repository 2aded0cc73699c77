"""Runs models inside the warehouse: each becomes a table in one transaction (drop + create as).
Publishing the candidate marts is `transforms.publication`."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from transforms.models import SEED_SCHEMA, SEEDS, Model, replace_tables, transpile
from warehouse import Warehouse
from warehouse.engine import Column


@dataclass(frozen=True)
class BuildResult:
    relation: str
    row_count: int
    columns: tuple[Column, ...] = ()
    # Raw tables read as empty stand-ins, because their source has never loaded.
    stood_in: tuple[str, ...] = ()


class MissingInputError(RuntimeError):
    """A model reads a table that does not exist yet, typically a source never ingested."""


def compiled_sql(model: Model, dialect: str, variables: Mapping[str, str], stand_ins: Mapping = ()) -> str:
    sql = model.render(variables)
    if stand_ins:
        sql = replace_tables(sql, stand_ins)
    return transpile(sql, dialect)


def build(warehouse: Warehouse, model: Model, variables: Mapping[str, str], conn: sa.Connection | None = None) -> BuildResult:
    """One transaction: replace the table, read back count and schema.

    Pass `conn` to build several models on one connection: opening a DuckDB connection costs about
    as much as building a small model. Missing inputs are looked for only when a build fails, since
    a catalog lookup per model costs as much again. A staging model whose source has never loaded
    is then rebuilt from empty stand-ins with the raw tables' declared columns.
    """
    if conn is None:
        with warehouse.engine.connect() as own:
            return build(warehouse, model, variables, own)
    try:
        return _replace(warehouse, model, compiled_sql(model, warehouse.dialect, variables), conn)
    except Exception as exc:
        with conn.begin():
            existing = warehouse.relations(conn)
        missing = [dep for dep in model.deps if dep not in existing]
        if not missing:
            raise
        standing = {dep: model.stand_ins[dep] for dep in missing if dep in model.stand_ins}
        if len(standing) < len(missing):
            names = ", ".join(f"{s}.{t}" for s, t in missing if (s, t) not in standing)
            raise MissingInputError(
                f"{model.relation} reads {names}, which does not exist yet: run its upstream models first"
            ) from exc
        result = _replace(warehouse, model, compiled_sql(model, warehouse.dialect, variables, standing), conn)
        return BuildResult(result.relation, result.row_count, result.columns,
                           tuple(f"{s}.{t}" for s, t in standing))


def _replace(warehouse: Warehouse, model: Model, sql: str, conn: sa.Connection) -> BuildResult:
    with conn.begin():
        for statement in (f"CREATE SCHEMA IF NOT EXISTS {model.schema}", f"DROP TABLE IF EXISTS {model.relation}",
                          f"CREATE TABLE {model.relation} AS {sql}"):
            warehouse.run_statement(conn, statement)
        count = warehouse.row_count(model.schema, model.name, conn)
        columns = tuple(warehouse.columns(model.schema, model.name, conn))
    return BuildResult(model.relation, count, columns)


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
