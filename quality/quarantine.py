"""Quarantine: rows that fail a row-level rule declared `severity: quarantine` are set aside in
`quarantine.<table>`, each with the rule, the reason, its record key and the run, and removed from
the table, so everything built from it publishes without them.

Whatever a run rebuilds of the table (all of it, or the days of an incremental build), it rebuilds
of its quarantine too: a rerun after the source fixed a row finds nothing wrong with it, and the
row leaves the quarantine and comes back.
Nothing is dropped silently: the rows are kept whole, and the count is reported as a check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from quality.suites import Check, row_condition, row_reason
from transforms.models import transpile
from warehouse import Warehouse

QUARANTINE_SCHEMA = "quarantine"
# Columns the quarantine adds in front of the row it keeps; no table of ours uses these names.
RULE, REASON, RECORD_KEY, RUN_ID, AT = "quarantine_rule", "quarantine_reason", "record_key", "run_id", "quarantined_at"
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class Quarantined:
    """What one table set aside this run."""

    relation: str  # quarantine.<table>
    by_rule: dict[str, int] = field(default_factory=dict)
    sample: tuple[dict[str, Any], ...] = ()

    @property
    def rows(self) -> int:
        return sum(self.by_rule.values())


def _record_key(grain: tuple[str, ...]) -> str:
    parts = [f"'{column}=' || coalesce(cast(\"{column}\" as varchar), 'NULL')" for column in grain]
    return " || ', ' || ".join(parts)


def set_aside(warehouse: Warehouse, conn: sa.Connection, schema: str, table: str, rules: list[Check],
              grain: tuple[str, ...], run_id: str, at: datetime, where: str | None = None) -> Quarantined:
    """Move the rows of `schema.table` failing any of `rules` into `quarantine.<table>` (one row per
    rule a row fails), in one transaction. With no rules, the table's quarantine is dropped.
    `where`: only the rows it keeps were rebuilt; the quarantine keeps its other rows."""
    target = f"{QUARANTINE_SCHEMA}.{table}"
    with conn.begin():
        warehouse.run_statement(conn, f"CREATE SCHEMA IF NOT EXISTS {QUARANTINE_SCHEMA}")
        exists = where is not None and (QUARANTINE_SCHEMA, table) in warehouse.relations(conn)
        if exists:
            warehouse.run_statement(conn, f"DELETE FROM {target} WHERE {where}")
        else:
            warehouse.run_statement(conn, f"DROP TABLE IF EXISTS {target}")
        if not rules:
            return Quarantined(target)
        key = _record_key(grain)
        scope = f" and ({where})" if where is not None else ""
        selects = [
            f"select '{rule.name}' as {RULE}, {row_reason(rule)} as {REASON}, {key} as {RECORD_KEY}, "
            f"'{run_id}' as {RUN_ID}, cast('{at.isoformat()}' as timestamptz) as {AT}, t.* "
            f"from {schema}.{table} as t where not ({row_condition(rule)}){scope}"
            for rule in rules
        ]
        statement = "INSERT INTO {target} " if exists else "CREATE TABLE {target} AS "
        warehouse.run_statement(conn, transpile(statement.format(target=target) + " union all ".join(selects),
                                                warehouse.dialect))
        counts = dict(conn.execute(sa.text(f"SELECT {RULE}, count(*) FROM {target} WHERE {RUN_ID} = :run "
                                           f"GROUP BY {RULE}"), {"run": run_id}).all())
        sample: tuple[dict[str, Any], ...] = ()
        if counts:
            keep = " and ".join(f"({row_condition(rule)})" for rule in rules)
            warehouse.run_statement(conn, transpile(f"DELETE FROM {schema}.{table} WHERE not ({keep}){scope}",
                                                    warehouse.dialect))
            result = conn.execute(sa.text(f"SELECT {RULE}, {REASON}, {RECORD_KEY} FROM {target} WHERE {RUN_ID} = :run "
                                          f"ORDER BY {RULE}, {RECORD_KEY} LIMIT {SAMPLE_ROWS}"), {"run": run_id})
            sample = tuple(dict(zip(result.keys(), row, strict=True)) for row in result.all())
    return Quarantined(target, {str(rule): int(count) for rule, count in counts.items()}, sample)
