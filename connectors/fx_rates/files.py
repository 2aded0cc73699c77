"""The ECB's files to rows: the history zip's CSV and the gesmes XML, rates parsed exactly as Decimal.

A file that is not the documented format fails with a `FileFormatError` naming it; a line or
element that breaks the layout (a date that is not a date, a line with the wrong number of fields, a
day listed twice) is a `RecordError` naming the file, the line (or the day) and the field. A rate
that is neither a positive number nor `N/A` is not loaded: it goes to the quarantine table naming
the day and the currency, and the file's other rates still load (HubSpot's rule for amounts).
"""

from __future__ import annotations

import io
import logging
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from connectors.common.errors import RecordError
from connectors.fx_rates.errors import FileFormatError
from connectors.fx_rates.settings import (
    BASE_CURRENCY,
    HIST_CSV,
    HIST_ZIP,
    NOT_AVAILABLE,
    QUARANTINE_TABLE,
    RATE_SCALE,
    RATES_TABLE,
    SOURCE,
)

log = logging.getLogger("funnelhouse.connectors.fx_rates")

_CODE = re.compile(r"[A-Z]{3}")
_QUANTUM = Decimal(1).scaleb(-RATE_SCALE)
_MAX_RATE = Decimal(10) ** (38 - RATE_SCALE)


def parse_rate(text: str) -> Decimal:
    """A published rate as decimal(38, 10), exactly; ValueError says why it is not one."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a finite number")
    if value <= 0:
        raise ValueError("not a positive number")
    if value >= _MAX_RATE:
        raise ValueError(f"too large for decimal(38, {RATE_SCALE})")
    exact = value.quantize(_QUANTUM)
    if exact != value:
        raise ValueError(f"more than {RATE_SCALE} decimal places")
    return exact


def parse_day(text: str, record: str, field_name: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise RecordError(SOURCE, record, field_name, f"not a date (YYYY-MM-DD): {text[:40]!r}") from None


@dataclass
class Rates:
    """What one file gave: the rows to load, the rates set aside, and the days the file covers
    (whatever the currency filter kept)."""

    file: str
    currency_code: list[str] = field(default_factory=list)
    rate_date: list[date] = field(default_factory=list)
    units_per_eur: list[Decimal] = field(default_factory=list)
    quarantined: list[dict[str, Any]] = field(default_factory=list)
    oldest: date | None = None
    newest: date | None = None
    currencies_seen: set[str] = field(default_factory=set)

    def day(self, day: date) -> None:
        if self.oldest is None or day < self.oldest:
            self.oldest = day
        if self.newest is None or day > self.newest:
            self.newest = day

    def add(self, currency: str, day: date, text: str, where: str) -> None:
        try:
            value = parse_rate(text)
        except ValueError as exc:
            self.quarantine(currency, day, text, f"{exc} ({where})")
            return
        self.currency_code.append(currency)
        self.rate_date.append(day)
        self.units_per_eur.append(value)

    def quarantine(self, currency: str, day: date, raw: str, error: str) -> None:
        log.warning("%s: the %s rate of %s is unreadable: %s (value %r); not loaded, quarantined",
                    SOURCE, currency, day.isoformat(), error, raw[:40])
        self.quarantined.append({
            "source_table": RATES_TABLE.name, "record_id": f"{day.isoformat()} {currency}", "field": "units_per_eur",
            "raw_value": raw, "error": error, "quarantined_at": datetime.now(UTC),
        })

    @property
    def rows(self) -> int:
        return len(self.rate_date)

    def table(self) -> pa.Table:
        n = self.rows
        return pa.table({"currency_code": self.currency_code, "rate_date": self.rate_date,
                         "units_per_eur": self.units_per_eur, "source_file": [self.file] * n},
                        schema=RATES_TABLE.arrow_schema())

    def quarantine_table(self) -> pa.Table:
        return pa.Table.from_pylist(self.quarantined, schema=QUARANTINE_TABLE.arrow_schema())


def _keep(code: str, wanted: Collection[str] | None) -> bool:
    return code != BASE_CURRENCY and (wanted is None or code in wanted)


# --- eurofxref-hist.zip ------------------------------------------------------------------------
def read_hist_zip(content: bytes, wanted: Collection[str] | None = None) -> Rates:
    """The history zip's CSV as rows, of the `wanted` currencies (default: all)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise FileFormatError(HIST_ZIP, f"not a readable zip archive ({exc}; {len(content)} bytes): "
                                        "the download may be truncated") from None
    names = archive.namelist()
    csvs = [n for n in names if n.lower().endswith(".csv")]
    if not csvs:
        raise FileFormatError(HIST_ZIP, f"holds no CSV file (entries: {', '.join(names)[:200] or 'none'})")
    name = HIST_CSV if HIST_CSV in csvs else csvs[0]
    try:
        data = archive.read(name)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise FileFormatError(f"{HIST_ZIP}/{name}", f"cannot be extracted ({exc}): the archive is damaged") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{HIST_ZIP}/{name}", f"is not UTF-8 text (byte {exc.start})") from None
    return read_hist_csv(text, name, wanted)


