"""One declaration per raw table: its columns, keys and write disposition.

From it come the Arrow schema a connector builds its pages in, the dlt hints its resource carries,
the DDL tests create fixtures with, and the empty relation that stands in for a source that has
never loaded. So the four cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from warehouse import types

if TYPE_CHECKING:
    from connectors.common.window import DateWindow


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # warehouse.types vocabulary: text, bool, date, timestamp, bigint, double, decimal(p,s)
    nullable: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        types.parse(self.type)


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    # Rows of the merge key's values are replaced as a whole (delete-insert): a re-read day
    # replaces that whole day, so rows the vendor no longer reports for it disappear too.
    merge_key: tuple[str, ...] = ()
    disposition: str = "merge"  # merge | append | replace
    # The connector yields each primary key at most once per load, so dlt's merge can skip ranking
    # every staged row by key to keep one. Set it only where the connector's reads prove it (one row
    # per entity and day from a call, calls that cannot overlap), saying why beside it: a duplicate
    # would land twice (and fail the staging grain check).
    unique_per_load: bool = False
    # A windowed table's day: every row a run loads must fall inside the window it fetched.
    date_column: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        for key in (*self.primary_key, *self.merge_key, *([self.date_column] if self.date_column else [])):
            if key not in names:
                raise ValueError(f"table {self.name}: key column {key!r} is not declared")
        if self.disposition not in ("merge", "append", "replace"):
            raise ValueError(f"table {self.name}: unknown disposition {self.disposition!r}")
        if self.unique_per_load and (self.disposition != "merge" or not self.primary_key):
            raise ValueError(f"table {self.name}: unique_per_load needs a merge on a primary key")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def arrow_schema(self) -> Any:
        return self._arrow_schema

    # Connectors ask for it per page.
    @cached_property
    def _arrow_schema(self) -> Any:
        import pyarrow as pa

        return pa.schema([pa.field(c.name, types.arrow_type(c.type), nullable=c.nullable) for c in self.columns])

    def empty(self) -> Any:
        return self.arrow_schema().empty_table()

    def dlt_columns(self) -> dict[str, dict[str, Any]]:
        """dlt column hints that say exactly what the Arrow schema says."""
        return {c.name: {"name": c.name, "nullable": c.nullable, **types.dlt_hint(c.type)} for c in self.columns}

    def write_disposition(self, first_load: bool = False, window: DateWindow | None = None) -> Any:
        """dlt's write disposition. `first_load`: the warehouse has no such table yet, so there is
        nothing to merge with; a load holding each key once then goes straight in, without dlt's
        staging table and delete (a rerun after a crash merges again, by the same keys). `window`:
        the days this run fetched, which the merge replaces (`destination_scope`)."""
        if first_load and self.unique_per_load:
            return "append"
        if self.disposition == "merge" and (self.merge_key or self.unique_per_load):
            scope = self.destination_scope(window) if window is not None else None
            return {"disposition": "merge", "strategy": "delete-insert",
                    **({"deduplicated": True} if self.unique_per_load else {}),
                    **({"destination_scope": scope} if scope else {})}
        return self.disposition

    def destination_scope(self, window: DateWindow) -> str | None:
        """The stored rows a windowed load replaces, as SQL on the raw table: the window's days of
        the merge key's other columns (the accounts) present in the load. Without it, dlt deletes
        by the primary key OR the merge key, a join that cannot use the day's range and so reads
        the whole table on every run; and a day an account no longer reports would keep its rows.
        None for a table whose merge key has no day."""
        day = self.date_column
        if day is None or day not in self.merge_key:
            return None
        conditions = [f"{day} >= CAST('{window.start.isoformat()}' AS DATE)",
                      f"{day} <= CAST('{window.end.isoformat()}' AS DATE)"]
        conditions += [f"{key} IN (SELECT {key} FROM {{staging_table}})" for key in self.merge_key if key != day]
        return " AND ".join(conditions)

    def resource_hints(self, first_load: bool = False, window: DateWindow | None = None) -> dict[str, Any]:
        """Keyword arguments for `dlt.resource`: name, keys, disposition and columns. `window`: a
        windowed table's days fetched by this run."""
        return {
            "name": self.name,
            "table_name": self.name,
            "primary_key": list(self.primary_key) or None,
            "merge_key": list(self.merge_key) or None,
            "write_disposition": self.write_disposition(first_load, window),
            "columns": self.dlt_columns(),
        }

    def last_per_key(self, batch: Any) -> Any:
        """The batch with one row per primary key, the last of any repeats: what dlt's merge would
        keep, done on rows already in hand. A connector whose calls cannot overlap calls it on each
        call's rows, and so can declare `unique_per_load` whatever the vendor's paging does."""
        import numpy as np
        import pyarrow as pa

        if batch.num_rows < 2:
            return batch
        keys = list(self.primary_key)
        positions = pa.array(np.arange(batch.num_rows, dtype=np.int64))
        last = batch.select(keys).append_column("_position", positions) \
            .group_by(keys, use_threads=False).aggregate([("_position", "max")])
        if last.num_rows == batch.num_rows:
            return batch
        return batch.take(np.sort(last.column("_position_max").to_numpy()))

    def ddl(self, schema: str) -> str:
        """CREATE TABLE in SQL both engines read: what tests build hand-computed fixtures with."""
        columns = ", ".join(
            f"{c.name} {types.sql_type(c.type)}{'' if c.nullable else ' NOT NULL'}" for c in self.columns
        )
        return f"CREATE TABLE {schema}.{self.name} ({columns})"

    def empty_select(self) -> str:
        """A SELECT of no rows with this table's columns and types, in the models' (DuckDB) dialect."""
        columns = ", ".join(f"cast(null as {types.sql_type(c.type)}) as {c.name}" for c in self.columns)
        return f"select {columns} where false"
