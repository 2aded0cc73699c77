"""SQL models: one SELECT each, written once in the DuckDB dialect, rendered and transpiled per engine.

A model's file says where it lands: `staging/<source>__<entity>.sql` -> `staging.stg_<source>__<entity>`,
`intermediate/int_*.sql` -> `intermediate.int_*`, and `marts/<name>.sql` -> the out-of-sight
candidate `marts_candidate.<name>`, which publish later renames to `marts_candidate.<name>__live`,
the table behind the view `marts.<name>` (see `transforms.publication`). Which models exist, and
what the unions in them stack, depends on the enabled sources: see `transforms.project`.
Dependencies are the tables a model reads, parsed by sqlglot, so there is no list to keep in sync.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres

from transforms.contracts import BuildSpec
from transforms.kpis import kpi_sql
from transforms.model_settings import NUMBER, ModelSettings, Rows
from transforms.state import Window

LAYERS = ("staging", "intermediate", "marts")
CANDIDATE_SCHEMA = "marts_candidate"
PUBLISHED_SCHEMA = "marts"
SEED_SCHEMA = "staging"

SEEDS = {"campaign_key_overrides": ("platform", "campaign_id", "campaign_key")}

Relation = tuple[str, str]
UnionFunction = Callable[[str, str], str]


@dataclass(frozen=True)
class Model:
    layer: str
    schema: str
    name: str
    path: Path
    description: str
    # The enabled sources' unions, as `{{ union(domain, entity) }}` renders them.
    union: UnionFunction = field(compare=False, repr=False)
    deps: tuple[Relation, ...] = ()
    # For a staging model: a typed relation of no rows for each raw table it reads, standing in
    # while that source has never loaded.
    stand_ins: Mapping[Relation, str] = field(default_factory=dict, compare=False, repr=False)
    # How a run rebuilds it: by the days of the run's window, or whole (transforms.contracts).
    build: BuildSpec = BuildSpec(reason="rebuilt whole")

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def key(self) -> Relation:
        return self.schema, self.name

    @property
    def incremental(self) -> str | None:
        """The date column whose days an incremental run rebuilds, or None for a model built whole."""
        return self.build.incremental

    def render(self, variables: Mapping[str, object], window: Window | None = None) -> str:
        return render(self.path.read_text(), variables, self.union, window)


def campaign_key(expr: str) -> str:
    """The join key across ads, web and CRM: lower case, runs of non-alphanumerics to `_`, trimmed."""
    return f"trim(both '_' from regexp_replace(lower(trim({expr})), '[^a-z0-9]+', '_', 'g'))"


def to_reporting(amount: str, rate: str, scale: int | None = 6) -> str:
    """An amount converted at a rate into the reporting currency: NULL where the rate is missing,
    which the contract's `converted` check reports by currency and day. Money stays decimal, its
    product with the decimal(38,12) rate rounded to its scale identically on both engines;
    `scale=None` gives a double (conversion values)."""
    if scale is None:
        return f"cast({amount} as double) * cast({rate} as double)"
    return f"cast({amount} * {rate} as decimal(38, {scale}))"


# GA4's default channel group rules (support.google.com/analytics/answer/9756891), in GA4's order of
# precedence, for the channels docs/metrics.md lists. GA4 matches sources against internal lists of
# sites; these are the common ones, each also matching its domains (google.com, m.facebook.com, ...).
_SEARCH_SITES = "google|bing|yahoo|baidu|duckduckgo|yandex|ecosia|naver|qwant|startpage"
_SOCIAL_SITES = "facebook|fb|instagram|linkedin|lnkd|twitter|t\\.co|x|tiktok|pinterest|reddit|snapchat|threads|quora"
_VIDEO_SITES = "youtube|vimeo|twitch|dailymotion"
_PAID_MEDIUM = "^(.*cp.*|ppc|retargeting|paid.*)$"
CHANNELS = ("Direct", "Paid Search", "Paid Social", "Paid Video", "Display", "Organic Social", "Organic Search",
            "Referral", "Email", "Unassigned")


def _site(sites: str) -> str:
    return f"^((www|m|l|lm|mobile)\\.)?({sites})(\\.[a-z]{{2,3}})*$"


def channel_group(source: str, medium: str) -> str:
    """The GA4-style default channel group of a utm_source and utm_medium (case-insensitive, NULL
    read as empty): one of CHANNELS, 'Unassigned' where no rule matches."""
    s = f"lower(trim(coalesce({source}, '')))"
    m = f"lower(trim(coalesce({medium}, '')))"

    def matches(value: str, pattern: str) -> str:
        return f"regexp_matches({value}, {_quoted(pattern)})"

    paid = matches(m, _PAID_MEDIUM)
    email = "('email', 'e-mail', 'e_mail', 'e mail')"
    return (
        "(case"
        f" when {s} = '(direct)' and {m} in ('(not set)', '(none)', '') then 'Direct'"
        f" when {matches(s, _site(_SEARCH_SITES))} and {paid} then 'Paid Search'"
        f" when {matches(s, _site(_SOCIAL_SITES))} and {paid} then 'Paid Social'"
        f" when {matches(s, _site(_VIDEO_SITES))} and {paid} then 'Paid Video'"
        f" when {m} in ('display', 'banner', 'expandable', 'interstitial', 'cpm') then 'Display'"
        f" when {matches(s, _site(_SOCIAL_SITES))}"
        f" or {m} in ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')"
        " then 'Organic Social'"
        f" when {matches(s, _site(_SEARCH_SITES))} or {m} = 'organic' then 'Organic Search'"
        f" when {m} in ('referral', 'app', 'link') then 'Referral'"
        f" when {s} in {email} or {m} in {email} then 'Email'"
        " else 'Unassigned' end)"
    )


def safe_divide(numerator: str, denominator: str) -> str:
    """Ratios are NULL where the denominator is 0 (or NULL), never an error or infinity."""
    return f"cast({numerator} as double) / nullif(cast({denominator} as double), 0)"


_ENV = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True)
_SAFE_VALUE = re.compile(r"^[A-Za-z0-9_.:-]*$")


def _no_unions(domain: str, entity: str) -> str:
    raise ValueError(f"union({domain!r}, {entity!r}) needs a project: render the model through transforms.project")


def _quoted(value: str) -> str:
    """A string literal: the value as data, whatever it holds."""
    return exp.Literal.string(value).sql(dialect="duckdb")


def setting_rows(name: str, rows: Rows) -> str:
    """A table-valued setting as a relation of text columns; typed and empty when it has no rows."""
    if not rows.rows:
        typed = ", ".join(f"cast(null as varchar) as {c}" for c in rows.columns)
        return f"(select {typed} where false)"
    values = ", ".join("(" + ", ".join(_quoted(v) for v in row) + ")" for row in rows.rows)
    return f"(select * from (values {values}) as {name}({', '.join(rows.columns)}))"


@cache
def _default_variables() -> dict[str, object]:
    # The defaults are constants; validating them again for every model rendered would cost more
    # than the render.
    return ModelSettings().variables()


def render(sql: str, variables: Mapping[str, object], union: UnionFunction = _no_unions,
           window: Window | None = None) -> str:
    """`window`: the days an incremental build rebuilds; `{{ window('s.date_day') }}` then renders
    as a predicate keeping only them, and as `true` when the model is built whole. `variables`
    fall back to the model settings' defaults (transforms.model_settings)."""
    variables = {**_default_variables(), **variables}

    def in_window(column: str) -> str:
        return f"({window.predicate(column)})" if window is not None else "(1 = 1)"

    def var(name: str) -> str:
        value = variables[name]
        if not isinstance(value, str) or not _SAFE_VALUE.match(value):
            raise ValueError(f"variable {name!r} has characters that cannot be inlined into SQL")
        return f"'{value}'"

    def text(name: str) -> str:
        value = variables[name]
        if not isinstance(value, str):
            raise ValueError(f"variable {name!r} is not text")
        return _quoted(value)

    def num(name: str) -> str:
        value = variables[name]
        if not isinstance(value, str) or not NUMBER.match(value):
            raise ValueError(f"variable {name!r} is not a number")
        return value

    def rows(name: str) -> str:
        value = variables[name]
        if not isinstance(value, Rows):
            raise ValueError(f"variable {name!r} is not a table-valued setting")
        return setting_rows(name, value)

    def reporting_rate(currency: str, rates: str) -> str:
        """The rate of `currency` into the reporting currency from the joined row `rates` of
        intermediate.int_fx_rates_daily: 1 for the reporting currency itself, whether or not any
        rates are loaded."""
        return f"case when {currency} = {var('reporting_currency')} then cast(1 as decimal(38, 12)) else {rates}.rate_to_reporting end"

    return _ENV.from_string(sql).render(var=var, text=text, num=num, setting_rows=rows, kpi=kpi_sql,
                                        channel_group=channel_group,
                                        campaign_key=campaign_key, safe_divide=safe_divide, union=union,
                                        reporting_rate=reporting_rate, to_reporting=to_reporting, window=in_window)


