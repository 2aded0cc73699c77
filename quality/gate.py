"""The quality gate: each published table's suite, and each source's freshness, as plain calls.

A validator that errors (the table cannot be read, an expectation crashes) comes back as an
Outcome with `errors`, distinct from `failures` (bad data), so on-call staff know which it is.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from quality.runner import Finding, Outcome, validate
from quality.suites import (
    FRESHNESS_RULES,
    MART_RULES,
    QUARANTINE_RULES,
    build_expectations,
    build_freshness_expectations,
    build_quarantine_expectations,
)
from warehouse import Warehouse

log = logging.getLogger("funnelhouse.quality")


def _errored(relation: str, exc: BaseException) -> Outcome:
    log.exception("validator error on %s", relation)
    return Outcome(relation, 0, errors=(Finding("validator", None, None, None, (), f"{type(exc).__name__}: {exc}"),))


def check_mart(warehouse: Warehouse, schema: str, name: str, history_start: date, window_end: date) -> Outcome:
    rules = MART_RULES[name]
    relation = f"{schema}.{name}"
    try:
        expectations = build_expectations(rules, history_start, window_end)
        return validate(warehouse, schema, name, expectations, rules.columns, rules.grain)
    except Exception as exc:  # a validator problem must not read as bad data, nor vanish
        return _errored(relation, exc)


def check_freshness(warehouse: Warehouse, source: str, window_end: date) -> Outcome:
    rule = FRESHNESS_RULES[source]
    relation = f"{rule.schema}.{rule.table}"
    try:
        expectations = build_freshness_expectations(rule, window_end)
        return validate(warehouse, rule.schema, rule.table, expectations, (rule.column,))
    except Exception as exc:
        return _errored(relation, exc)


def check_quarantine(warehouse: Warehouse, source: str, run_started: datetime) -> Outcome:
    """Fails (for a warning, not a block) when this run quarantined any record of the source."""
    rule = QUARANTINE_RULES[source]
    relation = f"{rule.schema}.{rule.table}"
    try:
        expectations = build_quarantine_expectations(rule, run_started)
        return validate(warehouse, rule.schema, rule.table, expectations,
                        (rule.timestamp, *rule.identifying), rule.identifying)
    except Exception as exc:
        return _errored(relation, exc)


def render(outcome: Outcome) -> str:
    """Plain-text report: each failed expectation with sample offending rows."""
    lines = [f"{outcome.relation}: {outcome.status} ({outcome.evaluated} expectations)"]
    for finding in outcome.errors + outcome.failures:
        lines.append(f"  - {finding.describe()}")
        for row in finding.sample:
            lines.append(f"      e.g. {row}")
    return "\n".join(lines)
