"""CSV and XLSX files to a header and numbered rows of cells.

Row numbers are what a person sees in a spreadsheet: the header is row 1, so a quarantined value's
record (`<file>:<row>`) points at the row to fix. Blank rows are skipped, not numbered anew. XLSX
cells keep their types (dates, numbers), which `load.parse` reads as they are; CSV cells are text.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors.common.files.mapping import FileMapping

CSV_SUFFIXES = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")


class FileUnreadable(Exception):
    """The file as a whole cannot be read as a table: `row` 0 (the file) or 1 (its header)."""

    def __init__(self, row: int, field: str, problem: str, raw_value: str | None = None):
        self.row = row
        self.field = field
        self.problem = problem
        self.raw_value = raw_value
        super().__init__(problem)


@dataclass
class Sheet:
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]


def read(content: bytes, file_name: str, mapping: FileMapping) -> Sheet:
    lower = file_name.lower()
    if lower.endswith(XLSX_SUFFIXES):
        return _xlsx(content, mapping)
    if lower.endswith(CSV_SUFFIXES):
        return _csv(content, mapping)
    raise FileUnreadable(0, "file", f"not a CSV ({', '.join(CSV_SUFFIXES)}) or XLSX ({', '.join(XLSX_SUFFIXES)}) "
                                    "file by its name")


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _header(cells: list[Any]) -> list[str]:
    header = [("" if c is None else str(c)).strip() for c in cells]
    while header and not header[-1]:
        header.pop()
    if not header:
        raise FileUnreadable(1, "header", "the first row is empty: no header")
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise FileUnreadable(1, name, "the column is named twice in the header", name)
        seen.add(name)
    return header


def _csv(content: bytes, mapping: FileMapping) -> Sheet:
    encoding = "utf-8-sig" if mapping.encoding.lower().replace("_", "-") in ("utf-8", "utf8") else mapping.encoding
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileUnreadable(0, "file", f"not {mapping.encoding} text (byte {exc.start}); set the mapping's "
                                        "encoding") from None
    except LookupError:
        raise FileUnreadable(0, "file", f"the mapping's encoding {mapping.encoding!r} is unknown") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    try:
        first = next(reader, None)
    except csv.Error as exc:
        raise FileUnreadable(1, "header", f"not CSV: {exc}") from None
    if first is None:
        raise FileUnreadable(0, "file", "the file is empty")
    header = _header(first)

    def rows() -> Iterator[tuple[int, list[Any]]]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                # A broken quote swallows the rest of the file: nothing after it can be trusted.
                raise FileUnreadable(number + 1, "row", f"not CSV: {exc}") from None
            number += 1
            if not _blank(cells):
                yield number, cells

    return Sheet(header, rows())


def _xlsx(content: bytes, mapping: FileMapping) -> Sheet:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FileUnreadable(0, "file", f"not a readable XLSX workbook ({type(exc).__name__})") from None
    if mapping.sheet is not None:
        if mapping.sheet not in book.sheetnames:
            raise FileUnreadable(0, "sheet", f"the workbook has no sheet {mapping.sheet!r} (sheets: "
                                             f"{', '.join(book.sheetnames)[:200]})", mapping.sheet)
        sheet = book[mapping.sheet]
    else:
        sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    first = next(values, None)
    if first is None:
        raise FileUnreadable(0, "file", "the sheet is empty")
    header = _header(list(first))

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in enumerate(values, start=2):
            cells = list(cells)
            if not _blank(cells):
                yield number, cells
        book.close()

    return Sheet(header, rows())
