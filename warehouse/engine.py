"""One warehouse, two engines. DuckDB (an embedded file) by default, PostgreSQL in production.

DuckDB allows one writer process and refuses a second in-process connection opened with another
configuration, which dlt's loader would be. So the DuckDB engine uses NullPool: no connection
outlives the statement block that opened it, and dlt can always open the file. Opening the file
reads its catalog again, 15-50 ms with a run's hundreds of tables, unless a connection in the
process already has it open; the steps after ingestion (models, gates, publications, monitors)
therefore keep one idle connection open for the rest of their run (`keep_open`). Handing the file to
dlt (`dlt_destination`) and the end of the run close it.

DuckDB's memory is capped (FUNNELHOUSE_DUCKDB_MEMORY_LIMIT, default 1GB) on every connection that
opens the file, ours, dlt's and the quality checks': past the cap, joins, sorts and inserts spill
to a temporary directory beside the file instead of growing the process. DuckDB's own default is
80% of the machine's memory, which a 10M-row merge on a small box turns into an out-of-memory kill.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_DUCKDB_MEMORY_LIMIT = "1GB"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$")


def duckdb_memory_limit() -> str:
    from warehouse.settings import SettingError, setting_value

    value = (setting_value("funnelhouse_duckdb_memory_limit") or DEFAULT_DUCKDB_MEMORY_LIMIT).strip()
    if not _MEMORY.match(value):
        raise SettingError("setting 'FUNNELHOUSE_DUCKDB_MEMORY_LIMIT' must be a size such as 1GB or 1500MB")
    return value


# The idle connection kept per DuckDB file (see keep_open), by resolved path.
_kept: dict[Path, Any] = {}
_kept_lock = threading.Lock()


def kept() -> tuple[Path, ...]:
    """The DuckDB files this process keeps open (see keep_open)."""
    with _kept_lock:
        return tuple(_kept)


def release_all() -> None:
    """Close every connection `keep_open` kept in this process: at the end of a run."""
    with _kept_lock:
        kept = list(_kept.values())
        _kept.clear()
    for connection in kept:
        connection.close()


@dataclass(frozen=True)
class Column:
    name: str
    type: str


class Warehouse:
    def __init__(self, url: str):
        self.url = url
        parsed = make_url(url)
        self.dialect = "duckdb" if parsed.drivername.startswith("duckdb") else "postgres"
        if self.dialect == "duckdb":
            database = parsed.database or ":memory:"
            self.path = None if database == ":memory:" else Path(database).expanduser().resolve()
        else:
            self.path = None

    def __repr__(self) -> str:
        return f"Warehouse({self.safe_url})"

    @property
    def safe_url(self) -> str:
        """The URL with any password masked: the only form that may be logged or shown."""
        return make_url(self.url).render_as_string(hide_password=True)

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:12]

    @cached_property
    def engine(self) -> sa.Engine:
        if self.dialect == "duckdb":
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            target = str(self.path) if self.path else ":memory:"
            engine = sa.create_engine(f"duckdb:///{target}", poolclass=sa.pool.NullPool)
            sa.event.listen(engine, "connect", lambda dbapi, _: self.configure_duckdb(dbapi))
            return engine
        url = make_url(self.url).set(drivername="postgresql+psycopg")
        return sa.create_engine(url, poolclass=sa.pool.NullPool)

    @cached_property
    def duckdb_settings(self) -> dict[str, str]:
        """What every DuckDB connection to the warehouse sets (global settings of the open file)."""
        return {"memory_limit": duckdb_memory_limit()}

    def configure_duckdb(self, connection: Any) -> None:
        cursor = connection.cursor()
        try:
            for name, value in self.duckdb_settings.items():
                cursor.execute(f"SET {name} = '{value}'")
        finally:
            cursor.close()

    @property
    def dlt_file_format(self) -> str:
        """The file dlt writes and loads, the same on both engines: parquet, straight from the
        connectors' Arrow tables. DuckDB reads it itself; PostgreSQL gets it through ADBC's binary
        COPY (warehouse.dlt_postgres). dlt's other paths to PostgreSQL cost more: CSV re-encodes
        every table and COPYs the text, insert_values builds INSERT statements."""
        return "parquet"

    def keep_open(self) -> None:
        """Keep one idle connection to the DuckDB file open in this process until `release` (or
        `release_all`): every later connection then shares the open database instead of reading the
        file's catalog again. Nothing on PostgreSQL, or in memory."""
        if self.path is None:
            return
        with _kept_lock:
            if self.path not in _kept:
                _kept[self.path] = self.engine.raw_connection()

    def release(self) -> None:
        """Close the connection `keep_open` kept, so that a connection configured otherwise (dlt's)
        can open the file."""
        if self.path is None:
            return
        with _kept_lock:
            kept = _kept.pop(self.path, None)
        if kept is not None:
            kept.close()

    def dlt_destination(self) -> Any:
        import dlt

        if self.dialect == "duckdb":
            self.release()
            from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

            return dlt.destinations.duckdb(DuckDbCredentials(str(self.path), global_config=self.duckdb_settings))
        from dlt.destinations.impl.postgres.configuration import PostgresCredentials

        from warehouse.dlt_postgres import postgres

        credentials = PostgresCredentials()
        credentials.parse_native_representation(
            make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        # dlt insists on a password; trust and peer authentication have none.
        credentials.password = credentials.password or ""
        return postgres(credentials=credentials)

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        """One transaction: DDL included, since both engines have transactional DDL."""
        with self.engine.begin() as conn:
            yield conn

    def execute(self, statements: Iterable[str]) -> None:
        with self.begin() as conn:
            for statement in statements:
                self.run_statement(conn, statement)

    def _driver_sql(self, conn: sa.Connection, statement: str) -> sa.CursorResult:
        """One parameterless statement, as written. psycopg reads % as a placeholder even without
        parameters."""
        return conn.exec_driver_sql(statement.replace("%", "%%") if self.dialect == "postgres" else statement)

    def run_statement(self, conn: sa.Connection, statement: str) -> None:
        """One parameterless statement."""
        self._driver_sql(conn, statement)

    def run_counted(self, conn: sa.Connection, statement: str) -> int:
        """One parameterless INSERT, UPDATE or DELETE, and how many rows it changed: PostgreSQL reports
        it as the cursor's rowcount, DuckDB as the statement's one-row result."""
        result = self._driver_sql(conn, statement)
        return int(result.scalar()) if result.returns_rows else result.rowcount

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params).fetchall()]

    def arrow(self, sql: str) -> Any:
        """Run a query and return a pyarrow Table (DuckDB: zero-copy; PostgreSQL: via the cursor)."""
        import pyarrow as pa

        raw = self.engine.raw_connection()
        try:
            if self.dialect == "duckdb":
                return raw.driver_connection.execute(sql).to_arrow_table()
            cursor = raw.cursor()
            cursor.execute(sql)
            names = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            return pa.Table.from_pylist([dict(zip(names, r, strict=True)) for r in rows])
        finally:
            raw.close()

    def ensure_schemas(self, schemas: Sequence[str]) -> None:
        self.execute(f"CREATE SCHEMA IF NOT EXISTS {s}" for s in schemas)

    def relations(self, conn: sa.Connection | None = None) -> set[tuple[str, str]]:
        """Every (schema, table) in the warehouse, in one catalog query."""
        sql = "SELECT table_schema, table_name FROM information_schema.tables"
        if conn is not None:
            return {(r[0], r[1]) for r in conn.exec_driver_sql(sql)}
        return {(r[0], r[1]) for r in self.rows(sql)}

    def columns(self, schema: str, table: str, conn: sa.Connection | None = None) -> list[Column]:
        sql = sa.text(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = :s AND table_name = :t ORDER BY ordinal_position"
        )
        if conn is not None:
            return [Column(n, t) for n, t in conn.execute(sql, {"s": schema, "t": table})]
        with self.engine.connect() as own:
            return [Column(n, t) for n, t in own.execute(sql, {"s": schema, "t": table})]

    def columns_by_table(self, schemas: Sequence[str]) -> dict[tuple[str, str], list[Column]]:
        """Every table's columns in the schemas, in one catalog query: what `columns` reads per table."""
        if not schemas:
            return {}
        sql = sa.text("SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                      "WHERE table_schema IN :schemas ORDER BY table_schema, table_name, ordinal_position"
                      ).bindparams(sa.bindparam("schemas", expanding=True))
        found: dict[tuple[str, str], list[Column]] = {}
        with self.engine.connect() as conn:
            for schema, table, name, type_ in conn.execute(sql, {"schemas": list(schemas)}):
                found.setdefault((schema, table), []).append(Column(name, type_))
        return found

    def row_count(self, schema: str, table: str, conn: sa.Connection | None = None, where: str | None = None) -> int:
        """The table's rows, or those `where` (SQL) keeps; on `conn` when given."""
        if conn is None:
            with self.engine.connect() as own:
                return self.row_count(schema, table, own, where)
        return int(self._driver_sql(conn, f"SELECT count(*) FROM {schema}.{table}"
                                          + (f" WHERE {where}" if where else "")).scalar())

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