def description(sql: str) -> str:
    """The model's leading `--` comment block, as one line."""
    lines = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return " ".join(lines)


def live_relation(name: str) -> Relation:
    """The table behind the view `marts.<name>`: the candidate that last passed its gate, renamed into
    place. It stays in the candidate schema because DuckDB renames a table only within its schema."""
    return CANDIDATE_SCHEMA, f"{name}__live"


def target(layer: str, stem: str) -> Relation:
    if layer == "staging":
        return "staging", f"stg_{stem}"
    if layer == "intermediate":
        return "intermediate", stem
    return CANDIDATE_SCHEMA, stem


def referenced_tables(sql: str) -> tuple[Relation, ...]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found = {
        (table.db, table.name)
        for table in tree.find_all(exp.Table)
        if table.db and table.name not in ctes
    }
    return tuple(sorted(found))


def replace_tables(sql: str, stand_ins: Mapping[Relation, str]) -> str:
    """The SQL with each named table read from its stand-in subquery instead, under the same alias."""
    tree = sqlglot.parse_one(sql, read="duckdb")

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and (node.db, node.name) in stand_ins:
            subquery = sqlglot.parse_one(stand_ins[(node.db, node.name)], read="duckdb").subquery(
                node.alias_or_name, copy=False
            )
            return subquery
        return node

    return tree.transform(swap).sql(dialect="duckdb")


def topological(models: list[Model]) -> list[Model]:
    """The models in an order where each comes after what it reads."""
    by_relation = {m.key: m for m in models}
    ordered: list[Model] = []
    state: dict[Relation, str] = {}

    def visit(key: Relation) -> None:
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
