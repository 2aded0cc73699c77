"""What a file source's files hold: its fields, and the raw tables they load into.

A field has a kind, which says how a cell is read (`load.parse`) and which column type it lands as.
The rows table carries every field plus where each row came from (file and row number); a source
that keeps every version of a file (plans, whose history matters) also carries the version's hash
and modification time. The manifest (`files`) and the quarantine are the same for every file source.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from connectors.common.tables import Column, Table

# The column type each kind of field lands as.
KIND_TYPES = {
    "text": "text",
    "date": "date",
    "month": "date",  # the first day of the month
    "decimal": "decimal(38,6)",
    "integer": "bigint",
    "number": "double",
    "currency": "text",  # ISO 4217, upper case
    "choice": "text",  # one of the field's choices, lower case
}

MANIFEST = "files"
QUARANTINE = "quarantine"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    required: bool = False
    description: str = ""
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in KIND_TYPES:
            raise ValueError(f"field {self.name}: unknown kind {self.kind!r}; known: {', '.join(KIND_TYPES)}")
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"field {self.name}: a choice field, and only one, lists its choices")


@dataclass(frozen=True)
class FileContract:
    """A file source's contract: its rows table, its fields, and which field is the row's day."""

    source: str
    table: str
    fields: tuple[Field, ...]
    # Its min and max over the rows a load adds or removes are the days the load changed (`files`).
    day: str
    # False: a changed file replaces that file's rows. True: every version's rows are kept, with the
    # version's hash and time, so staging can tell which version held when.
    keep_versions: bool = False
    description: str = ""

    def __post_init__(self) -> None:
        if self.day not in {f.name for f in self.fields}:
            raise ValueError(f"{self.source}: the day field {self.day!r} is not a field")

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @cached_property
    def rows_table(self) -> Table:
        where = [Column("file_name", "text", False, "the file's path below the folder"),
                 Column("row_number", "bigint", False, "the row in the file as a spreadsheet numbers it (header: 1)")]
        if self.keep_versions:
            where += [Column("content_hash", "text", False, "sha256 of the file version the row is from"),
                      Column("file_modified", "timestamp", False, "when that version was written: it holds from then")]
        fields = [Column(f.name, KIND_TYPES[f.kind], not f.required, f.description) for f in self.fields]
        if self.keep_versions:
            return Table(self.table, (*where, *fields), primary_key=("file_name", "row_number", "content_hash"),
                         description=self.description)
        # A changed file's rows replace its earlier version's as a whole (delete-insert on the file).
        return Table(self.table, (*where, *fields), primary_key=("file_name", "row_number"), merge_key=("file_name",),
                     description=self.description)

    @cached_property
    def manifest_table(self) -> Table:
        return manifest_table()

    @cached_property
    def quarantine_table(self) -> Table:
        return quarantine_table()

    @property
    def tables(self) -> tuple[Table, ...]:
        return self.rows_table, self.manifest_table, self.quarantine_table


def manifest_table() -> Table:
    return Table(
        MANIFEST,
        (
            Column("file_name", "text", False, "the file's path below the folder"),
            Column("content_hash", "text", False, "sha256 of the file's bytes"),
            Column("size", "bigint", False, "bytes"),
            Column("modified", "timestamp", True, "the file's modification time in the folder"),
            Column("status", "text", False, "loaded, rejected (a bad row, with on_bad_rows = reject_file), unreadable "
                                           "(no mapping, not CSV/XLSX, a mapped column missing) or empty"),
            Column("rows_loaded", "bigint", False),
            Column("rows_quarantined", "bigint", False),
            Column("changed_from", "date", True, "the first day of the rows this load added or removed (the version "
                                                 "it replaced included)"),
            Column("changed_to", "date", True, "the last such day"),
            Column("loaded_at", "timestamp", False),
        ),
        primary_key=("file_name", "content_hash", "loaded_at"),
        disposition="append",
        description="One row per file version read: its hash, what it loaded and set aside, the days it changed.",
    )


def quarantine_table() -> Table:
    return Table(
        QUARANTINE,
        (
            Column("source_table", "text", False), Column("record_id", "text", False), Column("field", "text", False),
            Column("raw_value", "text"), Column("error", "text"), Column("quarantined_at", "timestamp", False),
        ),
        primary_key=("source_table", "record_id", "field", "quarantined_at"),
        disposition="append",
        description="Values and files set aside as unreadable: the record is `<file>:<row number>` (row 0: the "
                    "file as a whole, row 1: its header), the error says why and what became of the file.",
    )
