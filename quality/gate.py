"""The quality gate: each published table's suite, and each source's freshness, as plain calls.

A validator that errors (the table cannot be read, an expectation crashes) comes back as an
Outcome with `errors`, distinct from `failures` (bad data), so on-call staff know which it is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from connectors.common.spec import SourceSpec
from connectors.common.tables import Table
from quality import schema_drift
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
from warehouse.engine import Column

log = logging.getLogger("funnelhouse.quality")
# Columns dlt adds to every table it loads.
DLT_COLUMNS = ("_dlt_load_id", "_dlt_id")


def _checked(
    warehouse: Warehouse,
    schema: str,
    table: str,
    rules: Callable[[], list[Any]],
    index_columns: Sequence[str] = (),
    where: str | None = None,
) -> Outcome:
    """Validate, turning any validator problem into an Outcome with `errors`: it must not read as
    bad data, nor vanish."""
    try:
        return validate(warehouse, schema, table, rules(), index_columns, where)
    except Exception as exc:
        return _validator_error(f"{schema}.{table}", "validator", exc, 0)


def _validator_error(relation: str, expectation: str, exc: Exception, evaluated: int) -> Outcome:
    log.exception("validator error on %s", relation)
    error = Finding(expectation, None, None, None, (), f"{type(exc).__name__}: {exc}")
    return Outcome(relation, evaluated, errors=(error,))


def check_mart(warehouse: Warehouse, schema: str, name: str, bounds: DateBounds, severity: str = "error",
               partial: bool = False) -> Outcome:
    """The mart's contract rules of one severity: `error` ones block publication, `warn` ones alert."""
    return check_mart_severities(warehouse, schema, name, bounds, (severity,), partial)[severity]


def check_mart_severities(warehouse: Warehouse, schema: str, name: str, bounds: DateBounds,
                          severities: Sequence[str] = ("error", "warn"), partial: bool = False) -> dict[str, Outcome]:
    """The mart's contract rules of each severity, in one validation (GX's cost is mostly per
    validation), each severity's outcome reported on its own. The blocking ones start with the
    contract's columns and types, frozen: a candidate that drifted from them is not validated further
    by them, and does not publish. `partial`: the candidate holds only the days its run rebuilt."""
    contract = marts()[name]
    outcomes: dict[str, Outcome] = {}
    if "error" in severities:
        try:
            columns = warehouse.columns(schema, name)
            if not columns:
                raise LookupError(f"{schema}.{name} does not exist")
            changed = schema_drift.drift(columns, [(c.name, c.type) for c in contract.columns])
        except Exception as exc:
            outcomes["error"] = _validator_error(f"{schema}.{name}", "schema", exc, 1)
        else:
            if changed is not None:
                outcomes["error"] = Outcome(f"{schema}.{name}", 1, failures=(changed,),
                                            row_count=warehouse.row_count(schema, name))
    found = {severity: checks(contract, bounds, severity, partial) for severity in severities
             if severity not in outcomes}
    if found:
        together = _checked(warehouse, schema, name,
                            lambda: build_rules([c for rules in found.values() for c in rules], warehouse.dialect),
                            contract.grain)
        outcomes.update((severity, together.only({c.name for c in rules})) for severity, rules in found.items())
    return outcomes


def check_raw(warehouse: Warehouse, spec: SourceSpec, table: Table,
              catalog: Mapping[tuple[str, str], list[Column]] | None = None) -> Outcome:
    """A raw table against its declaration, a warning: the columns and types it declares. dlt lets a
    raw table evolve, and the drift is reported. Its keys need no scan here: dlt's merge keeps the
    primary key unique (within one load, for a table declaring `unique_per_load`, its connector does),
    and the staging table built from it holds the same grain, blocking. `catalog`: the raw schemas'
    columns (`Warehouse.columns_by_table`), when the caller checks several tables."""
    relation = f"{spec.dataset}.{table.name}"
    try:
        columns = (warehouse.columns(spec.dataset, table.name) if catalog is None
                   else catalog.get((spec.dataset, table.name), []))
    except Exception as exc:
        return _validator_error(relation, "schema", exc, 1)
    if not columns:
        # Never loaded (a source enabled today, or one without rows yet): nothing to hold it to.
        return Outcome(relation, 0)
    changed = schema_drift.drift(columns, [(c.name, c.type) for c in table.columns], ignored=DLT_COLUMNS)
    return Outcome(relation, 1, failures=(changed,) if changed else ())


def check_contract(warehouse: Warehouse, schema: str, table: str, contract: MartContract | EntityContract,
                   bounds: DateBounds, severity: str = "error", partial: bool = False) -> Outcome:
    """A table's contract rules of one severity, a mart's or a staging entity's."""
    return _checked(warehouse, schema, table,
                    lambda: build_rules(checks(contract, bounds, severity, partial), warehouse.dialect),
                    contract.grain)


def check_freshness(warehouse: Warehouse, spec: SourceSpec, window_end: date) -> Outcome:
    """The source's newest record against the run's end, on its staging model."""
    rule = spec.freshness
    assert rule is not None
    return _checked(warehouse, "staging", f"stg_{spec.name}__{rule.entity}",
                    lambda: freshness_rules(spec, window_end))


def freshness_rules(spec: SourceSpec, window_end: date, rule: str | None = None) -> list[Any]:
    """`check_freshness`'s expectations, to validate with other checks of its staging table
    (`check_together`), reporting under `rule`."""
    freshness = spec.freshness
    assert freshness is not None
    entity = domains()[spec.domain].entities[freshness.entity]
    is_timestamp = next(c.type for c in entity.columns if c.name == freshness.column) == "timestamp"
    return build_freshness_expectations(freshness.column, is_timestamp, freshness.max_lag_days, window_end, rule)


def check_quarantine(warehouse: Warehouse, spec: SourceSpec, run_started: datetime) -> Outcome:
    """Fails (for a warning, not a block) when this run quarantined any record of the source."""
    rule = spec.quarantine
    assert rule is not None
    return _checked(warehouse, spec.dataset, rule.table, lambda: build_quarantine_expectations(rule, run_started),
                    rule.identifying)


def query_rule(rule: str, query: str, description: str) -> Any:
    """A monitor as a GX expectation: `query` selects the rows that fail it (`{batch}` is the table)."""
    import great_expectations as gx

    return gx.expectations.UnexpectedRowsExpectation(unexpected_rows_query=query, meta={"rule": rule},
                                                     description=description)


def check_query(warehouse: Warehouse, schema: str, table: str, rule: str, query: str, description: str) -> Outcome:
    return _checked(warehouse, schema, table, lambda: [query_rule(rule, query, description)])


def check_together(warehouse: Warehouse, schema: str, table: str, rules: Callable[[], list[Any]],
                   index_columns: Sequence[str] = (), where: str | None = None) -> Outcome:
    """Several checks of one table in one validation (GX's cost is mostly per validation); split
    the outcome per check with `Outcome.only`. `where`: only the rows it keeps."""
    return _checked(warehouse, schema, table, rules, index_columns, where)


def render(outcome: Outcome) -> str:
    """Plain-text report: each failed expectation with sample offending rows."""
    lines = [f"{outcome.relation}: {outcome.status} ({outcome.evaluated} expectations)"]
    for finding in outcome.errors + outcome.failures:
        lines.append(f"  - {finding.describe()}")
        for row in finding.sample:
            lines.append(f"      e.g. {row}")
    return "\n".join(lines)
