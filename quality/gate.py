"""The quality gate: each published table's suite, and each source's freshness, as plain calls.

A validator that errors (the table cannot be read, an expectation crashes) comes back as an
Outcome with `errors`, distinct from `failures` (bad data), so on-call staff know which it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from connectors.common.spec import SourceSpec
from quality.runner import Finding, Outcome, validate
from quality.suites import (
    DateBounds,
    build_freshness_expectations,
    build_quarantine_expectations,
    build_rules,
    checks,
)
from transforms.contracts import EntityContract, MartContract, domains, marts
from warehouse import Warehouse

log = logging.getLogger("funnelhouse.quality")


def _checked(
    warehouse: Warehouse,
    schema: str,
    table: str,
    rules: Callable[[], list[Any]],
    index_columns: Sequence[str] = (),
) -> Outcome:
    """Validate, turning any validator problem into an Outcome with `errors`: it must not read as
    bad data, nor vanish."""
    try:
        return validate(warehouse, schema, table, rules(), index_columns)
    except Exception as exc:
        log.exception("validator error on %s.%s", schema, table)
        error = Finding("validator", None, None, None, (), f"{type(exc).__name__}: {exc}")
        return Outcome(f"{schema}.{table}", 0, errors=(error,))


def check_mart(warehouse: Warehouse, schema: str, name: str, bounds: DateBounds, severity: str = "error") -> Outcome:
    """The mart's contract rules of one severity: `error` ones block publication, `warn` ones alert."""
    return check_contract(warehouse, schema, name, marts()[name], bounds, severity)


def check_contract(warehouse: Warehouse, schema: str, table: str, contract: MartContract | EntityContract,
                   bounds: DateBounds, severity: str = "error") -> Outcome:
    """A table's contract rules of one severity, a mart's or a staging entity's."""
    return _checked(warehouse, schema, table,
                    lambda: build_rules(checks(contract, bounds, severity), warehouse.dialect), contract.grain)


def check_freshness(warehouse: Warehouse, spec: SourceSpec, window_end: date) -> Outcome:
    """The source's newest record against the run's end, on its staging model."""
    rule = spec.freshness
    assert rule is not None
    entity = domains()[spec.domain].entities[rule.entity]
    is_timestamp = next(c.type for c in entity.columns if c.name == rule.column) == "timestamp"
    return _checked(warehouse, "staging", f"stg_{spec.name}__{rule.entity}",
                    lambda: build_freshness_expectations(rule.column, is_timestamp, rule.max_lag_days, window_end))


def check_quarantine(warehouse: Warehouse, spec: SourceSpec, run_started: datetime) -> Outcome:
    """Fails (for a warning, not a block) when this run quarantined any record of the source."""
    rule = spec.quarantine
    assert rule is not None
    return _checked(warehouse, spec.dataset, rule.table, lambda: build_quarantine_expectations(rule, run_started),
                    rule.identifying)


def check_query(warehouse: Warehouse, schema: str, table: str, rule: str, query: str, description: str) -> Outcome:
    """A monitor: `query` selects the rows that fail it (`{batch}` is the table)."""
    def rules() -> list[Any]:
        import great_expectations as gx

        return [gx.expectations.UnexpectedRowsExpectation(unexpected_rows_query=query, meta={"rule": rule},
                                                          description=description)]

    return _checked(warehouse, schema, table, rules)


def render(outcome: Outcome) -> str:
    """Plain-text report: each failed expectation with sample offending rows."""
    lines = [f"{outcome.relation}: {outcome.status} ({outcome.evaluated} expectations)"]
    for finding in outcome.errors + outcome.failures:
        lines.append(f"  - {finding.describe()}")
        for row in finding.sample:
            lines.append(f"      e.g. {row}")
    return "\n".join(lines)
