"""Views over a published mart: another shape of the same rows for tools that expect it (the column
names of Fivetran's ad reporting package, say), declared like a mart and published with it.

`transforms/views/<name>.sql` is one SELECT, in the DuckDB dialect, reading exactly one published
mart (`marts.<mart>`); `<name>.yml` beside it declares its description, grain and columns, from which
the README and the Dagster metadata come. It becomes the view `marts.<name>`.

A view is replaced in the transaction that publishes its mart (`transforms.publication`): dropped
before the mart is re-pointed and created again after, so readers see the view and its mart change
together, and the mart's columns may change (on PostgreSQL a view that still depended on it would
stop its re-pointing). It has no checks of its own: it shows rows its mart's gate passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from transforms.contracts import ColumnContract, ContractError, declared, declared_columns, load_yaml, marts
from transforms.models import PUBLISHED_SCHEMA, referenced_tables, transpile

VIEWS_DIR = Path(__file__).resolve().parent / "views"


@dataclass(frozen=True)
class ViewContract:
    name: str
    description: str
    mart: str  # the one published mart it reads
    grain: tuple[str, ...]
    columns: tuple[ColumnContract, ...]
    path: Path

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def relation(self) -> str:
        return f"{PUBLISHED_SCHEMA}.{self.name}"

    def create_sql(self, dialect: str) -> str:
        return f"CREATE VIEW {self.relation} AS {transpile(self.path.with_suffix('.sql').read_text(), dialect)}"


def load_view(path: Path) -> ViewContract:
    data = load_yaml(path)
    name = path.stem
    unknown = set(data) - {"description", "grain", "columns"}
    if unknown:
        raise ContractError(f"{path}: unknown keys {sorted(unknown)}")
    columns, checks = declared_columns(path, name, data.get("columns"))
    if checks:
        raise ContractError(f"{path}: a view has no checks of its own: it shows what its mart's gate passed")
    grain = tuple(data.get("grain") or ())
    if not grain or not set(grain) <= {c.name for c in columns}:
        raise ContractError(f"{path}: grain must list declared columns")
    sql = path.with_suffix(".sql")
    if not sql.exists():
        raise ContractError(f"{path}: no {sql.name} beside it")
    reads = referenced_tables(sql.read_text())
    if len(reads) != 1 or reads[0][0] != PUBLISHED_SCHEMA or reads[0][1] not in marts():
        raise ContractError(f"{sql}: a view reads exactly one published mart (marts.<name>), not "
                            f"{', '.join('.'.join(r) for r in reads) or 'nothing'}")
    return ViewContract(name, " ".join(str(data.get("description") or "").split()), reads[0][1], grain, columns, path)


@cache
def views() -> dict[str, ViewContract]:
    """Every declared view, by name."""
    found = declared(VIEWS_DIR, load_view, "views")
    clash = set(found) & set(marts())
    if clash:
        raise ContractError(f"views named like marts: {sorted(clash)}")
    return found


def views_of(mart: str) -> tuple[ViewContract, ...]:
    """The views over a mart, published with it."""
    return tuple(v for v in views().values() if v.mart == mart)
