"""The KPI catalog: every KPI's formula, written once in docs/metrics.md and rendered into the marts.

docs/metrics.md holds one table per group of KPIs under `## KPI catalog`, a row per KPI:
`| name | `column` | `formula` | grain | NULL when |`. The formula is a SQL expression over the
inputs of the KPI's grain, in plain arithmetic. A model writes `{{ kpi('ctr') }}`, or
`{{ kpi('roas', revenue='won_revenue') }}` where its own columns carry other names, and gets the
formula with every division made safe (`transforms.models.safe_divide`: NULL where the denominator
is 0 or NULL). So the document is the definition, and no mart keeps a copy of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import sqlglot
from sqlglot import exp

METRICS = Path(__file__).resolve().parent.parent / "docs" / "metrics.md"
SECTION = "## KPI catalog"
_ROW = re.compile(r"^\|\s*(?P<kpi>[^|]+?)\s*\|\s*`(?P<column>[a-z_0-9]+)`\s*\|\s*`(?P<formula>[^`]+)`\s*\|"
                  r"\s*(?P<grain>[^|]*?)\s*\|\s*(?P<null_when>[^|]*?)\s*\|\s*$")


class KpiError(ValueError):
    """A KPI is not in the catalog, or its formula does not parse; names the KPI."""


@dataclass(frozen=True)
class Kpi:
    name: str
    column: str
    formula: str
    grain: str
    null_when: str

    @property
    def inputs(self) -> tuple[str, ...]:
        """The columns the formula reads, in order of first use."""
        seen: dict[str, None] = {}
        for column in sqlglot.parse_one(self.formula, read="duckdb").find_all(exp.Column):
            seen.setdefault(column.name, None)
        return tuple(seen)


def parse_catalog(text: str) -> dict[str, Kpi]:
    """The KPIs of the catalog section of a metrics document, by column name."""
    if SECTION not in text:
        raise KpiError(f"{METRICS.name} has no '{SECTION}' section")
    section = text.split(SECTION, 1)[1]
    section = section.split("\n## ", 1)[0]
    found: dict[str, Kpi] = {}
    for line in section.splitlines():
        match = _ROW.match(line.strip())
        if not match:
            continue
        kpi = Kpi(match["kpi"], match["column"], match["formula"].strip(), match["grain"], match["null_when"])
        if kpi.column in found:
            raise KpiError(f"{METRICS.name}: KPI {kpi.column!r} is defined twice")
        try:
            sqlglot.parse_one(kpi.formula, read="duckdb")
        except sqlglot.errors.ParseError as exc:
            raise KpiError(f"{METRICS.name}: KPI {kpi.column!r}: formula does not parse: {exc}") from None
        found[kpi.column] = kpi
    return found


@cache
def catalog() -> dict[str, Kpi]:
    return parse_catalog(METRICS.read_text())


def _safe(tree: exp.Expression) -> exp.Expression:
    """Every division in the tree, innermost first, as a double over a denominator NULL at 0."""
    for node in reversed(list(tree.find_all(exp.Div))):
        numerator = exp.Cast(this=node.this.copy(), to=exp.DataType.build("double"))
        denominator = exp.Nullif(this=exp.Cast(this=node.expression.copy(), to=exp.DataType.build("double")),
                                 expression=exp.Literal.number(0))
        safe = exp.Div(this=numerator, expression=denominator)
        if node is tree:
            return safe
        node.replace(safe)
    return tree


def kpi_sql(name: str, **columns: str) -> str:
    """The KPI's formula as SQL, every division safe, its inputs renamed by `columns` (input=expression)."""
    try:
        kpi = catalog()[name]
    except KeyError:
        raise KpiError(f"KPI {name!r} is not in {METRICS.name}'s catalog") from None
    unknown = set(columns) - set(kpi.inputs)
    if unknown:
        raise KpiError(f"KPI {name!r} has no inputs {sorted(unknown)}; its inputs are {', '.join(kpi.inputs)}")
    tree = sqlglot.parse_one(kpi.formula, read="duckdb")

    def rename(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name in columns:
            return sqlglot.parse_one(columns[node.name], read="duckdb")
        return node

    tree = _safe(tree.transform(rename))
    return f"({tree.sql(dialect='duckdb')})"
