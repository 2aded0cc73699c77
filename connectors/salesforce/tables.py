"""Salesforce query records to Arrow tables of the raw layer.

A record is `{"attributes": {...}, "<Field>": value, ...}` with JSON types: text, booleans, numbers
for currency, `YYYY-MM-DD` dates and `YYYY-MM-DDThh:mm:ss.sss+0000` datetimes. Each column is
converted whole by Arrow; only when that fails is the column walked to name the record and field
(`RecordError`), except an Opportunity's `Amount`: a value that is not a number loads as NULL and goes
to the quarantine table, so one bad amount does not stop the load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from connectors.common.errors import RecordError
from connectors.common.tables import Table
from connectors.salesforce.settings import AMOUNT, CURRENCY, QUARANTINE_TABLE, SOURCE, SObject, snake

log = logging.getLogger("funnelhouse.connectors.salesforce")

_SCALE = Decimal("0.000001")
_MAX_AMOUNT = Decimal(10) ** 32  # decimal(38, 6) keeps 32 digits before the point

Record = Mapping[str, Any]


def parse_amount(value: Any) -> Decimal | None:
    """A currency value as decimal(38, 6); ValueError says why it is not one."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("not a number")
    # A JSON number arrives as a float: its shortest repr is the decimal Salesforce sent.
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not amount.is_finite():
        raise ValueError("not a finite number")
    if abs(amount) >= _MAX_AMOUNT:
        raise ValueError("too large for decimal(38, 6)")
    return amount.quantize(_SCALE)


class Quarantine:
    """Values set aside while building tables, collected per record for the quarantine table."""

    def __init__(self) -> None:
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self.table_announced = False

    def add(self, table: str, record_id: str, field: str, raw_value: Any, error: str) -> None:
        log.warning("%s: %s %s, field '%s': %s (value %r); loaded as NULL and quarantined",
                    SOURCE, table, record_id, field, error, raw_value)
        self._rows.setdefault(record_id, []).append({
            "source_table": table, "record_id": record_id, "field": field,
            "raw_value": None if raw_value is None else str(raw_value), "error": error,
            "quarantined_at": datetime.now(UTC),
        })

    def take(self, record_ids: Sequence[str]) -> pa.Table | None:
        rows = [row for rid in record_ids for row in self._rows.pop(rid, [])]
        return pa.Table.from_pylist(rows, schema=QUARANTINE_TABLE.arrow_schema()) if rows else None


def records_table(obj: SObject, records: Sequence[Record], quarantine: Quarantine | None = None,
                  default_currency: Callable[[], str] | None = None) -> pa.Table:
    """One batch of an object's records as its raw table. `default_currency` gives the org's
    currency for Opportunities that carry none (an org without multi-currency has no such field)."""
    table = obj.table
    ids = [_record_id(obj, r) for r in records]
    arrays = []
    for (name, kind), column in zip(obj.fields, table.columns, strict=True):
        values = ids if name == "Id" else [r.get(name) for r in records]
        if name == AMOUNT and quarantine is not None:
            values = _amounts(obj, ids, values, quarantine)
        elif name == CURRENCY and default_currency is not None and any(v is None for v in values):
            fallback = default_currency()
            values = [fallback if v is None else v for v in values]
        arrays.append(_column(obj, table, column.name, kind, ids, name, values))
    return pa.Table.from_arrays(arrays, schema=table.arrow_schema())


def _record_id(obj: SObject, record: Record) -> str:
    rid = record.get("Id")
    if not isinstance(rid, str) or not rid:
        raise RecordError(SOURCE, f"{obj.name} <missing Id>", "Id", "a record without an Id")
    return rid


def _amounts(obj: SObject, ids: list[str], values: list[Any], quarantine: Quarantine) -> list[Decimal | None]:
    out: list[Decimal | None] = []
    for rid, value in zip(ids, values, strict=True):
        try:
            out.append(parse_amount(value))
        except ValueError as exc:
            quarantine.add(snake(obj.name), rid, AMOUNT, value, str(exc))
            out.append(None)
    return out


def _column(obj: SObject, table: Table, column: str, kind: str, ids: list[str], field: str,
            values: list[Any]) -> pa.Array:
    arrow_type = table.arrow_schema().field(column).type
    try:
        if kind in ("timestamp", "date"):
            # Arrow parses ISO 8601 text, offsets and all, a column at a time.
            return pa.array(values, pa.string()).cast(arrow_type)
        return pa.array(values, arrow_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, InvalidOperation):
        pass
    for rid, value in zip(ids, values, strict=True):
        if value is None:
            continue
        try:
            if kind in ("timestamp", "date"):
                pa.array([value], pa.string()).cast(arrow_type)
            else:
                pa.array([value], arrow_type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, InvalidOperation):
            raise RecordError(SOURCE, f"{obj.name} {rid}", field,
                              f"not a {_WHAT[kind]}: {str(value)[:40]!r}") from None
    raise RecordError(SOURCE, f"{obj.name} <batch>", field, "the column could not be read")


_WHAT = {"text": "text value", "bool": "boolean", "date": "date (YYYY-MM-DD)",
         "timestamp": "datetime with a UTC offset", "decimal(38,6)": "number"}
