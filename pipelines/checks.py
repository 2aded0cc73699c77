"""Blocking GX checks on candidate marts (the write-audit-publish gate); source freshness and
quarantined records as warnings."""

import time
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    MetadataValue,
    asset_check,
)

from pipelines.models import model_key
from pipelines.resources import WarehouseResource
from pipelines.window import run_window
from quality import gate
from quality.runner import Outcome
from quality.suites import FRESHNESS_RULES, MART_RULES, QUARANTINE_RULES
from transforms.models import CANDIDATE_SCHEMA

GATE_CHECK = "quality_gate"
FRESHNESS_CHECK = "source_freshness"
QUARANTINE_CHECK = "nothing_quarantined"


def outcome_metadata(outcome: Outcome) -> dict[str, Any]:
    return {
        "outcome": MetadataValue.text(outcome.status),
        "expectations_evaluated": MetadataValue.int(outcome.evaluated),
        "failed_expectations": MetadataValue.json([
            {"expectation": f.expectation, "column": f.column, "unexpected_count": f.unexpected_count,
             "observed": f.observed, "description": f.describe(), "sample_rows": list(f.sample)}
            for f in outcome.failures
        ]),
        "validator_errors": MetadataValue.json([f.describe() for f in outcome.errors]),
        "report": MetadataValue.md(f"```\n{gate.render(outcome)}\n```"),
        **({"row_count": MetadataValue.int(outcome.row_count)} if outcome.row_count is not None else {}),
    }


def build_gate_check(name: str) -> AssetChecksDefinition:
    @asset_check(
        asset=model_key(CANDIDATE_SCHEMA, name),
        name=GATE_CHECK,
        blocking=True,
        description=f"GX suite for marts.{name}: keys, grain, non-negative measures, orderings, "
        "ISO 4217 currencies, dates inside the run window, rows present. Blocks publication.",
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        window = run_window(dict(context.run.tags))
        outcome = gate.check_mart(warehouse.warehouse(), CANDIDATE_SCHEMA, name, window.history_start, window.end)
        if not outcome.success:
            context.log.error(gate.render(outcome))
        return AssetCheckResult(
            passed=outcome.success,
            severity=AssetCheckSeverity.ERROR,
            metadata=outcome_metadata(outcome),
            description=None if outcome.success else gate.render(outcome)[:2000],
        )

    return _check


def build_freshness_check(source: str) -> AssetChecksDefinition:
    rule = FRESHNESS_RULES[source]

    @asset_check(
        asset=model_key(rule.schema, rule.table),
        name=FRESHNESS_CHECK,
        description=f"{source}: newest {rule.column} is at most {rule.max_lag_days} days before the run's end date.",
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        window = run_window(dict(context.run.tags))
        outcome = gate.check_freshness(warehouse.warehouse(), source, window.end)
        if not outcome.success:
            context.log.warning(gate.render(outcome))
        return AssetCheckResult(passed=outcome.success, severity=AssetCheckSeverity.WARN,
                                metadata=outcome_metadata(outcome))

    return _check


def build_quarantine_check(source: str) -> AssetChecksDefinition:
    rule = QUARANTINE_RULES[source]

    @asset_check(
        asset=AssetKey([rule.schema, rule.table]),
        name=QUARANTINE_CHECK,
        description=f"{source}: no record was quarantined by this run (a warning naming each record and field).",
    )
    def _check(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> AssetCheckResult:
        stats = context.instance.get_run_stats(context.run.run_id)
        started = datetime.fromtimestamp(stats.start_time or time.time(), tz=UTC)
        outcome = gate.check_quarantine(warehouse.warehouse(), source, started)
        if not outcome.success:
            context.log.warning(gate.render(outcome))
        return AssetCheckResult(passed=outcome.success, severity=AssetCheckSeverity.WARN,
                                metadata=outcome_metadata(outcome))

    return _check


def build_checks() -> list[AssetChecksDefinition]:
    return (
        [build_gate_check(n) for n in MART_RULES]
        + [build_freshness_check(s) for s in FRESHNESS_RULES]
        + [build_quarantine_check(s) for s in QUARANTINE_RULES]
    )
