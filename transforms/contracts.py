"""The declarations beside the SQL: each domain's staging contract and each published mart's contract.

`transforms/domains/<domain>.yml` says which entities a domain's sources map their raw data to, and
their columns and types; the unions read exactly those. `transforms/marts/<name>.yml` says what a
published table is: its grain, columns with types and descriptions, the checks it must pass with
their severity, and the domain entities it cannot do without. The gate's suites, the README's BI contract and the
Dagster column metadata are all built from these files, so they cannot drift apart.

Staging entities declare checks the same way: every source's staging model of the entity must pass
them before anything is built from it.

Checks, per column or per table, each with a severity: `error` (the default) blocks publication,
`warn` only alerts, and `quarantine` (row-level checks only) sets each failing row aside in
`quarantine.<table>`, with the rule, the reason and its key, and publishes the rest:
- `not_null`, `non_negative`, `currency` (an ISO 4217 code): a column's values;
- `accepted: [values]`, `between: [min, max]` (either may be null): a column's values;
- `dates: history | now`: a date or timestamp column is at most now (plus clock skew), and with
  `history` at least the history start. What the data is decides: ads and web facts exist only
  inside the loaded history; CRM records and what derives from them may predate it, and are
  bounded by now, never by a run's window;
- `converted: {from: amount, currency: currency_code, date: date_day}` on a `*_reporting` column:
  wherever the amount has a value, so does its conversion; a row without one names the currency
  and the day that have no FX rate;
- `ordered: [smaller, larger]`, `min_rows: n`, `unique: [columns]` (the grain is always unique and
  its columns not null);
- `no_rows_where: {where: <condition>, show: [columns]}`: no row meets the condition (plain SQL both
  engines read, over the table's columns); a failure lists the rows it found by the `show` columns.
  With `severity: warn` it is an alert on rows that are good data but need someone's attention (a
  campaign over budget);
- `sums_to: {column: part, by: [columns], total: whole, tolerance: 0.01}`: within each group of
  `by`, the rows' `part` adds up to `whole` (a column holding the group's total on each of its
  rows, so the same on all of them), give or take `tolerance` (default 0) for rounding: what a
  table splitting a total into shares (attribution credits) must conserve.

Each mart, staging entity and intermediate model says how a run rebuilds it (`build:`):
- `{incremental: date_day}`: only the days of the run's window (its dates plus the sources'
  restatement lookback) are deleted and rebuilt. The column is a date of the grain, so the days
  rebuilt replace whole days and the grain stays unique across them;
- `{full: why}`: rebuilt whole on every run, with the reason it cannot be incremental (it depends on
  all of history, or its records change on any day).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from warehouse import types

T = TypeVar("T")

ROOT = Path(__file__).resolve().parent
DOMAINS_DIR = ROOT / "domains"
MARTS_DIR = ROOT / "marts"

SEVERITIES = ("error", "warn", "quarantine")
COLUMN_CHECKS = ("not_null", "non_negative", "currency", "dates", "converted", "accepted", "between")
# Checks a single row can fail by itself: the ones whose failing rows can be set aside.
ROW_CHECKS = ("not_null", "non_negative", "currency", "dates", "accepted", "between")
CONVERTED_KEYS = ("from", "currency", "date")
TABLE_CHECKS = ("ordered", "min_rows", "unique", "no_rows_where", "sums_to")
SUMS_TO_KEYS = ("column", "by", "total", "tolerance")
DATE_BOUNDS = ("history", "now")


class ContractError(ValueError):
    """A declaration file is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class ColumnContract:
    name: str
    type: str
    description: str = ""


@dataclass(frozen=True)
class CheckSpec:
    """One declared check: `kind` on `columns`, with its argument and severity."""

    kind: str
    columns: tuple[str, ...] = ()
    argument: Any = None
    severity: str = "error"

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    @property
    def label(self) -> str:
        """`kind:columns` (`no_rows_where:<condition>`), as check descriptions list it."""
        if self.kind == "no_rows_where":
            return f"{self.kind}:{self.argument}"
        return self.kind + (":" + ",".join(self.columns) if self.columns else "")


