"""Load: dlt writing rows a connector produced, against the engine's own bulk path for the same rows.

Both sides start from the same in-memory Arrow tables (read back from the raw datasets) and the same
write dispositions and keys the connectors declare. DuckDB's limit is `CREATE TABLE AS` over the
Arrow table; PostgreSQL's is `COPY FROM STDIN` of the table serialised as CSV by Arrow. dlt loads
them the way `pipelines/ingest.py` does: the warehouse's destination and file format.
"""

from __future__ import annotations

import io
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from connectors import registry
from warehouse import Warehouse


@dataclass
class RawTable:
    source: str
    name: str
    table: pa.Table
    hints: dict[str, Any]

    @property
    def target(self) -> str:
        """Its table in the benchmark's one dataset: sources share table names (accounts, quarantine)."""
        return f"{self.source}__{self.name}"


def read_raw(warehouse: Warehouse) -> list[RawTable]:
    """Every table the connectors loaded, without dlt's bookkeeping columns."""
    out = []
    relations = warehouse.relations()
    for spec in registry.specs().values():
        for declared in spec.tables:
            if (spec.dataset, declared.name) not in relations:
                continue
            table = warehouse.arrow(f"SELECT {', '.join(declared.column_names)} FROM {spec.dataset}.{declared.name}")
            # Into an empty dataset, as a full build's first load: the ingestion's first-load hints.
            hints = {k: v for k, v in declared.resource_hints(first_load=True).items()
                     if k not in ("name", "table_name")}
            out.append(RawTable(spec.name, declared.name, table, hints))
    return out


def dlt_load(warehouse: Warehouse, tables: list[RawTable], dataset: str) -> float:
    """One dlt run of every table as the ingestion runs it: the warehouse's destination and file
    format, the connectors' hints (deduplication skipped only where a table declares it needless);
    extract, normalize, load: what the connectors pay."""
    import dlt

    with tempfile.TemporaryDirectory() as pipelines_dir:
        pipeline = dlt.pipeline(pipeline_name="bench_load", destination=warehouse.dlt_destination(),
                                dataset_name=dataset, pipelines_dir=pipelines_dir)
        resources = [dlt.resource(t.table, name=t.target, table_name=t.target, **t.hints) for t in tables]
        started = time.perf_counter()
        pipeline.run(resources, loader_file_format=warehouse.dlt_file_format)
        return time.perf_counter() - started


def raw_insert(warehouse: Warehouse, tables: list[RawTable], schema: str) -> float:
    """The engine's bulk path, timed from the Arrow tables to committed rows."""
    raw = warehouse.engine.raw_connection()
    try:
        started = time.perf_counter()
        if warehouse.dialect == "duckdb":
            con = raw.driver_connection
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            for t in tables:
                con.register("bench_arrow", t.table)
                con.execute(f"CREATE OR REPLACE TABLE {schema}.{t.target} AS SELECT * FROM bench_arrow")
                con.unregister("bench_arrow")
        else:
            _copy_all(raw.driver_connection, tables, schema)
        raw.commit()
        return time.perf_counter() - started
    finally:
        raw.close()


def _copy_all(conn: Any, tables: list[RawTable], schema: str) -> None:
    import pyarrow.csv as pacsv

    with conn.cursor() as cur:
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for t in tables:
            columns = ", ".join(f'"{f.name}" {_pg_type(f.type)}' for f in t.table.schema)
            cur.execute(f"DROP TABLE IF EXISTS {schema}.{t.target}")
            cur.execute(f"CREATE TABLE {schema}.{t.target} ({columns})")
            buffer = io.BytesIO()
            pacsv.write_csv(t.table, buffer)
            with cur.copy(f"COPY {schema}.{t.target} FROM STDIN (FORMAT csv, HEADER true)") as copy:
                copy.write(buffer.getbuffer())


def _pg_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_integer(arrow_type):
        return "bigint"
    if pa.types.is_floating(arrow_type):
        return "double precision"
    if pa.types.is_decimal(arrow_type):
        return f"numeric({arrow_type.precision}, {arrow_type.scale})"
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    return "text"
