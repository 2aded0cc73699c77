"""Runs a GX suite against one warehouse table, pushed down to SQL on both engines.

- PostgreSQL: GX's postgres datasource.
- DuckDB: GX's generic SQL datasource over duckdb_engine. Out of the box that path is broken (GX
  issues 10738 and 11579, still so with GX 1.24.1 and duckdb_engine 0.17): GX closes its SQLAlchemy
  connection before fetching a result, the close rolls back the DuckDB connection, and DuckDB drops
  the pending result with it. So GX gets an engine whose statements each run on their own DuckDB
  cursor (a child connection of the same database), which that rollback does not touch. Only metrics
  and sample rows come back to Python, whatever the table's size.

Two passes keep the common case, a passing table, cheap: every rule is first checked with
result_format BOOLEAN_ONLY (no sample queries), through cheaper expectations where the rule has them;
only the rules that fail are re-run with their row-level expectation and SUMMARY, which names the
offending rows. An expectation that *errors* (a validator problem) is reported apart from one that
fails (bad data).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from warehouse import Warehouse

log = logging.getLogger("funnelhouse.quality")
SAMPLE_ROWS = 5
# The GX context is shared by every validation in the process; it is not thread-safe.
_lock = threading.Lock()


@dataclass(frozen=True)
class Finding:
    expectation: str
    column: str | None
    unexpected_count: int | None
    observed: Any
    sample: tuple[dict[str, Any], ...] = ()
    error: str | None = None
    # The suite's rule id (quality.suites.Check.name), when the expectation carries one.
    rule: str | None = None

    def describe(self) -> str:
        target = f" on {self.column}" if self.column else ""
        rule = f" (rule {self.rule})" if self.rule else ""
        if self.error:
            return f"{self.expectation}{target} could not be evaluated: {self.error}{rule}"
        detail = f"{self.unexpected_count} unexpected rows" if self.unexpected_count else f"observed {self.observed!r}"
        return f"{self.expectation}{target}: {detail}{rule}"


@dataclass(frozen=True)
class Outcome:
    relation: str
    evaluated: int
    failures: tuple[Finding, ...] = ()
    errors: tuple[Finding, ...] = ()
    row_count: int | None = None
    # GX's ExpectationValidationResults that decided each rule, in the rules' order: its screens'
    # (BOOLEAN_ONLY) when they all passed, else its own expectation's (with unexpected counts and
    # sample rows). Kept for rendering Data Docs, never compared or printed.
    results: tuple[Any, ...] = field(default=(), compare=False, repr=False)

    @property
    def success(self) -> bool:
        return not self.failures and not self.errors

    def only(self, rules: set[str]) -> Outcome:
        """The part of this outcome that concerns `rules` (by rule id): one validation can serve
        several checks of a table, each reported on its own."""
        def ours(finding: Finding) -> bool:
            return finding.rule in rules

        # A validation that could not run at all errs for every check it served.
        whole = tuple(f for f in self.errors if f.rule is None)
        return Outcome(self.relation, len(rules), tuple(filter(ours, self.failures)),
                       whole + tuple(filter(ours, (f for f in self.errors if f.rule is not None))), self.row_count,
                       tuple(r for r in self.results if (r.expectation_config.meta or {}).get("rule") in rules))

    @property
    def status(self) -> str:
        if self.errors:
            return "error"
        return "failed" if self.failures else "passed"


@dataclass(frozen=True)
class Rule:
    """One rule of a suite: the expectation reported (with sample rows) when the rule fails, and
    optionally cheaper `screens` that all pass exactly when it passes, checked first instead."""

    expectation: Any
    screens: tuple[Any, ...] = ()
    # Columns the screens read that the table lacks: (name, SQL expression over the table's columns).
    # GX then reads a query, and learns its columns by running it whole: fine on DuckDB, which
    # streams, but on PostgreSQL every row would reach the client.
    derived: tuple[tuple[str, str], ...] = ()


_context_lock = threading.Lock()
_preloading: threading.Thread | None = None


@functools.cache
def _make_context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


def _context() -> Any:
    with _context_lock:
        return _make_context()


def preload() -> None:
    """Import GX and make its context in a background thread, once per process: the import costs
    2.5 s of CPU, which a run's ingestion steps, mostly waiting on vendors' APIs, can hide. Not a
    daemon, so a step's process never exits halfway through an import."""
    global _preloading
    with _context_lock:
        if _preloading is None and _make_context.cache_info().currsize == 0:
            _preloading = threading.Thread(target=_context, name="gx-preload")
            _preloading.start()


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _error(result: Any) -> str | None:
    info = result.exception_info or {}
    if isinstance(info, dict) and "raised_exception" not in info:
        # Multi-metric expectations nest their exception info one level down.
        nested = [v for v in info.values() if isinstance(v, dict)]
        info = next((v for v in nested if v.get("raised_exception")), {})
    return info.get("exception_message") if isinstance(info, dict) and info.get("raised_exception") else None