def sums_to_spec(path: Path, argument: Any, names: set[str], severity: str) -> CheckSpec:
    """`{column, by, total, tolerance}` as a check on (column, total, *by) whose argument is the tolerance."""
    usage = "sums_to is {column: <part>, by: [<columns>], total: <whole>, tolerance: <number, optional>}"
    if not isinstance(argument, dict) or not {"column", "by", "total"} <= set(argument) \
            or not set(argument) <= set(SUMS_TO_KEYS):
        raise ContractError(f"{path}: {usage}")
    by = argument["by"]
    if not isinstance(by, list) or not by:
        raise ContractError(f"{path}: sums_to: by lists the columns of each group")
    columns = (str(argument["column"]), str(argument["total"]), *(str(c) for c in by))
    if not set(columns) <= names:
        raise ContractError(f"{path}: sums_to names undeclared columns {sorted(set(columns) - names)}")
    tolerance = argument.get("tolerance", 0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or tolerance < 0:
        raise ContractError(f"{path}: sums_to: tolerance is a number, 0 or more")
    return CheckSpec("sums_to", columns, tolerance, severity)


@dataclass(frozen=True)
class BuildSpec:
    """How a run rebuilds a model: the days of its window by `incremental` (a date column), or whole."""

    incremental: str | None = None
    reason: str = ""


def _build_spec(path: Path, where: str, raw: Any, columns: tuple[ColumnContract, ...] | None = None,
                grain: tuple[str, ...] = ()) -> BuildSpec:
    usage = "build is {incremental: <date column of the grain>} or {full: <why it cannot be incremental>}"
    if not isinstance(raw, dict) or len(raw) != 1 or not set(raw) <= {"incremental", "full"}:
        raise ContractError(f"{path}: {where}: {usage}")
    if "full" in raw:
        reason = " ".join(str(raw["full"] or "").split())
        if not reason:
            raise ContractError(f"{path}: {where}: a full build says why it cannot be incremental")
        return BuildSpec(reason=reason)
    column = str(raw["incremental"] or "")
    if columns is not None:
        declared = {c.name: c.type for c in columns}
        if declared.get(column) != "date" or column not in grain:
            raise ContractError(f"{path}: {where}: incremental names a date column of the grain, got {column!r}")
    elif not column:
        raise ContractError(f"{path}: {where}: {usage}")
    return BuildSpec(incremental=column)


def _with_grain(grain: tuple[str, ...], checks: tuple[CheckSpec, ...]) -> tuple[CheckSpec, ...]:
    """The declared checks plus what the grain implies: its columns not null, its rows unique."""
    declared = {(c.kind, c.columns) for c in checks}
    implied = [CheckSpec("not_null", (column,)) for column in grain if ("not_null", (column,)) not in declared]
    implied.append(CheckSpec("unique", grain))
    return tuple(implied) + checks


MONITORS = ("volume", "anomalies", "restatement", "reconciled")
# What a monitor reports as when it fails: a lost or doubled row blocks, the rest alert.
MONITOR_SEVERITY = {"volume": "warn", "anomalies": "warn", "restatement": "warn", "reconciled": "error"}


@dataclass(frozen=True)
class MonitorSpec:
    """One monitor declared on a domain entity (quality.monitors says what each kind does)."""

    kind: str
    by: tuple[str, ...]
    date: str = "date_day"
    measures: tuple[str, ...] = ()
    against: str | None = None  # reconciled: the entity holding the platform's own totals
    severity: str = "warn"

    @property
    def check_name(self) -> str:
        return "reconciliation" if self.kind == "reconciled" else self.kind


@dataclass(frozen=True)
class EntityContract:
    name: str
    description: str
    grain: tuple[str, ...]
    columns: tuple[ColumnContract, ...]
    checks: tuple[CheckSpec, ...] = ()
    monitors: tuple[MonitorSpec, ...] = ()
    build: BuildSpec = BuildSpec(reason="rebuilt whole")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def monitor(self, kind: str) -> MonitorSpec | None:
        return next((m for m in self.monitors if m.kind == kind), None)

    def column(self, name: str) -> ColumnContract:
        return next(c for c in self.columns if c.name == name)

    def all_checks(self) -> tuple[CheckSpec, ...]:
        return _with_grain(self.grain, self.checks)

    def naming(self, discriminator: str) -> EntityContract:
        """The entity as a source whose rows name their own discriminator fills it (a file drop of
        many platforms): the discriminator is a column and part of the grain, since two platforms
        may use the same account or campaign ids."""
        column = ColumnContract(discriminator, "text", "Which platform (or system) the row is from.")
        return replace(self, grain=(discriminator, *self.grain), columns=(column, *self.columns))


@dataclass(frozen=True)
class DomainContract:
    name: str
    description: str
    # The column each union adds, carrying the source's name: `platform` for ads.
    discriminator: str
    entities: dict[str, EntityContract]


@dataclass(frozen=True)
class MartContract:
    name: str
    description: str
    # Domain entities ("ads.campaign_stats"): the mart is built when each has an enabled source.
    requires: tuple[str, ...]
    grain: tuple[str, ...]
    columns: tuple[ColumnContract, ...]
    checks: tuple[CheckSpec, ...]
    path: Path
    build: BuildSpec = BuildSpec(reason="rebuilt whole")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnContract:
        return next(c for c in self.columns if c.name == name)

    def all_checks(self) -> tuple[CheckSpec, ...]:
        return _with_grain(self.grain, self.checks)


def load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ContractError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ContractError(f"{path}: expected a mapping at the top")
    return data


def declared_columns(path: Path, where: str, raw: Any) -> tuple[tuple[ColumnContract, ...], list[CheckSpec]]:
    if not isinstance(raw, dict) or not raw:
        raise ContractError(f"{path}: {where}: 'columns' must map each column name to its type and description")
    columns: list[ColumnContract] = []
    checks: list[CheckSpec] = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or "type" not in spec:
            raise ContractError(f"{path}: {where}: column {name!r} needs a type")
        try:
            types.parse(str(spec["type"]))
        except ValueError as exc:
            raise ContractError(f"{path}: {where}: column {name!r}: {exc}") from None
        unknown = set(spec) - {"type", "description", "checks"}
        if unknown:
            raise ContractError(f"{path}: {where}: column {name!r}: unknown keys {sorted(unknown)}")
        columns.append(ColumnContract(str(name), str(spec["type"]), str(spec.get("description") or "").strip()))
        for item in spec.get("checks") or []:
            kind, argument, severity = _check_item(path, f"{where}: column {name!r}", item, COLUMN_CHECKS)
            if kind == "dates" and argument not in DATE_BOUNDS:
                raise ContractError(f"{path}: {where}: column {name!r}: dates must be one of {DATE_BOUNDS}")
            if kind == "dates" and types.parse(str(spec["type"]))[0] not in ("date", "timestamp"):
                raise ContractError(f"{path}: {where}: column {name!r}: dates needs a date or timestamp column")
            if severity == "quarantine" and kind not in ROW_CHECKS:
                raise ContractError(f"{path}: {where}: column {name!r}: only row-level checks ({', '.join(ROW_CHECKS)}) "
                                    "can quarantine")
            if kind == "accepted" and (not isinstance(argument, list) or not argument):
                raise ContractError(f"{path}: {where}: column {name!r}: accepted lists the accepted values")
            if kind == "accepted":
                checks.append(CheckSpec(kind, (str(name),), tuple(str(v) for v in argument), severity))
                continue
            if kind == "between" and (not isinstance(argument, list) or len(argument) != 2
                                      or all(v is None for v in argument)
                                      or not all(v is None or isinstance(v, (int, float)) for v in argument)):
                raise ContractError(f"{path}: {where}: column {name!r}: between is [min, max], numbers or null")
            if kind == "between":
                checks.append(CheckSpec(kind, (str(name),), tuple(argument), severity))
                continue
            if kind == "converted":
                if not isinstance(argument, dict) or set(argument) != set(CONVERTED_KEYS):
                    raise ContractError(f"{path}: {where}: column {name!r}: converted names {', '.join(CONVERTED_KEYS)}")
                checks.append(CheckSpec(kind, (str(name), *(str(argument[k]) for k in CONVERTED_KEYS)), None, severity))
                continue
            checks.append(CheckSpec(kind, (str(name),), argument, severity))
    undeclared = [c for check in checks for c in check.columns if c not in {col.name for col in columns}]
    if undeclared:
        raise ContractError(f"{path}: {where}: checks name undeclared columns {sorted(set(undeclared))}")
    return tuple(columns), checks


def _check_item(path: Path, where: str, item: Any, allowed: tuple[str, ...]) -> tuple[str, Any, str]:
    """`not_null`, or `{dates: history}`, or `{non_negative: null, severity: warn}`."""
    if isinstance(item, str):
        kind, argument, severity = item, None, "error"
    elif isinstance(item, dict):
        rest = {k: v for k, v in item.items() if k != "severity"}
        if len(rest) != 1:
            raise ContractError(f"{path}: {where}: each check names one kind, got {sorted(rest)}")
        (kind, argument), = rest.items()
        severity = item.get("severity", "error")
    else:
        raise ContractError(f"{path}: {where}: a check is a name or a one-key mapping, got {item!r}")
    if kind not in allowed:
        raise ContractError(f"{path}: {where}: unknown check {kind!r}; known: {', '.join(allowed)}")
    if severity not in SEVERITIES:
        raise ContractError(f"{path}: {where}: severity must be one of {SEVERITIES}")
    return kind, argument, severity


def load_mart(path: Path) -> MartContract:
    data = load_yaml(path)
    name = path.stem
    columns, checks = declared_columns(path, name, data.get("columns"))
    names = {c.name for c in columns}
    grain = tuple(data.get("grain") or ())
    if not grain or not set(grain) <= names:
        raise ContractError(f"{path}: grain must list declared columns")
    for item in data.get("checks") or []:
        kind, argument, severity = _check_item(path, name, item, TABLE_CHECKS)
        if severity == "quarantine":
            raise ContractError(f"{path}: {kind}: only row-level checks can quarantine")
        if kind in ("ordered", "unique"):
            cols = tuple(argument or ())
            if (kind == "ordered" and len(cols) != 2) or not cols or not set(cols) <= names:
                raise ContractError(f"{path}: {kind} must list {'two ' if kind == 'ordered' else ''}declared columns")
            checks.append(CheckSpec(kind, cols, None, severity))
        elif kind == "no_rows_where":
            if (not isinstance(argument, dict) or set(argument) != {"where", "show"}
                    or not str(argument["where"] or "").strip() or not argument["show"]
                    or not set(argument["show"]) <= names):
                raise ContractError(f"{path}: no_rows_where is {{where: <condition>, show: [declared columns]}}")
            checks.append(CheckSpec(kind, tuple(argument["show"]), " ".join(str(argument["where"]).split()), severity))
        elif kind == "sums_to":
            checks.append(sums_to_spec(path, argument, names, severity))
        else:
            if not isinstance(argument, int) or argument < 0:
                raise ContractError(f"{path}: min_rows must be a whole number")
            checks.append(CheckSpec(kind, (), argument, severity))
    requires = tuple(str(r) for r in data.get("requires") or ())
    if not requires or not all(r.count(".") == 1 for r in requires):
        raise ContractError(f"{path}: requires must name the domain entities (domain.entity) without which the mart "
                            "is not built")
    unknown = set(data) - {"description", "requires", "grain", "columns", "checks", "build"}
    if unknown:
        raise ContractError(f"{path}: unknown keys {sorted(unknown)}")
    return MartContract(name, " ".join(str(data.get("description") or "").split()), requires, grain, columns,
                        tuple(checks), path, _build_spec(path, name, data.get("build"), columns, grain))


def _monitors(path: Path, where: str, raw: Any, names: set[str]) -> tuple[MonitorSpec, ...]:
    if not isinstance(raw, dict):
        raise ContractError(f"{path}: {where}: monitors map each kind ({', '.join(MONITORS)}) to its settings")
    out = []
    for kind, spec in raw.items():
        if kind not in MONITORS or not isinstance(spec, dict):
            raise ContractError(f"{path}: {where}: unknown monitor {kind!r}; known: {', '.join(MONITORS)}")
        unknown = set(spec) - {"by", "date", "measures", "against", "severity"}
        if unknown:
            raise ContractError(f"{path}: {where}: monitor {kind}: unknown keys {sorted(unknown)}")
        monitor = MonitorSpec(kind, tuple(spec.get("by") or ()), str(spec.get("date") or "date_day"),
                              tuple(spec.get("measures") or ()), spec.get("against"),
                              str(spec.get("severity") or MONITOR_SEVERITY[kind]))
        named = {*monitor.by, monitor.date, *monitor.measures}
        if not named <= names:
            raise ContractError(f"{path}: {where}: monitor {kind} names undeclared columns {sorted(named - names)}")
        if kind != "volume" and not monitor.measures:
            raise ContractError(f"{path}: {where}: monitor {kind} needs measures")
        if (kind == "reconciled") != (monitor.against is not None):
            raise ContractError(f"{path}: {where}: `against` names the platform's totals of a reconciled monitor")
        if monitor.severity not in ("error", "warn"):
            raise ContractError(f"{path}: {where}: monitor {kind}: severity must be error or warn")
        out.append(monitor)
    return tuple(out)


def load_domain(path: Path) -> DomainContract:
    data = load_yaml(path)
    entities: dict[str, EntityContract] = {}
    for name, raw in (data.get("entities") or {}).items():
        where = f"entity {name}"
        columns, checks = declared_columns(path, where, (raw or {}).get("columns"))
        grain = tuple(raw.get("grain") or ())
        if not grain or not set(grain) <= {c.name for c in columns}:
            raise ContractError(f"{path}: {where}: grain must list declared columns")
        unknown = set(raw) - {"description", "grain", "columns", "monitors", "build"}
        if unknown:
            raise ContractError(f"{path}: {where}: unknown keys {sorted(unknown)}")
        monitors = _monitors(path, where, raw.get("monitors") or {}, {c.name for c in columns})
        entities[str(name)] = EntityContract(str(name), str(raw.get("description") or ""), grain, columns,
                                             tuple(checks), monitors,
                                             _build_spec(path, where, raw.get("build"), columns, grain))
    for entity in entities.values():
        for monitor in entity.monitors:
            if monitor.against is not None and monitor.against not in entities:
                raise ContractError(f"{path}: entity {entity.name}: reconciled against unknown entity "
                                    f"{monitor.against!r}")
    discriminator = data.get("discriminator")
    if not discriminator or not entities:
        raise ContractError(f"{path}: a domain needs a discriminator and entities")
    return DomainContract(path.stem, str(data.get("description") or ""), str(discriminator), entities)


INTERMEDIATE_DIR = ROOT / "intermediate"


@cache
def intermediate_builds() -> dict[str, BuildSpec]:
    """Each intermediate model's `build:`, from the `.yml` beside its SQL."""
    found = {}
    for path in sorted(INTERMEDIATE_DIR.glob("*.sql")):
        declaration = path.with_suffix(".yml")
        if not declaration.exists():
            raise ContractError(f"{declaration}: missing; it says how a run rebuilds {path.name} (build:)")
        data = load_yaml(declaration)
        unknown = set(data) - {"build"}
        if unknown:
            raise ContractError(f"{declaration}: unknown keys {sorted(unknown)}")
        found[path.stem] = _build_spec(declaration, path.stem, data.get("build"))
    return found


def declared(directory: Path, load: Callable[[Path], T], kind: str) -> dict[str, T]:
    """Each `<name>.yml` of `directory` loaded, by name; each `<name>.sql` has one, and the reverse."""
    found = {path.stem: load(path) for path in sorted(directory.glob("*.yml"))}
    sql = {path.stem for path in directory.glob("*.sql")}
    if set(found) != sql:
        raise ContractError(f"{kind} without a contract: {sorted(sql - set(found))}; "
                            f"contracts without SQL: {sorted(set(found) - sql)}")
    return found


@cache
def domains() -> dict[str, DomainContract]:
    return {path.stem: load_domain(path) for path in sorted(DOMAINS_DIR.glob("*.yml"))}


@cache
def marts() -> dict[str, MartContract]:
    """Every published mart's contract, by name. Each mart's SQL has one, and the reverse."""
    found = declared(MARTS_DIR, load_mart, "marts")
    known = {f"{d.name}.{e}" for d in domains().values() for e in d.entities}
    for contract in found.values():
        unknown = set(contract.requires) - known
        if unknown:
            raise ContractError(f"{contract.path}: requires unknown domain entities {sorted(unknown)}")
    return found
