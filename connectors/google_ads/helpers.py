"""Google Ads over REST: searchStream calls, the stream's batches, and proto3-JSON rows into Arrow.

The REST transport speaks the proto3 JSON mapping: lowerCamelCase names, int64 as strings, doubles as
numbers, enums as names, unset fields absent. searchStream answers one JSON array of batches, each
`{"results": [...], "fieldMask": ..., "requestId": ...}`; an error can arrive as an element of it
(read by `errors.GoogleAdsErrors`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.common import paging
from connectors.common.errors import RecordError, VendorError
from connectors.common.google_oauth import GoogleOAuth
from connectors.common.http import RetryPolicy, VendorClient
from connectors.common.window import DateWindow, check_batch
from connectors.google_ads.errors import GoogleAdsErrors
from connectors.google_ads.settings import (
    CUSTOMER_COLUMN,
    ENUM,
    FIRST,
    ID,
    MICROS_COLUMN,
    SOURCE,
    SPEND_COLUMN,
    Field,
    Report,
)

_INT = re.compile(r"^-?\d+$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class GoogleAdsApi:
    """Authenticated searchStream calls. Building one does no I/O: the token is fetched on first use."""

    def __init__(
        self,
        base_url: str,
        token_url: str,
        developer_token: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        login_customer_id: str | None = None,
        policy: RetryPolicy | None = None,
    ):
        headers = {"developer-token": developer_token}
        if login_customer_id:
            headers["login-customer-id"] = login_customer_id
        oauth = GoogleOAuth(SOURCE, token_url, client_id, client_secret, refresh_token,
                            extra_headers=headers, policy=policy)
        self.http = VendorClient(SOURCE, base_url, auth=oauth, policy=policy, errors=GoogleAdsErrors())

    def search_stream(self, customer_id: str, query: str) -> Iterator[Mapping[str, Any]]:
        return stream_rows(paging.stream_batches(self.http, f"customers/{customer_id}/googleAds:searchStream",
                                                 json_body={"query": query}))

    def fetch_table(self, report: Report, customer_id: str, start: date | None = None,
                    end: date | None = None) -> pa.Table:
        query = report.query(start.isoformat() if start else None, end.isoformat() if end else None)
        table = rows_to_table(report, customer_id, self.search_stream(customer_id, query))
        if report.dated and start and end:
            check_batch(SOURCE, report.table, table, DateWindow(start, end))
        return table


def stream_rows(batches: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """The rows of every batch."""
    for batch in batches:
        results = batch.get("results", [])
        if not isinstance(results, list):
            raise VendorError(SOURCE, "searchStream batch has a non-list 'results'")
        yield from results


class _Bad(ValueError):
    pass


def rows_to_table(report: Report, customer_id: str, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    rows = rows if isinstance(rows, list) else list(rows)
    try:
        return _fast_table(report, customer_id, rows)
    except _Slow:
        return _exact_table(report, customer_id, rows)


class _Slow(Exception):
    """The column-wise path met a value it does not judge; the row-wise path decides (and names it)."""


_NONE = type(None)
_STR_OR_NONE = frozenset({str, _NONE})
_NUMBER_OR_NONE = frozenset({int, float, _NONE})
_INT_OR_NONE = frozenset({int, _NONE})


def _fast_table(report: Report, customer_id: str, rows: list[Mapping[str, Any]]) -> pa.Table:
    """Each field as one Python list cast in Arrow: accepts only what the row-wise decoders accept
    unchanged, and gives up (`_Slow`) on anything else, so both paths build the same table."""
    schema = report.table.arrow_schema()
    parents: dict[str, list[Any]] = {}
    arrays: dict[str, pa.Array] = {}
    try:
        for field, kind in report.decoded:
            head, *rest = field.path
            if head not in parents:
                parents[head] = [row.get(head) for row in rows]
            values = parents[head]
            for key in rest:
                values = [None if value is None else value.get(key) for value in values]
            arrays[field.column] = _FAST[kind](values, field)
    except (AttributeError, TypeError, pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        raise _Slow from None
    if report.with_spend:
        # The micros as the unscaled value of decimal(38, 6): exact, 1234567 micros is 1.234567.
        spend_type = schema.field(SPEND_COLUMN).type
        micros = pc.cast(arrays[MICROS_COLUMN], pa.decimal128(spend_type.precision, 0))
        arrays[SPEND_COLUMN] = pa.Array.from_buffers(spend_type, len(micros), micros.buffers(), micros.null_count)
    if not report.customer_from_row:
        arrays[CUSTOMER_COLUMN] = pa.array([customer_id] * len(rows), pa.string())
    return pa.Table.from_arrays([arrays[name] for name in schema.names], schema=schema)


def _types(values: list[Any]) -> set[type]:
    return set(map(type, values))


def _all(mask: pa.Array) -> bool:
    return bool(pc.all(mask).as_py()) if len(mask) else True


def _fast_id(values: list[Any], field: Field) -> pa.Array:
    if not _types(values) <= {str}:
        raise _Slow
    array = pa.array(values, pa.string())
    if not _all(pc.match_substring_regex(array, r"^[0-9]+$")):
        raise _Slow
    return array


def _fast_text(values: list[Any], field: Field) -> pa.Array:
    if not _types(values) <= _STR_OR_NONE:
        raise _Slow
    return pa.array(values, pa.string())


def _fast_enum(values: list[Any], field: Field) -> pa.Array:
    if not _types(values) <= _STR_OR_NONE:
        raise _Slow
    return pc.fill_null(pa.array(values, pa.string()), "UNSPECIFIED")


def _fast_first(values: list[Any], field: Field) -> pa.Array:
    if not _types(values) <= {list, _NONE}:
        raise _Slow
    firsts = [value[0] if value else None for value in values]
    return _fast_text(firsts, field)


def _fast_date(values: list[Any], field: Field) -> pa.Array:
    if not _types(values) <= {str}:
        raise _Slow
    array = pa.array(values, pa.string())
    if not _all(pc.match_substring_regex(array, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")):
        raise _Slow
    return pc.cast(array, pa.date32())


def _fast_int64(values: list[Any], field: Field) -> pa.Array:
    kinds = _types(values)
    if kinds <= _STR_OR_NONE:
        text = pa.array(values, pa.string())
        if not _all(pc.fill_null(pc.match_substring_regex(text, r"^-?[0-9]+$"), True)):
            raise _Slow
        array = pc.cast(text, pa.int64())
    elif kinds <= _INT_OR_NONE:
        array = pa.array(values, pa.int64())
    else:
        raise _Slow
    return _zero_or_slow(array, field, 0)


def _fast_double(values: list[Any], field: Field) -> pa.Array:
    if not _types(values) <= _NUMBER_OR_NONE:
        raise _Slow
    array = _zero_or_slow(pa.array(values, pa.float64()), field, 0.0)
    if not _all(pc.is_finite(array)):
        raise _Slow
    return array


def _zero_or_slow(array: pa.Array, field: Field, zero: Any) -> pa.Array:
    if not array.null_count:
        return array
    if not field.metric:
        raise _Slow
    return pc.fill_null(array, zero)


_FAST = {ID: _fast_id, ENUM: _fast_enum, FIRST: _fast_first, "text": _fast_text, "date": _fast_date, "bigint": _fast_int64,
         "double": _fast_double}


def _exact_table(report: Report, customer_id: str, rows: list[Mapping[str, Any]]) -> pa.Table:
    schema = report.table.arrow_schema()
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    plan = [(field, field.path, _DECODERS[kind], columns[field.column].append) for field, kind in report.decoded]
    with_spend, customer_from_row = report.with_spend, report.customer_from_row
    for row in rows:
        for field, path, decode, append in plan:
            try:
                append(decode(_dig(row, path), field))
            except _Bad as exc:
                raw = _dig(row, path)
                problem = str(exc) if raw is None else f"value {_quote(raw)} {exc}"
                raise RecordError(SOURCE, describe_row(customer_id, row), field.json_name, problem) from None
        if with_spend:
            # Decimal keeps micros exact: 1234567 micros is 1.234567, never 1.2345669999.
            columns[SPEND_COLUMN].append(Decimal(columns[MICROS_COLUMN][-1]).scaleb(-6))
        if not customer_from_row:
            columns[CUSTOMER_COLUMN].append(customer_id)
    return pa.Table.from_pydict(columns, schema=schema)


def describe_row(customer_id: str, row: Mapping[str, Any]) -> str:
    """'customer 123 campaign 456 date 2026-01-31': enough to find the row in the Google Ads UI."""
    parts = [f"customer {customer_id}"]
    for label, path in (("campaign", ("campaign", "id")), ("ad_group", ("adGroup", "id")),
                        ("ad", ("adGroupAd", "ad", "id"))):
        value = _dig(row, path)
        if value is not None:
            parts.append(f"{label} {value}")
    if "segments" in row or "metrics" in row:
        parts.append(f"date {_dig(row, ('segments', 'date')) or '(missing)'}")
    return " ".join(parts)


def _quote(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _dig(row: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = row
    for key in path:
        # Duck typing instead of isinstance(Mapping): this runs once per field of every row.
        try:
            value = value.get(key)
        except AttributeError:
            return None
    return value


def _id(value: Any, field: Field) -> str:
    if value is None:
        raise _Bad("is missing")
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not text.isdigit():
        raise _Bad("is not a numeric id")
    return text


def _text(value: Any, field: Field) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Bad("is not a string")
    return value


def _enum(value: Any, field: Field) -> str:
    # proto3 omits an enum at its zero value, which Google Ads names UNSPECIFIED.
    if value is None:
        return "UNSPECIFIED"
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise _Bad("is not an enum name")
    return str(value)


def _first(value: Any, field: Field) -> str | None:
    # proto3 leaves an empty repeated field out: an ad without final URLs (a shopping product ad).
    if value is None:
        return None
    if not isinstance(value, list):
        raise _Bad("is not a list")
    return _text(value[0], field) if value else None


def _date(value: Any, field: Field) -> date:
    if value is None:
        raise _Bad("is missing")
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise _Bad("is not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad("is not a valid date") from None


def _int64(value: Any, field: Field) -> int:
    if value is None:
        if field.metric:
            return 0
        raise _Bad("is missing")
    if isinstance(value, bool):
        raise _Bad("is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INT.match(value):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _Bad("is not an integer")


def _double(value: Any, field: Field) -> float:
    if value is None:
        if field.metric:
            return 0.0
        raise _Bad("is missing")
    if isinstance(value, bool):
        raise _Bad("is not a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Bad("is not a number") from None
    if not math.isfinite(number):
        raise _Bad("is not a finite number")
    return number


_DECODERS = {ID: _id, ENUM: _enum, FIRST: _first, "text": _text, "date": _date, "bigint": _int64, "double": _double}
