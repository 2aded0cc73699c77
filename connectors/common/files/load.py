"""One file's cells to a contract's fields, value by value.

A cell is read by its field's kind with the file's mapping (date formats, decimal mark, thousands
separator). A row whose cell cannot be read, or that leaves a required field blank, is a bad row:
each of its bad values is listed for the quarantine, naming the file, the row, the field and why.
What becomes of the bad row and the rest of the file is the source's `on_bad_rows` (see `source`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.common.files.fields import Field, FileContract
from connectors.common.files.mapping import FileMapping
from connectors.common.files.readers import FileUnreadable, Sheet

_SCALE = Decimal("0.000001")
_MAX_DECIMAL = Decimal(10) ** 32  # decimal(38, 6) keeps 32 digits before the point
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_INTEGER = re.compile(r"[+-]?[0-9]+")

Parser = Callable[[Any], Any]


def _number_text(value: str, mapping: FileMapping) -> str:
    text = value.strip().replace("\u00a0", " ")
    if mapping.thousands:
        text = text.replace(mapping.thousands, "")
    if mapping.decimal == ",":
        if "." in text:
            # With a decimal comma, a point is a thousands mark the mapping did not declare, or a
            # decimal point from a file of another locale: either way, guessing would misread money.
            raise ValueError("holds a '.' where the decimal mark is ','")
        text = text.replace(",", ".")
    elif "," in text:
        raise ValueError("holds a ',' where the decimal mark is '.' (set the mapping's thousands or decimal)")
    return text.replace(" ", "") if mapping.thousands == " " else text


def parse_decimal(value: Any, mapping: FileMapping) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, float):
        # An XLSX number is a float: its shortest repr is what the sheet shows, to six places.
        number = Decimal(repr(value)).quantize(_SCALE)
    elif isinstance(value, (int, Decimal)):
        number = Decimal(value)
    else:
        try:
            number = Decimal(_number_text(str(value), mapping))
        except InvalidOperation:
            raise ValueError("not a number") from None
    if not number.is_finite():
        raise ValueError("not a finite number")
    if abs(number) >= _MAX_DECIMAL:
        raise ValueError("too large for decimal(38, 6)")
    exact = number.quantize(_SCALE)
    if exact != number:
        raise ValueError("more than 6 decimal places")
    return exact


def parse_integer(value: Any, mapping: FileMapping) -> int:
    if isinstance(value, bool):
        raise ValueError("not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("not a whole number")
        return int(value)
    text = _number_text(str(value), mapping)
    if not _INTEGER.fullmatch(text):
        raise ValueError("not a whole number")
    return int(text)


def parse_number(value: Any, mapping: FileMapping) -> float:
    if isinstance(value, bool):
        raise ValueError("not a number")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        try:
            number = float(Decimal(_number_text(str(value), mapping)))
        except InvalidOperation:
            raise ValueError("not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return number


def parse_date(value: Any, mapping: FileMapping) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in mapping.date_formats:
        try:
            if fmt == "%Y-%m-%d" and len(text) == 10 and text[4] == text[7] == "-" and text[5:7].isdigit():
                # strptime costs 10x more; most files are ISO.
                return date.fromisoformat(text)
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date in the format(s) {', '.join(mapping.date_formats)}")


def parse_month(value: Any, mapping: FileMapping) -> date:
    if isinstance(value, (date, datetime)) or any("%d" in f for f in mapping.date_formats):
        try:
            return parse_date(value, mapping).replace(day=1)
        except ValueError:
            pass
    text = str(value).strip()
    for fmt in ("%Y-%m", "%m/%Y", "%Y%m"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a month (YYYY-MM) or a date in the format(s) {', '.join(mapping.date_formats)}")


def parse_text(value: Any, mapping: FileMapping) -> str:
    if isinstance(value, float) and value.is_integer():
        # An id typed into a spreadsheet comes back as 1234.0.
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


def parse_currency(value: Any, mapping: FileMapping) -> str:
    text = str(value).strip()
    if not _CURRENCY.fullmatch(text) or not text.isascii():
        raise ValueError("not an ISO 4217 currency code (three letters)")
    return text.upper()


def _parser(spec: Field, mapping: FileMapping) -> Parser:
    if spec.kind == "choice":
        choices = set(spec.choices)

        def choice(value: Any) -> str:
            text = str(value).strip().lower()
            if text not in choices:
                raise ValueError(f"not one of {', '.join(spec.choices)}")
            return text

        return choice
    read = {"text": parse_text, "date": parse_date, "month": parse_month, "decimal": parse_decimal,
            "integer": parse_integer, "number": parse_number, "currency": parse_currency}[spec.kind]
    return lambda value: read(value, mapping)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class FileRows:
    """What a file gave: its good rows by field, the values set aside, and its days."""

    file_name: str
    values: dict[str, list[Any]]
    row_numbers: list[int] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    bad_rows: int = 0
    first_day: date | None = None
    last_day: date | None = None

    @property
    def rows(self) -> int:
        return len(self.row_numbers)


def quarantine_row(table: str, file_name: str, row: int, field_name: str, raw: Any, error: str,
                   at: datetime | None = None) -> dict[str, Any]:
    return {"source_table": table, "record_id": f"{file_name}:{row}", "field": field_name,
            "raw_value": None if raw is None else str(raw)[:200], "error": error,
            "quarantined_at": at or datetime.now(UTC)}


def read_rows(contract: FileContract, mapping: FileMapping, file_name: str, sheet: Sheet) -> FileRows:
    """Every row of the sheet read into the contract's fields. Raises `FileUnreadable` when a mapped
    column is not in the header."""
    positions = {name.strip(): i for i, name in enumerate(sheet.header) if name}
    missing = [column for column in mapping.columns if column.strip() not in positions]
    if missing:
        raise FileUnreadable(1, missing[0], f"the mapping '{mapping.name}' reads column {missing[0]!r}, which the "
                                            f"header lacks (it has {', '.join(sheet.header)[:200]})", missing[0])
    by_field = {target: (column, positions[column.strip()]) for column, target in mapping.columns.items()}
    parsers = {f.name: _parser(f, mapping) for f in contract.fields}
    defaults: dict[str, Any] = {}
    for name, raw in mapping.defaults.items():
        try:
            defaults[name] = parsers[name](raw)
        except ValueError as exc:
            # The config is wrong, not the file: every file of the mapping would fail the same way.
            raise FileUnreadable(0, name, f"the mapping '{mapping.name}' default for {name} is {exc}", raw) from None
    plan = [(f, by_field.get(f.name), parsers[f.name], defaults.get(f.name)) for f in contract.fields]
    width = len(sheet.header)
    out = FileRows(file_name, {f.name: [] for f in contract.fields})
    columns = [out.values[f.name] for f in contract.fields]
    day_at = contract.field_names.index(contract.day)
    now = datetime.now(UTC)
    for number, cells in sheet.rows:
        if len(cells) > width and not all(_blank(c) for c in cells[width:]):
            out.bad_rows += 1
            out.quarantined.append(quarantine_row(contract.table, file_name, number, "row", None,
                                                  f"{len(cells)} cells where the header has {width}", now))
            continue
        row: list[Any] = []
        bad = False
        for spec, source, parse, default in plan:
            raw = cells[source[1]] if source is not None and source[1] < len(cells) else None
            if _blank(raw):
                value = default
                if value is None and spec.required:
                    bad = True
                    where = f"column {source[0]!r} is blank" if source else "no column and no default"
                    out.quarantined.append(quarantine_row(contract.table, file_name, number, spec.name, raw,
                                                          f"required: {where}", now))
            else:
                try:
                    value = parse(raw)
                except ValueError as exc:
                    bad = True
                    value = None
                    out.quarantined.append(quarantine_row(contract.table, file_name, number, spec.name, raw,
                                                          f"column {source[0]!r}: {exc}", now))  # type: ignore[index]
            row.append(value)
        if bad:
            out.bad_rows += 1
            continue
        out.row_numbers.append(number)
        for column, value in zip(columns, row, strict=True):
            column.append(value)
        day = row[day_at]
        if day is not None:
            if out.first_day is None or day < out.first_day:
                out.first_day = day
            if out.last_day is None or day > out.last_day:
                out.last_day = day
    return out
