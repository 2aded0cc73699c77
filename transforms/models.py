"""SQL models: discovered from files, rendered, dependency-parsed and transpiled per engine.

Each model is one SELECT written once in the DuckDB dialect. Its file says where it lands:
`staging/<source>__<entity>.sql` -> `staging.stg_<source>__<entity>`,
`intermediate/int_*.sql` -> `intermediate.int_*`, and `marts/<name>.sql` -> the out-of-sight
candidate `marts_candidate.<name>`, which publish later copies into `marts`.
Dependencies are the tables a model reads, parsed by sqlglot, so there is no list to keep in sync.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2
import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres

ROOT = Path(__file__).resolve().parent
LAYERS = ("staging", "intermediate", "marts")
CANDIDATE_SCHEMA = "marts_candidate"
PUBLISHED_SCHEMA = "marts"
SEED_SCHEMA = "staging"
SEEDS = {"campaign_key_overrides": ("platform", "campaign_id", "campaign_key")}


@dataclass(frozen=True)
class Model:
    layer: str
    schema: str
    name: str
    path: Path
    description: str
    deps: tuple[tuple[str, str], ...] = field(default=())

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"

    def render(self, variables: dict[str, str]) -> str:
        return render(self.path.read_text(), variables)


def campaign_key(expr: str) -> str:
    """The join key across ads, web and CRM: lower case, runs of non-alphanumerics to `_`, trimmed."""
    return f"trim(both '_' from regexp_replace(lower(trim({expr})), '[^a-z0-9]+', '_', 'g'))"


def safe_divide(numerator: str, denominator: str) -> str:
    """Ratios are NULL where the denominator is 0 (or NULL), never an error or infinity."""
    return f"cast({numerator} as double) / nullif(cast({denominator} as double), 0)"


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:-]*$")


def render(sql: str, variables: dict[str, str]) -> str:
    def var(name: str) -> str:
        value = variables[name]
        if not _SAFE_VALUE.match(value):
            raise ValueError(f"variable {name!r} has characters that cannot be inlined into SQL")
        return f"'{value}'"

    return _ENV.from_string(sql).render(var=var, campaign_key=campaign_key, safe_divide=safe_divide)


def _description(sql: str) -> str:
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines)


def _target(layer: str, stem: str) -> tuple[str, str]:
    if layer == "staging":
        return "staging", f"stg_{stem}"
    if layer == "intermediate":
        return "intermediate", stem
    return CANDIDATE_SCHEMA, stem


def referenced_tables(sql: str) -> tuple[tuple[str, str], ...]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found = {
        (table.db, table.name)
        for table in tree.find_all(exp.Table)
        if table.db and table.name not in ctes
    }
    return tuple(sorted(found))


@lru_cache(maxsize=1)
def discover() -> tuple[Model, ...]:
    """Every model, in an order where each comes after what it reads."""
    placeholder_vars = {"reporting_currency": "XXX"}
    models: list[Model] = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).glob("*.sql")):
            sql = path.read_text()
            schema, name = _target(layer, path.stem)
            deps = referenced_tables(render(sql, placeholder_vars))
            models.append(Model(layer, schema, name, path, _description(sql), deps))
    return tuple(_topological(models))


def _topological(models: list[Model]) -> list[Model]:
    by_relation = {(m.schema, m.name): m for m in models}
    ordered: list[Model] = []
    state: dict[tuple[str, str], str] = {}

    def visit(key: tuple[str, str]) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            raise ValueError(f"transform models form a cycle through {key[0]}.{key[1]}")
        state[key] = "visiting"
        for dep in by_relation[key].deps:
            if dep in by_relation:
                visit(dep)
        state[key] = "done"
        ordered.append(by_relation[key])

    for key in by_relation:
        visit(key)
    return ordered


class _PortablePostgres(Postgres):
    """sqlglot's Postgres, plus DuckDB functions it does not map on its own."""

    class Generator(Postgres.Generator):
        TRANSFORMS = {
            **Postgres.Generator.TRANSFORMS,
            # Postgres has no regexp_extract; substring(x from pattern) returns the first group.
            exp.RegexpExtract: lambda self, e: (
                f"SUBSTRING({self.sql(e, 'this')} FROM {self.sql(e, 'expression')})"
            ),
        }


def transpile(sql: str, dialect: str) -> str:
    if dialect == "duckdb":
        return sql
    return _PortablePostgres().generate(sqlglot.parse_one(sql, read="duckdb"), pretty=False)
