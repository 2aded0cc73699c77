"""The yardstick for the GX gate: every rule of a mart's suite as one hand-written SELECT.

Built from the same `quality.suites.checks` list as the GX suite, so it checks exactly the rules
the gate checks, in one scan, on DuckDB and PostgreSQL alike. Each value is the number of rows that
break that rule; for grain uniqueness it is the rows beyond the first of each grain (GX counts every
row of a duplicated grain), for the row count 1 when the table is empty.
"""

from __future__ import annotations

from quality.suites import Check, sums_to_query
from warehouse import Warehouse


def _quoted(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _literal(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _bound(value: object, timestamps: bool) -> str:
    if isinstance(value, (int, float)):
        return repr(value)
    # checks() gives date bounds as ISO text; typed like the column so the comparison is not textual.
    sql_type = "timestamp with time zone" if timestamps else "date"
    return f"CAST({_literal(value)} AS {sql_type})"


def _violations(check: Check, relation: str) -> str:
    cols = [_quoted(c) for c in check.columns]
    if check.kind == "not_null":
        return f"count(*) - count({cols[0]})"
    if check.kind == "unique" and len(cols) == 1:
        # Like GX, NULL is not a duplicate of NULL for a single column.
        return f"count({cols[0]}) - count(DISTINCT {cols[0]})"
    if check.kind == "unique":
        return f"count(*) - count(DISTINCT ROW({', '.join(cols)}))"
    if check.kind == "non_negative":
        return f"count(*) FILTER (WHERE {cols[0]} < {int(check.min_value)})"
    if check.kind == "ordered":
        smaller, larger = cols
        return f"count(*) FILTER (WHERE {smaller} > {larger})"
    if check.kind == "in_set":
        # A subquery, not an IN list: DuckDB tests a 180-member list item by item (10x a plain scan),
        # while both engines hash a subquery. NULL is in no set, and like GX not counted.
        members = ", ".join(f"({_literal(v)})" for v in check.value_set)
        return f"count(*) FILTER (WHERE {cols[0]} NOT IN (SELECT member FROM (VALUES {members}) AS value_set(member)))"
    if check.kind == "between":
        outside = []
        if check.min_value is not None:
            outside.append(f"{cols[0]} < {_bound(check.min_value, check.timestamps)}")
        if check.max_value is not None:
            outside.append(f"{cols[0]} > {_bound(check.max_value, check.timestamps)}")
        return f"count(*) FILTER (WHERE {' OR '.join(outside)})"
    if check.kind == "converted":
        converted, amount = cols[0], cols[1]
        return f"count(*) FILTER (WHERE {converted} IS NULL AND {amount} IS NOT NULL)"
    if check.kind == "no_rows_where":
        return f"count(*) FILTER (WHERE {check.condition})"
    if check.kind == "row_count":
        return f"CASE WHEN count(*) < {int(check.min_value)} THEN 1 ELSE 0 END"
    if check.kind == "sums_to":
        # A rule on groups, not rows: the groups that break it, counted by a subquery of its own.
        return f"(SELECT count(*) FROM ({sums_to_query(check, relation)}) AS broken)"
    raise ValueError(f"unknown check kind {check.kind!r}")


def one_pass_sql(checks: list[Check], schema: str, table: str) -> str:
    """One SELECT over `schema.table`, one column per check, in the checks' order."""
    relation = f"{_quoted(schema)}.{_quoted(table)}"
    exprs = ",\n    ".join(_violations(c, relation) for c in checks)
    return f"SELECT\n    {exprs}\nFROM {relation}"


def one_pass(warehouse: Warehouse, schema: str, table: str, checks: list[Check]) -> dict[str, int]:
    """Violations per rule (keyed by `Check.name`): all zero when the table passes."""
    row = warehouse.rows(one_pass_sql(checks, schema, table))[0]
    return {check.name: int(value) for check, value in zip(checks, row, strict=True)}
