"""Runs models inside the warehouse: each becomes a table in one transaction (drop + create as)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from transforms.models import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA, SEED_SCHEMA, SEEDS, Model, transpile
from warehouse import Warehouse
from warehouse.engine import Column

SCHEMAS = ("staging", "intermediate", CANDIDATE_SCHEMA, PUBLISHED_SCHEMA)


@dataclass(frozen=True)
class BuildResult:
    relation: str
    row_count: int
    columns: tuple[Column, ...] = ()


class MissingInputError(RuntimeError):
    """A model reads a table that does not exist yet, typically a source never ingested."""


def compiled_sql(model: Model, dialect: str, variables: dict[str, str]) -> str:
    return transpile(model.render(variables), dialect)


def build(warehouse: Warehouse, model: Model, variables: dict[str, str], conn: sa.Connection | None = None) -> BuildResult:
    """One transaction: replace the table, read back count and schema.

    Pass `conn` to build several models on one connection: opening a DuckDB connection costs about
    as much as building a small model. Missing inputs are diagnosed only when the build fails, since
    a catalog lookup per model costs as much again.
    """
    if conn is None:
        with warehouse.engine.connect() as own:
            return build(warehouse, model, variables, own)
    sql = compiled_sql(model, warehouse.dialect, variables)
    ddl = [f"CREATE SCHEMA IF NOT EXISTS {model.schema}", f"DROP TABLE IF EXISTS {model.relation}",
           f"CREATE TABLE {model.relation} AS {sql}"]
    try:
        with conn.begin():
            for statement in ddl:
                warehouse.run_statement(conn, statement)
            count = warehouse.row_count(model.schema, model.name, conn)
            columns = tuple(warehouse.columns(model.schema, model.name, conn))
    except Exception as exc:
        with conn.begin():
            existing = warehouse.relations(conn)
        missing = [f"{s}.{t}" for s, t in model.deps if (s, t) not in existing]
        if missing:
            raise MissingInputError(
                f"{model.relation} reads {', '.join(missing)}, which does not exist yet: "
                "ingest that source (or run its upstream models) first"
            ) from exc
        raise
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


def publish(warehouse: Warehouse, names: Sequence[str]) -> dict[str, int]:
    """Swap every candidate into `marts` in one transaction: all of them or none."""
    existing = warehouse.relations()
    missing = [n for n in names if (CANDIDATE_SCHEMA, n) not in existing]
    if missing:
        raise MissingInputError(f"no candidate to publish for {', '.join(missing)}")
    warehouse.ensure_schemas([PUBLISHED_SCHEMA])
    statements: list[str] = []
    for name in names:
        statements += [
            f"DROP TABLE IF EXISTS {PUBLISHED_SCHEMA}.{name}",
            f"CREATE TABLE {PUBLISHED_SCHEMA}.{name} AS SELECT * FROM {CANDIDATE_SCHEMA}.{name}",
        ]
    warehouse.execute(statements)
    return {name: warehouse.row_count(PUBLISHED_SCHEMA, name) for name in names}