def _finding(result: Any) -> Finding:
    config = result.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or (
        ",".join(kwargs["column_list"]) if kwargs.get("column_list") else None
    ) or (f"{kwargs['column_A']}>={kwargs['column_B']}" if kwargs.get("column_A") else None)
    res = result.result or {}
    sample = tuple(
        {k: _jsonable(v) for k, v in row.items()} if isinstance(row, dict) else {"value": _jsonable(row)}
        for row in (res.get("partial_unexpected_index_list") or res.get("partial_unexpected_list")
                    or (res.get("details") or {}).get("unexpected_rows") or [])[:SAMPLE_ROWS]
    )
    return Finding(config.type, column, res.get("unexpected_count"), _jsonable(res.get("observed_value")), sample,
                   _error(result), (config.meta or {}).get("rule"))


def _summary(index_columns: Sequence[str]) -> dict[str, Any]:
    return {
        "result_format": "SUMMARY",
        "unexpected_index_column_names": list(index_columns),
        "partial_unexpected_count": SAMPLE_ROWS,
    }


def validate(
    warehouse: Warehouse,
    schema: str,
    table: str,
    rules: Sequence[Rule | Any],
    index_columns: Sequence[str] = (),
    where: str | None = None,
) -> Outcome:
    """Validate `schema.table` against `rules` (a bare expectation is a rule without screens);
    raises only when the table cannot be read at all. `where`: only the rows it keeps, e.g. the days
    an incremental build rebuilt."""
    relation = f"{schema}.{table}"
    rules = [r if isinstance(r, Rule) else Rule(r) for r in rules]
    derived = dict(d for rule in rules for d in rule.derived)
    with _lock, _batch(warehouse, schema, table, derived, where) as (batch, engine):
        # On the validation's own connection: opening one costs more than counting a small table.
        with engine.connect() as conn:
            row_count = warehouse.row_count(schema, table, conn, where)
        screens = [(i, s) for i, rule in enumerate(rules) for s in (rule.screens or (rule.expectation,))]
        first = _run(batch, [s for _, s in screens], {"result_format": "BOOLEAN_ONLY"})
        # A screen that failed or errored proves nothing by itself: the rule's own expectation has
        # the last word (screens may be stricter on corner cases, never laxer), and names the rows.
        suspects = sorted({i for (i, _), result in zip(screens, first, strict=True) if not result.success})
        # A rule written as a query returns its rows only in GX's COMPLETE format; its query
        # already says which rows matter (a few per currency and day, not one per fact).
        by_query = [i for i in suspects if _is_query(rules[i].expectation)]
        by_column = [i for i in suspects if i not in by_query]
        second = _run(batch, [rules[i].expectation for i in by_column], _summary(index_columns)) if by_column else []
        if by_query:
            second += _run(batch, [rules[i].expectation for i in by_query], {"result_format": "COMPLETE"})
    findings = [(_finding(r), r.success) for r in second]
    errors = tuple(f for f, _ in findings if f.error)
    failures = tuple(f for f, passed in findings if not passed and not f.error)
    deciding: dict[int, list[Any]] = {}
    for (i, _), result in zip(screens, first, strict=True):
        deciding.setdefault(i, []).append(result)
    deciding.update((i, [result]) for i, result in zip(by_column + by_query, second, strict=True))
    return Outcome(relation, len(rules), failures, errors, row_count,
                   tuple(result for i in range(len(rules)) for result in deciding[i]))


def _is_query(expectation: Any) -> bool:
    import great_expectations as gx

    return isinstance(expectation, gx.expectations.UnexpectedRowsExpectation)


def _run(batch: Any, expectations: Sequence[Any], result_format: dict[str, Any]) -> list[Any]:
    """Results in the order of `expectations` (GX reorders them)."""
    import great_expectations as gx

    # Copies, tagged with their position: GX reorders results, and a suite that is never saved
    # gives its expectations no id to match them by.
    copies = [e.copy(update={"meta": {**(e.meta or {}), "position": i}}, deep=True) for i, e in enumerate(expectations)]
    suite = gx.ExpectationSuite(name=f"suite-{uuid.uuid4().hex}", expectations=copies)
    results = batch.validate(suite, result_format=result_format).results
    return sorted(results, key=lambda r: r.expectation_config.meta["position"])


