"""One runReport page into an Arrow table in the warehouse schema of its report's raw table.

GA4 sends every value as a string. The fast path casts whole columns in Arrow; when a cast fails
or a value is missing, the exact path walks the rows to name the bad record and field (or to
accept what the fast path is too strict for, such as "12.0" in an integer column).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.common.errors import RecordError, VendorError
from connectors.google_analytics import settings as s
from warehouse import types

_INT64_MAX = 2**63 - 1
_DAY = "date"  # each report's first dimension: its value is the day
# Columns filled from the response's metadata where the report's table has them.
_METADATA_COLUMNS = {"currency_code": "currencyCode", "time_zone": "timeZone"}


class _Slow(Exception):
    """The fast path met something it cannot judge; the exact path decides."""


def _metric_rule(report: s.Report, column: str) -> tuple[str, Decimal | None]:
    """How a metric's text becomes its declared column type: the kind, and a decimal's quantum."""
    kind, _, scale = types.parse(report.table.column(column).type)
    return kind, Decimal(1).scaleb(-scale) if kind == "decimal" else None


def page_to_table(property_id: str, first_row: int, body: Mapping[str, Any], report: s.Report = s.TRAFFIC) -> pa.Table:
    dim_at = _header_positions(body, "dimensionHeaders", report.dimensions, property_id)
    met_at = _header_positions(body, "metricHeaders", report.metrics, property_id)
    rows = body.get("rows") or []
    metadata = body.get("metadata") or {}
    try:
        columns = _fast_columns(report, rows, dim_at, met_at)
    except _Slow:
        columns = _exact_columns(report, rows, dim_at, met_at, property_id, first_row)
    count = len(rows)
    columns["property_id"] = pa.array([property_id] * count, pa.string())
    for column, value in report.constants.items():
        columns[column] = pa.array([value] * count, pa.string())
    for column, key in _METADATA_COLUMNS.items():
        columns.setdefault(column, pa.array([metadata.get(key)] * count, pa.string()))
    schema = report.table.arrow_schema()
    table = pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)
    if report.drop_not_set and count:
        table = table.filter(pc.not_equal(table[report.drop_not_set], s.NOT_SET))
    return table


def _header_positions(
    body: Mapping[str, Any], key: str, wanted: Mapping[str, str], property_id: str
) -> dict[str, int]:
    positions = {header.get("name"): i for i, header in enumerate(body.get(key) or [])}
    missing = [name for name in wanted if name not in positions]
    if missing:
        raise VendorError(s.SOURCE, f"property {property_id}: response {key} lack {', '.join(missing)}")
    return positions


def _fast_columns(
    report: s.Report, rows: list[Any], dim_at: dict[str, int], met_at: dict[str, int]
) -> dict[str, pa.Array]:
    try:
        dims = {name: [row["dimensionValues"][i].get("value", "") for row in rows] for name, i in dim_at.items()}
        mets = {name: [row["metricValues"][i].get("value") for row in rows] for name, i in met_at.items()}
    except (KeyError, IndexError, TypeError, AttributeError):
        raise _Slow from None
    columns: dict[str, pa.Array] = {}
    days = pa.array(dims[_DAY], pa.string())
    if pc.any(pc.not_equal(pc.utf8_length(days), 8)).as_py():
        raise _Slow
    columns["date_day"] = _cast(pc.strptime(days, format="%Y%m%d", unit="s", error_is_null=True), pa.date32())
    for name, column in report.dimensions.items():
        if name != _DAY:
            columns[column] = pa.array(dims[name], pa.string())
    schema = report.table.arrow_schema()
    for name, column in report.metrics.items():
        columns[column] = _cast(pa.array(mets[name], pa.string()), schema.field(column).type)
    return columns


def _cast(values: pa.Array, target: pa.DataType) -> pa.Array:
    try:
        out = pc.cast(values, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _Slow from None
    if out.null_count:
        raise _Slow
    if pa.types.is_floating(target) and not pc.all(pc.is_finite(out)).as_py():
        raise _Slow
    return out


def _exact_columns(
    report: s.Report, rows: list[Any], dim_at: dict[str, int], met_at: dict[str, int], property_id: str,
    first_row: int,
) -> dict[str, pa.Array]:
    rules = {column: _metric_rule(report, column) for column in report.metrics.values()}
    values: dict[str, list[Any]] = {column: [] for column in [*report.dimensions.values(), *report.metrics.values()]}
    for n, row in enumerate(rows, start=first_row):
        dims = [item.get("value", "") for item in row.get("dimensionValues") or []]
        mets = [item.get("value") for item in row.get("metricValues") or []]
        raw_day = _at(dims, dim_at[_DAY])
        record = f"property {property_id} date {raw_day} row {n}"
        values["date_day"].append(_parse_day(raw_day, record))
        for name, column in report.dimensions.items():
            if name != _DAY:
                values[column].append(_at(dims, dim_at[name]) or "")
        for name, column in report.metrics.items():
            values[column].append(_parse_metric(report, rules[column], _at(mets, met_at[name]), column, record, name))
    schema = report.table.arrow_schema()
    return {column: pa.array(items, schema.field(column).type) for column, items in values.items()}


def _at(values: list[Any], position: int) -> Any:
    return values[position] if position < len(values) else None


def _parse_day(raw: Any, record: str) -> date:
    text = str(raw or "")
    try:
        if len(text) != 8 or not text.isdigit():
            raise ValueError
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise RecordError(s.SOURCE, record, "dimensionValues.date", "is not a date as YYYYMMDD") from None


def _parse_metric(report: s.Report, rule: tuple[str, Decimal | None], raw: Any, column: str, record: str,
                  name: str) -> Any:
    """By the warehouse column, not the header type: a TYPE_FLOAT "3" still loads into bigint."""
    field = f"metricValues.{name}"
    if not isinstance(raw, str):
        raise RecordError(s.SOURCE, record, field, "is missing")
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise RecordError(s.SOURCE, record, field, f"is not a number: {raw[:40]!r}") from None
    if not number.is_finite():
        raise RecordError(s.SOURCE, record, field, f"is not a finite number: {raw[:40]!r}")
    kind, quantum = rule
    if kind == "bigint":
        if number != number.to_integral_value():
            raise RecordError(s.SOURCE, record, field, f"is not a whole number: {raw[:40]!r}")
        if abs(number) > _INT64_MAX:
            raise RecordError(s.SOURCE, record, field, "does not fit bigint")
        return int(number)
    if kind == "decimal":
        try:
            return number.quantize(quantum)
        except InvalidOperation:
            raise RecordError(s.SOURCE, record, field, f"does not fit {report.table.column(column).type}") from None
    return float(number)
