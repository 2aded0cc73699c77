"""What each published table must satisfy, built from its contract (`transforms/marts/<name>.yml`);
`build_rules` turns that into GX rules.

`checks` lists a contract's rules engine-neutrally (the benchmark's one-pass SQL reads the same
list): keys not null, grain unique, measures non-negative, pairwise orderings (clicks <=
impressions), ISO 4217 currencies, dates inside what the data can be, at least N rows, parts that add
up to their group's total (attribution credits to the month's revenue). Each becomes
the GX expectation reported when it fails, plus cheaper screening expectations the gate runs first.
Freshness and quarantine are separate, per-source suites, declared in the sources' specs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from connectors.common.spec import QuarantineRule
from quality.currencies import ISO_4217
from quality.runner import Rule
from transforms.contracts import CheckSpec, EntityContract, MartContract

# Clocks disagree a little: a CRM record stamped by the vendor a few minutes "ahead" is not bad data.
CLOCK_SKEW = timedelta(minutes=10)
# Accounts report in their own time zone; the easternmost (UTC+14) starts its day 14 hours before
# UTC does, so its "today" can be UTC's tomorrow.
EASTERNMOST_OFFSET = timedelta(hours=14)


@dataclass(frozen=True)
class DateBounds:
    """What a date can be when the gate runs: from the history start (for data that exists only
    inside the loaded history) up to now."""

    history_start: date
    now: datetime  # timezone-aware

    def upper(self, is_timestamp: bool) -> str:
        latest = self.now.astimezone(UTC) + CLOCK_SKEW
        if is_timestamp:
            return latest.isoformat()
        return (latest + EASTERNMOST_OFFSET).date().isoformat()

    def lower(self, is_timestamp: bool) -> str:
        return bound(self.history_start, is_timestamp)


def bound(day: date, is_timestamp: bool, end_of_day: bool = False) -> str:
    """A date bound as GX compares it: a date for date columns; for timestamp columns (stored with
    time zone on both engines) a UTC-aware timestamp, since aware and naive values do not compare."""
    if not is_timestamp:
        return day.isoformat()
    clock = time.max if end_of_day else time.min
    return datetime.combine(day, clock, tzinfo=UTC).isoformat()


@dataclass(frozen=True)
class Check:
    """One rule of a table's suite, engine-neutral. The GX suite and the one-pass SQL baseline are both
    built from these, so the two cannot drift apart."""

    kind: str  # not_null | unique | non_negative | ordered | in_set | between | converted | row_count | sums_to
    # ordered: (smaller, larger); converted: (converted, amount, currency, date);
    # sums_to: (part, total, *group columns), with the tolerance as max_value
    columns: tuple[str, ...] = ()
    min_value: Any = None
    max_value: Any = None
    value_set: tuple[str, ...] = ()
    severity: str = "error"
    # between: whether the bounds are timestamps (ISO text with a time zone) rather than dates
    timestamps: bool = False
    # no_rows_where: the condition no row may meet (columns: what a failure shows of the rows)
    condition: str = ""

    @property
    def name(self) -> str:
        """Stable rule id, e.g. `non_negative:spend`, `ordered:clicks<=impressions`, `row_count`."""
        if self.kind == "converted":
            return f"converted:{self.columns[0]}"
        if self.kind == "sums_to":
            return f"sums_to:{self.columns[0]}={self.columns[1]}"
        if self.kind == "no_rows_where":
            return f"no_rows_where:{self.condition}"
        joiner = "<=" if self.kind == "ordered" else ","
        return f"{self.kind}:{joiner.join(self.columns)}" if self.columns else self.kind


# Rules about a whole table, not about each day of it.
WHOLE_TABLE = ("min_rows",)
# Reports list rules in this order, whatever order the contract declares them in.
_ORDER = ("not_null", "unique", "non_negative", "ordered", "in_set", "between", "converted", "sums_to", "row_count",
          "no_rows_where")


def checks(contract: MartContract | EntityContract, bounds: DateBounds, severity: str | None = None,
           partial: bool = False) -> list[Check]:
    """The contract's rules (all, or only those of one severity) as engine-neutral checks. `partial`:
    the table holds only the days a run rebuilt, so a rule on the whole table's size (`min_rows`)
    does not apply: a quiet window is good data. Every other rule holds day by day."""
    out = [_check(spec, contract, bounds) for spec in contract.all_checks()
           if (severity is None or spec.severity == severity) and not (partial and spec.kind in WHOLE_TABLE)]
    return sorted(out, key=lambda c: _ORDER.index(c.kind))


def _check(spec: CheckSpec, contract: MartContract | EntityContract, bounds: DateBounds) -> Check:
    if spec.kind == "non_negative":
        return Check("non_negative", spec.columns, min_value=0, severity=spec.severity)
    if spec.kind == "currency":
        return Check("in_set", spec.columns, value_set=tuple(sorted(ISO_4217)), severity=spec.severity)
    if spec.kind == "accepted":
        return Check("in_set", spec.columns, value_set=tuple(spec.argument), severity=spec.severity)
    if spec.kind == "between":
        low, high = spec.argument
        return Check("between", spec.columns, min_value=low, max_value=high, severity=spec.severity)
    if spec.kind == "min_rows":
        return Check("row_count", min_value=spec.argument, severity=spec.severity)
    if spec.kind == "sums_to":
        return Check("sums_to", spec.columns, max_value=spec.argument, severity=spec.severity)
    if spec.kind == "no_rows_where":
        return Check("no_rows_where", spec.columns, severity=spec.severity, condition=spec.argument)
    if spec.kind == "dates":
        is_timestamp = contract.column(spec.columns[0]).type == "timestamp"
        lower = bounds.lower(is_timestamp) if spec.argument == "history" else None
        return Check("between", spec.columns, min_value=lower, max_value=bounds.upper(is_timestamp),
                     severity=spec.severity, timestamps=is_timestamp)
    return Check(spec.kind, spec.columns, severity=spec.severity)


def expectation(check: Check) -> Any:
    """The GX expectation for one check; its `meta.rule` names the check in failure reports."""
    import great_expectations as gx

    e = gx.expectations
    meta = {"rule": check.name}
    kind, cols = check.kind, check.columns
    if kind == "not_null":
        return e.ExpectColumnValuesToNotBeNull(column=cols[0], meta=meta)
    if kind == "unique" and len(cols) == 1:
        return e.ExpectColumnValuesToBeUnique(column=cols[0], meta=meta)
    if kind == "unique":
        return e.ExpectCompoundColumnsToBeUnique(column_list=list(cols), meta=meta)
    if kind in ("non_negative", "between"):
        return e.ExpectColumnValuesToBeBetween(column=cols[0], min_value=check.min_value,
                                               max_value=check.max_value, meta=meta)
    if kind == "ordered":
        smaller, larger = cols
        return e.ExpectColumnPairValuesAToBeGreaterThanB(column_A=larger, column_B=smaller, or_equal=True, meta=meta)
    if kind == "in_set":
        return e.ExpectColumnValuesToBeInSet(column=cols[0], value_set=list(check.value_set), meta=meta)
    if kind == "row_count":
        return e.ExpectTableRowCountToBeBetween(min_value=check.min_value, meta=meta)
    if kind == "converted":
        converted, amount, currency, day = (_quoted(c) for c in cols)
        # Each currency and day without a rate once, whatever the rows: what on-call needs to fix.
        query = (f"SELECT {currency}, {day}, count(*) AS rows_without_rate FROM {{batch}} "
                 f"WHERE {converted} IS NULL AND {amount} IS NOT NULL GROUP BY {currency}, {day} "
                 f"ORDER BY {day}, {currency}")
        return e.UnexpectedRowsExpectation(
            unexpected_rows_query=query, meta=meta,
            description=f"{cols[0]} converts {cols[1]} from {cols[2]} at the FX rate of {cols[3]}")
    if kind == "sums_to":
        return e.UnexpectedRowsExpectation(
            unexpected_rows_query=sums_to_query(check, "{batch}"), meta=meta,
            description=f"{cols[0]} adds up to {cols[1]} for each {', '.join(cols[2:])} (within {check.max_value})")
    if kind == "no_rows_where":
        shown = ", ".join(_quoted(c) for c in cols)
        query = f"SELECT {shown} FROM {{batch}} WHERE {check.condition} ORDER BY {shown}"
        return e.UnexpectedRowsExpectation(unexpected_rows_query=query, meta=meta,
                                           description=f"no row where {check.condition}")
    raise ValueError(f"unknown check kind {kind!r}")


def sums_to_query(check: Check, relation: str) -> str:
    """The groups of `relation` whose parts do not add up to their total (within the tolerance), or
    whose rows disagree on the total: each with its sum and total, what on-call needs to see."""
    part, total, *by = (_quoted(c) for c in check.columns)
    groups = ", ".join(by)
    return (f"SELECT {groups}, sum({part}) AS summed, min({total}) AS total FROM {relation} GROUP BY {groups} "
            f"HAVING NOT coalesce(abs(sum({part}) - min({total})) <= {check.max_value!r} "
            f"AND min({total}) = max({total}), false) ORDER BY {groups}")


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


# The grain as one value, for screening uniqueness with an aggregate; no mart has such a column.
GRAIN_KEY = "__grain_hash"


def gx_rule(check: Check, dialect: str) -> Rule:
    """The check's expectation, and where it has them, cheaper screens that pass exactly when it
    passes (or, on corner cases, are stricter). Screens name no rows: the gate runs the check's own
    expectation when one fails. `dialect` is the warehouse's ("duckdb" or "postgres")."""
    import great_expectations as gx

    e = gx.expectations
    meta = {"rule": check.name}
    column = check.columns[0] if check.columns else None
    # Aggregates in place of row-by-row conditions: GX folds them into the same single scan, and
    # builds a far smaller metric graph for each (graph building dominates on small tables).
    if check.kind == "not_null":
        screen = e.ExpectColumnProportionOfNonNullValuesToBeBetween(column=column, min_value=1.0, meta=meta)
        return Rule(expectation(check), (screen,))
    if check.kind == "non_negative":
        return Rule(expectation(check), (e.ExpectColumnMinToBeBetween(column=column, min_value=0, meta=meta),))
    if check.kind == "between":
        bounds = []
        if check.min_value is not None:
            bounds.append(e.ExpectColumnMinToBeBetween(column=column, min_value=check.min_value, meta=meta))
        if check.max_value is not None:
            bounds.append(e.ExpectColumnMaxToBeBetween(column=column, max_value=check.max_value, meta=meta))
        return Rule(expectation(check), tuple(bounds))
    if check.kind == "unique" and len(check.columns) == 1:
        # count(DISTINCT) among the one scan's aggregates, instead of a GROUP BY joined back.
        screen = e.ExpectColumnProportionOfUniqueValuesToBeBetween(column=column, min_value=1.0, meta=meta)
        return Rule(expectation(check), (screen,))
    if check.kind == "unique" and dialect == "duckdb":
        # The same over a 64-bit hash of the grain: distinct hashes mean distinct grains, so it never
        # passes a duplicate; a collision (a few in a million at 10M rows) or a grain entirely NULL
        # only sends the rule on to its own expectation. At 10M rows GX's GROUP BY joined back
        # holds 2.2 GiB, this 0.5 GiB. Not on PostgreSQL, which has no such hash and where GX
        # would learn the derived column by running the query whole.
        screen = e.ExpectColumnProportionOfUniqueValuesToBeBetween(column=GRAIN_KEY, min_value=1.0, meta=meta)
        key = f"hash({', '.join(_quoted(c) for c in check.columns)})"
        return Rule(expectation(check), (screen,), derived=((GRAIN_KEY, key),))
    if check.kind == "in_set" and dialect == "duckdb":
        # GX tests membership with a 180-member IN list on every row, which DuckDB evaluates item by
        # item (10x a plain scan); an anti-join on a VALUES list is a hash lookup. PostgreSQL hashes
        # the IN list itself, inside the one scan.
        quoted = _quoted(column)
        members = ", ".join("('" + v.replace("'", "''") + "')" for v in check.value_set)
        query = (f"SELECT DISTINCT {quoted} FROM {{batch}} WHERE {quoted} NOT IN "
                 f"(SELECT member FROM (VALUES {members}) AS value_set(member))")
        return Rule(expectation(check), (e.UnexpectedRowsExpectation(unexpected_rows_query=query, meta=meta),))
    return Rule(expectation(check))


