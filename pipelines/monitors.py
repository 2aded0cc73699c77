"""Monitors: warnings that never block publication, declared by each source's spec.

- freshness: the source's newest record is at most `max_lag_days` before the run's end;
- quarantine: this run set no record of the source aside as unreadable.

The alerts that route these to on-call staff belong beside them.
"""

import time
from collections.abc import Iterator
from datetime import UTC, datetime

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckKey,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    multi_asset_check,
)

from connectors.common.spec import SourceSpec
from pipelines.quality import outcome_metadata
from pipelines.resources import WarehouseResource
from pipelines.window import run_window
from quality import data_docs, gate

FRESHNESS_CHECK = "source_freshness"
QUARANTINE_CHECK = "nothing_quarantined"


def freshness_key(spec: SourceSpec) -> AssetCheckKey:
    assert spec.freshness is not None
    return AssetCheckKey(AssetKey(["staging", f"stg_{spec.name}__{spec.freshness.entity}"]), FRESHNESS_CHECK)


def quarantine_key(spec: SourceSpec) -> AssetCheckKey:
    assert spec.quarantine is not None
    return AssetCheckKey(AssetKey([spec.dataset, spec.quarantine.table]), QUARANTINE_CHECK)


def build_monitors(specs: list[SourceSpec]) -> AssetChecksDefinition | None:
    checks: dict[AssetCheckKey, tuple[str, SourceSpec, str]] = {}
    for spec in specs:
        if spec.freshness:
            checks[freshness_key(spec)] = (FRESHNESS_CHECK, spec, f"{spec.label}: newest {spec.freshness.column} is at "
                                           f"most {spec.freshness.max_lag_days} days before the run's end date.")
        if spec.quarantine:
            checks[quarantine_key(spec)] = (QUARANTINE_CHECK, spec, f"{spec.label}: no record was quarantined by "
                                            "this run (a warning naming each record and field).")
    if not checks:
        return None

    @multi_asset_check(
        name="source_monitors",
        specs=[AssetCheckSpec(key.name, asset=key.asset_key, description=text) for key, (_, _, text) in checks.items()],
        can_subset=True,
    )
    def source_monitors(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
        wh = warehouse.warehouse()
        window = run_window(dict(context.run.tags))
        stats = context.instance.get_run_stats(context.run.run_id)
        started = datetime.fromtimestamp(stats.start_time or time.time(), tz=UTC)
        for key, (kind, spec, _) in checks.items():
            if key not in context.selected_asset_check_keys:
                continue
            if kind == FRESHNESS_CHECK:
                outcome = gate.check_freshness(wh, spec, window.end)
            else:
                outcome = gate.check_quarantine(wh, spec, started)
            if not outcome.success:
                context.log.warning(gate.render(outcome))
            page = data_docs.publish(outcome, context.run.run_id, key.name)
            yield AssetCheckResult(asset_key=key.asset_key, check_name=key.name, passed=outcome.success,
                                   severity=AssetCheckSeverity.WARN, metadata=outcome_metadata(outcome, page))

    return source_monitors