def _cells(line: str) -> list[str]:
    cells = line.split(",")
    # Every line of the ECB's CSV ends with a comma: one empty last field, not a column.
    if len(cells) > 1 and cells[-1].strip() == "":
        cells.pop()
    return cells


def read_hist_csv(text: str, name: str = HIST_CSV, wanted: Collection[str] | None = None) -> Rates:
    rates = Rates(HIST_ZIP)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise FileFormatError(name, "is empty: no header line")
    header = [cell.strip() for cell in _cells(lines[0])]
    if header[0] != "Date":
        raise RecordError(SOURCE, f"{name} line 1", header[0][:40] or "1",
                          "the header's first field must be 'Date'")
    for code in header[1:]:
        if not _CODE.fullmatch(code):
            raise RecordError(SOURCE, f"{name} line 1", code[:40] or "(empty)", "not a currency code (three letters)")
    if len(set(header)) != len(header):
        raise RecordError(SOURCE, f"{name} line 1", "header", "a currency is listed twice")
    columns = [(i, code) for i, code in enumerate(header) if i and _keep(code, wanted)]
    rates.currencies_seen.update(header[1:])
    width = len(header)
    seen: dict[date, int] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        cells = _cells(line)
        if len(cells) != width:
            raise RecordError(SOURCE, f"{name} line {number}", "line",
                              f"{len(cells)} fields where the header has {width}")
        day = parse_day(cells[0].strip(), f"{name} line {number}", "Date")
        if day in seen:
            raise RecordError(SOURCE, f"{name} line {number}", "Date",
                              f"{day.isoformat()} is listed twice (also on line {seen[day]})")
        seen[day] = number
        rates.day(day)
        for i, code in columns:
            value = cells[i].strip()
            if value == NOT_AVAILABLE or not value:
                continue
            rates.add(code, day, value, f"{name} line {number}, column {code}")
    return rates


# --- eurofxref-hist-90d.xml, eurofxref-daily.xml -----------------------------------------------
def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_xml(content: bytes, name: str, wanted: Collection[str] | None = None) -> Rates:
    """A gesmes envelope of `<Cube time=...>` days of `<Cube currency=... rate=.../>` as rows."""
    rates = Rates(name)
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        line, column = getattr(exc, "position", (0, 0))
        raise FileFormatError(name, f"is not well-formed XML at line {line}, column {column} "
                                    f"({len(content)} bytes): the download may be truncated") from None
    if _local(root.tag) != "Envelope":
        raise FileFormatError(name, f"is not a gesmes:Envelope (root element <{_local(root.tag)[:40]}>)")
    outer = [child for child in root if _local(child.tag) == "Cube"]
    if len(outer) != 1:
        raise FileFormatError(name, f"must hold one <Cube> of days; it holds {len(outer)}")
    seen: set[date] = set()
    for index, day_cube in enumerate(outer[0], start=1):
        if _local(day_cube.tag) != "Cube":
            continue
        raw_time = day_cube.get("time")
        if raw_time is None:
            raise RecordError(SOURCE, f"{name} day {index}", "time", "a <Cube> of rates without its time attribute")
        day = parse_day(raw_time.strip(), f"{name} <Cube time={raw_time[:40]!r}>", "time")
        if day in seen:
            raise RecordError(SOURCE, f"{name} <Cube time={raw_time!r}>", "time", "the day is listed twice")
        seen.add(day)
        rates.day(day)
        where = f"{name} <Cube time='{day.isoformat()}'>"
        for cube in day_cube:
            if _local(cube.tag) != "Cube":
                continue
            code = (cube.get("currency") or "").strip()
            if not _CODE.fullmatch(code):
                raise RecordError(SOURCE, where, "currency", f"not a currency code: {code[:40]!r}")
            rates.currencies_seen.add(code)
            if not _keep(code, wanted):
                continue
            raw = cube.get("rate")
            if raw is None:
                raise RecordError(SOURCE, f"{where} currency {code}", "rate", "missing")
            rates.add(code, day, raw.strip(), f"{where}, currency {code}")
    return rates
