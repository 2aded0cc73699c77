"""Blocking GX checks on candidate marts (the write-audit-publish gate); source freshness and
quarantined records as warnings."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    asset_check,
    multi_asset_check,
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


def _selected(context: AssetCheckExecutionContext, checks: dict[AssetCheckKey, str]) -> list[tuple[AssetCheckKey, str]]:
    """The selected checks, in the rules' order so results and logs read the same on every run."""
    selected = context.selected_asset_check_keys
    return [(key, name) for key, name in checks.items() if key in selected]


GATE_CHECKS = {AssetCheckKey(model_key(CANDIDATE_SCHEMA, name), GATE_CHECK): name for name in MART_RULES}


# One step for the whole gate: each mart's check still runs once, with its own result, and only
# when selected. A failed blocking result fails the step, and publish (downstream of every gate
# check) does not run.
@multi_asset_check(
    name=GATE_CHECK,
    specs=[
        AssetCheckSpec(
            GATE_CHECK,
            asset=key.asset_key,
            blocking=True,
            description=f"GX suite for marts.{name}: keys, grain, non-negative measures, orderings, "
            "ISO 4217 currencies, dates inside the run window, rows present. Blocks publication.",
        )
        for key, name in GATE_CHECKS.items()
    ],
    can_subset=True,
)
def quality_gate(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
    window = run_window(dict(context.run.tags))
    wh = warehouse.warehouse()
    for key, name in _selected(context, GATE_CHECKS):
        outcome = gate.check_mart(wh, CANDIDATE_SCHEMA, name, window.history_start, window.end)
        if not outcome.success:
            context.log.error(gate.render(outcome))
        yield AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=outcome.success,
            severity=AssetCheckSeverity.ERROR,
            metadata=outcome_metadata(outcome),
            description=None if outcome.success else gate.render(outcome)[:2000],
        )


FRESHNESS_CHECKS = {
    AssetCheckKey(model_key(rule.schema, rule.table), FRESHNESS_CHECK): source
    for source, rule in FRESHNESS_RULES.items()
}


@multi_asset_check(
    name=FRESHNESS_CHECK,
    specs=[
        AssetCheckSpec(
            FRESHNESS_CHECK,
            asset=key.asset_key,
            description=f"{source}: newest {FRESHNESS_RULES[source].column} is at most "
            f"{FRESHNESS_RULES[source].max_lag_days} days before the run's end date.",
        )
        for key, source in FRESHNESS_CHECKS.items()
    ],
    can_subset=True,
)
def source_freshness(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
    window = run_window(dict(context.run.tags))
    wh = warehouse.warehouse()
    for key, source in _selected(context, FRESHNESS_CHECKS):
        outcome = gate.check_freshness(wh, source, window.end)
        if not outcome.success:
            context.log.warning(gate.render(outcome))
        yield AssetCheckResult(asset_key=key.asset_key, check_name=key.name, passed=outcome.success,
                               severity=AssetCheckSeverity.WARN, metadata=outcome_metadata(outcome))


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
    return [quality_gate, source_freshness, *(build_quarantine_check(s) for s in QUARANTINE_RULES)]