@contextmanager
def _batch(warehouse: Warehouse, schema: str, table: str, derived: dict[str, str],
           where: str | None = None) -> Iterator[tuple[Any, Any]]:
    """A GX batch of the whole table, or of the rows `where` keeps (plus any derived columns), and the
    SQLAlchemy engine it reads through. Its
    connections are closed when the validation ends: a DuckDB file must not stay open, as dlt and
    other processes open it next.

    The rows `where` keeps are read through a view, which GX reads as a table: a query asset would
    be run whole just to learn its columns, sending every row to the client on PostgreSQL. The view
    is dropped at once, since PostgreSQL would not let the next build drop the table under it."""
    source = _source(warehouse)
    view = f"{table}__checked"
    if where is not None:
        warehouse.execute([f"DROP VIEW IF EXISTS {schema}.{view}",
                           f"CREATE VIEW {schema}.{view} AS SELECT * FROM {schema}.{table} WHERE {where}"])
    try:
        yield (_batch_definition(source, schema, table if where is None else view, derived).get_batch(),
               source.get_execution_engine().engine)
    finally:
        source.get_engine().dispose()
        source.get_execution_engine().engine.dispose()
        if where is not None:
            warehouse.execute([f"DROP VIEW IF EXISTS {schema}.{view}"])


_sources: dict[str, Any] = {}


def _source(warehouse: Warehouse) -> Any:
    """One GX datasource per warehouse and process: registering one, or an asset, re-serialises the
    context's configuration, which costs more than checking a small table. Keyed by the resolved
    database, not the configured URL: a relative DuckDB path names another file after a chdir."""
    key = warehouse.engine.url.render_as_string(hide_password=False)
    if key not in _sources:
        context = _context()
        name = f"warehouse-{hashlib.sha256(key.encode()).hexdigest()[:12]}"
        if warehouse.dialect == "postgres":
            _sources[key] = context.data_sources.add_postgres(name, connection_string=_sqlalchemy_url(warehouse))
        else:
            _sources[key] = context.data_sources.add_sql(name, connection_string=key,
                                                         kwargs=_duckdb_engine_kwargs(warehouse))
    return _sources[key]


def _batch_definition(source: Any, schema: str, table: str, derived: dict[str, str]) -> Any:
    name = f"{schema}.{table}" + "".join(f"+{column}" for column in derived)
    if name not in source.get_asset_names():
        if derived:
            extra = ", ".join(f'{expr} AS "{column}"' for column, expr in derived.items())
            asset = source.add_query_asset(name=name, query=f"SELECT *, {extra} FROM {schema}.{table}")
        else:
            asset = source.add_table_asset(name=name, table_name=table, schema_name=schema)
        return asset.add_batch_definition_whole_table("whole")
    return source.get_asset(name).get_batch_definition("whole")


def _sqlalchemy_url(warehouse: Warehouse) -> str:
    from sqlalchemy.engine import make_url

    return make_url(warehouse.url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _duckdb_engine_kwargs(warehouse: Warehouse) -> dict[str, Any]:
    import sqlalchemy as sa

    dialect = warehouse.engine.dialect
    cargs, cparams = dialect.create_connect_args(warehouse.engine.url)

    def connect() -> _DuckDBConnection:
        # duckdb_engine's own connect, so the configuration matches the warehouse's other
        # connections (DuckDB refuses a second in-process connection configured differently).
        connection = dialect.connect(*cargs, **dict(cparams))
        warehouse.configure_duckdb(connection)
        return _DuckDBConnection(connection)

    # One connection per engine, kept open until the validation ends (it owns the cursors).
    return {"creator": connect, "poolclass": sa.pool.StaticPool}


class _DuckDBConnection:
    """duckdb_engine's DBAPI connection, except that each cursor is a child connection of its own
    (DuckDB's `duplicate()`), so no rollback on the parent can discard a result before GX reads it.
    Children close with the parent."""

    def __init__(self, wrapper: Any):
        self._wrapper = wrapper

    def cursor(self) -> Any:
        from duckdb_engine import CursorWrapper

        # Attributes duckdb_engine's wrapper lacks, such as duplicate(), reach the DuckDB connection.
        return CursorWrapper(self._wrapper.duplicate(), self)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapper, name)