def build_rules(checks_: list[Check], dialect: str) -> list[Rule]:
    return [gx_rule(check, dialect) for check in checks_]


def build_freshness_expectations(column: str, is_timestamp: bool, max_lag_days: int, window_end: date,
                                 rule: str | None = None) -> list[Any]:
    """`rule`: the id it reports under, when it shares a validation with other checks."""
    import great_expectations as gx

    oldest_acceptable = bound(window_end - timedelta(days=max_lag_days), is_timestamp)
    return [gx.expectations.ExpectColumnMaxToBeBetween(column=column, min_value=oldest_acceptable,
                                                       meta={"rule": rule} if rule else None)]


def build_quarantine_expectations(rule: QuarantineRule, run_started: datetime) -> list[Any]:
    import great_expectations as gx

    # Every quarantined row must predate this run; rows this run set aside fail, and are listed.
    return [gx.expectations.ExpectColumnValuesToBeBetween(
        column=rule.timestamp, max_value=run_started.astimezone(UTC).isoformat(),
    )]


def _literal(value: Any, check: Check) -> str:
    if isinstance(value, (int, float)):
        return repr(value)
    kind = "timestamptz" if check.timestamps else "date"
    return f"cast('{value}' as {kind})"


def row_condition(check: Check) -> str:
    """The condition (the models' DuckDB dialect) a row passes a row-level check by. A NULL value
    passes every check but not_null, as it does in GX."""
    column = _quoted(check.columns[0])
    if check.kind == "not_null":
        return f"{column} is not null"
    if check.kind == "non_negative":
        return f"coalesce({column} >= 0, true)"
    if check.kind == "in_set":
        members = ", ".join("'" + v.replace("'", "''") + "'" for v in check.value_set)
        return f"coalesce({column} in ({members}), true)"
    if check.kind == "between":
        parts = [f"{column} >= {_literal(check.min_value, check)}" if check.min_value is not None else None,
                 f"{column} <= {_literal(check.max_value, check)}" if check.max_value is not None else None]
        return f"coalesce({' and '.join(p for p in parts if p)}, true)"
    raise ValueError(f"{check.name} is not a row-level check")


def row_reason(check: Check) -> str:
    """An SQL expression saying, for a row that fails the check, what is wrong with it."""
    name = check.columns[0]
    value = f"coalesce(cast({_quoted(name)} as varchar), 'NULL')"
    if check.kind == "not_null":
        return f"'{name} is null'"
    if check.kind == "non_negative":
        return f"'{name} is negative: ' || {value}"
    if check.kind == "in_set":
        return f"'{name} is not an accepted value: ' || {value}"
    low = "-inf" if check.min_value is None else str(check.min_value)
    high = "inf" if check.max_value is None else str(check.max_value)
    return f"'{name} is outside [{low}, {high}]: ' || {value}"
