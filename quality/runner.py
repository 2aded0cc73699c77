"""Runs a GX suite against one warehouse table, by the cleanest supported path per engine.

- PostgreSQL: GX's own postgres datasource; every expectation is pushed down to SQL.
- DuckDB: GX's SQL datasource is broken on duckdb_engine (it closes the connection before fetching,
  GX issues 10738 and 11579), so the table's needed columns are read through Arrow into one pandas
  DataFrame and validated there. Only the suite's columns are read, which keeps memory bounded by
  the mart, not the raw history.

An expectation that *errors* (a validator problem) is reported apart from one that fails (bad data).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from warehouse import Warehouse

log = logging.getLogger("funnelhouse.quality")
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class Finding:
    expectation: str
    column: str | None
    unexpected_count: int | None
    observed: Any
    sample: tuple[dict[str, Any], ...] = ()
    error: str | None = None

    def describe(self) -> str:
        target = f" on {self.column}" if self.column else ""
        if self.error:
            return f"{self.expectation}{target} could not be evaluated: {self.error}"
        detail = f"{self.unexpected_count} unexpected rows" if self.unexpected_count else f"observed {self.observed!r}"
        return f"{self.expectation}{target}: {detail}"


@dataclass(frozen=True)
class Outcome:
    relation: str
    evaluated: int
    failures: tuple[Finding, ...] = ()
    errors: tuple[Finding, ...] = ()
    row_count: int | None = None

    @property
    def success(self) -> bool:
        return not self.failures and not self.errors

    @property
    def status(self) -> str:
        if self.errors:
            return "error"
        return "failed" if self.failures else "passed"


def _context() -> Any:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    return context


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _finding(result: Any) -> Finding:
    config = result.expectation_config
    kwargs = config.kwargs
    column = kwargs.get("column") or (
        ",".join(kwargs["column_list"]) if kwargs.get("column_list") else None
    ) or (f"{kwargs['column_A']}>={kwargs['column_B']}" if kwargs.get("column_A") else None)
    info = result.exception_info or {}
    if isinstance(info, dict) and "raised_exception" not in info:
        # Multi-metric expectations nest their exception info one level down.
        nested = [v for v in info.values() if isinstance(v, dict)]
        info = next((v for v in nested if v.get("raised_exception")), {})
    error = info.get("exception_message") if isinstance(info, dict) and info.get("raised_exception") else None
    res = result.result or {}
    sample = tuple(
        {k: _jsonable(v) for k, v in row.items()} if isinstance(row, dict) else {"value": _jsonable(row)}
        for row in (res.get("partial_unexpected_index_list") or res.get("partial_unexpected_list") or [])[:SAMPLE_ROWS]
    )
    return Finding(config.type, column, res.get("unexpected_count"), _jsonable(res.get("observed_value")), sample, error)


def _result_format(index_columns: Sequence[str]) -> dict[str, Any]:
    return {
        "result_format": "SUMMARY",
        "unexpected_index_column_names": list(index_columns),
        "partial_unexpected_count": SAMPLE_ROWS,
    }


def validate(
    warehouse: Warehouse,
    schema: str,
    table: str,
    expectations: Sequence[Any],
    columns: Sequence[str],
    index_columns: Sequence[str] = (),
) -> Outcome:
    """Validate `schema.table`; raises only when the table cannot be read at all."""
    import great_expectations as gx

    relation = f"{schema}.{table}"
    context = _context()
    suite = context.suites.add(gx.ExpectationSuite(name=f"{relation}", expectations=list(expectations)))
    fmt = _result_format(index_columns)
    row_count = warehouse.row_count(schema, table)
    if warehouse.dialect == "postgres":
        source = context.data_sources.add_postgres("warehouse", connection_string=_sqlalchemy_url(warehouse))
        asset = source.add_table_asset(name=table, table_name=table, schema_name=schema)
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
    else:
        frame = _read_frame(warehouse, schema, table, columns)
        source = context.data_sources.add_pandas("warehouse")
        asset = source.add_dataframe_asset(name=table)
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format=fmt)
    findings = [_finding(r) for r in result.results]
    errors = tuple(f for f in findings if f.error)
    failed = tuple(
        f for f, r in zip(findings, result.results, strict=True) if not r.success and not f.error
    )
    return Outcome(relation, len(findings), failed, errors, row_count)


def _sqlalchemy_url(warehouse: Warehouse) -> str:
    from sqlalchemy.engine import make_url

    return make_url(warehouse.url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _read_frame(warehouse: Warehouse, schema: str, table: str, columns: Sequence[str]) -> Any:
    select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    arrow = warehouse.arrow(f"SELECT {select} FROM {schema}.{table}")
    return arrow.to_pandas(date_as_object=True)
