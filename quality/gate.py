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
from connectors.common.tables import Table
from quality import schema_drift
from quality.runner import Finding, Outcome, validate
from quality.suites import (
    Check,
    DateBounds,
    build_freshness_expectations,
    build_quarantine_expectations,
    build_rules,
    checks,
)
from transforms.contracts import EntityContract, MartContract, domains, marts
from warehouse import Warehouse

log = logging.getLogger("funnelhouse.quality")
# Columns dlt adds to every table it loads.
DLT_COLUMNS = ("_dlt_load_id", "_dlt_id")


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
    """The mart's contract rules of one severity: `error` ones block publication, `warn` ones alert.
    The blocking ones start with the contract's columns and types, frozen: a candidate that drifted
    from them is not validated further, and does not publish."""
    contract = marts()[name]
    if severity == "error":
        try:
            columns = warehouse.columns(schema, name)
            if not columns:
                raise LookupError(f"{schema}.{name} does not exist")
            changed = schema_drift.drift(columns, [(c.name, c.type) for c in contract.columns])
        except Exception as exc:
            log.exception("validator error on %s.%s", schema, name)
            error = Finding("schema", None, None, None, (), f"{type(exc).__name__}: {exc}")
            return Outcome(f"{schema}.{name}", 1, errors=(error,))
        if changed is not None:
            return Outcome(f"{schema}.{name}", 1, failures=(changed,), row_count=warehouse.row_count(schema, name))
    return check_contract(warehouse, schema, name, contract, bounds, severity)


def check_raw(warehouse: Warehouse, spec: SourceSpec, table: Table) -> Outcome:
    """A raw table against its declaration, a warning: its columns and types (dlt lets a raw table
    evolve, and the drift is reported), and a merged table's primary key not null and unique."""
    relation = f"{spec.dataset}.{table.name}"
    try:
        columns = warehouse.columns(spec.dataset, table.name)
        if not columns:
            # Never loaded (a source enabled today, or one without rows yet): nothing to check.
            return Outcome(relation, 0)
        changed = schema_drift.drift(columns, [(c.name, c.type) for c in table.columns], ignored=DLT_COLUMNS)
    except Exception as exc:
        log.exception("validator error on %s", relation)
        return Outcome(relation, 1, errors=(Finding("schema", None, None, None, (), f"{type(exc).__name__}: {exc}"),))
    if changed is not None and any(c["change"] == "dropped" for c in changed.sample):
        return Outcome(relation, 1, failures=(changed,))

    if table.disposition != "merge" or not table.primary_key:
        return Outcome(relation, 1, failures=(changed,) if changed else ())
    keys = [*(Check("not_null", (column,)) for column in table.primary_key), Check("unique", table.primary_key)]
    outcome = _checked(warehouse, spec.dataset, table.name, lambda: build_rules(keys, warehouse.dialect),
                       table.primary_key)
    if changed is None:
        return outcome
    return Outcome(relation, outcome.evaluated + 1, (changed, *outcome.failures), outcome.errors, outcome.row_count)


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
