"""Monitors: warnings that never block publication, in a step of their own after the models.

Declared by each source's spec:
- freshness: the source's newest record is at most `max_lag_days` before the run's end;
- quarantine: this run set no record of the source aside as unreadable.

Declared with each domain entity (`monitors:` in transforms/domains/<domain>.yml), on every staging
table of it, over the run's window (quality.monitors says how each is computed):
- volume: each day's rows per account against the trailing baseline, per weekday;
- anomalies: each day's measures per account and campaign, by a robust z-score.
"""

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
    multi_asset_check,
)

from connectors.common.spec import SourceSpec
from pipelines.quality import outcome_metadata
from pipelines.resources import WarehouseResource
from pipelines.staging_checks import entity_contract
from pipelines.window import run_window
from quality import data_docs, gate
from quality.monitors import load_monitor_settings, window_query
from quality.runner import Outcome
from transforms.contracts import MonitorSpec
from transforms.project import Project

FRESHNESS_CHECK = "source_freshness"
QUARANTINE_CHECK = "nothing_quarantined"
RAW_CHECK = "raw_contract"
# The entity monitors this step runs; reconciliation and restatement run with the models.
WINDOW_MONITORS = ("volume", "anomalies")


def freshness_key(spec: SourceSpec) -> AssetCheckKey:
    assert spec.freshness is not None
    return AssetCheckKey(AssetKey(["staging", f"stg_{spec.name}__{spec.freshness.entity}"]), FRESHNESS_CHECK)


def quarantine_key(spec: SourceSpec) -> AssetCheckKey:
    assert spec.quarantine is not None
    return AssetCheckKey(AssetKey([spec.dataset, spec.quarantine.table]), QUARANTINE_CHECK)


def _describe(monitor: MonitorSpec, relation: str) -> str:
    by = f"per {', '.join(monitor.by)} " if monitor.by else ""
    if monitor.kind == "volume":
        return (f"{relation}: each day's rows {by}within FUNNELHOUSE_MONITOR_VOLUME_TOLERANCE of the median of the "
                "trailing FUNNELHOUSE_MONITOR_VOLUME_BASELINE_DAYS same weekdays (a warning).")
    return (f"{relation}: each day's {', '.join(monitor.measures)} {by}within FUNNELHOUSE_MONITOR_ANOMALY_THRESHOLD "
            "robust z-scores (median/MAD) of the trailing FUNNELHOUSE_MONITOR_ANOMALY_BASELINE_DAYS same weekdays "
            "(a warning).")


def build_monitors(specs: list[SourceSpec], project: Project | None = None) -> AssetChecksDefinition | None:
    checks: dict[AssetCheckKey, tuple[str, Any, str]] = {}
    for spec in specs:
        if spec.freshness:
            checks[freshness_key(spec)] = (FRESHNESS_CHECK, spec, f"{spec.label}: newest {spec.freshness.column} is at "
                                           f"most {spec.freshness.max_lag_days} days before the run's end date.")
        if spec.quarantine:
            checks[quarantine_key(spec)] = (QUARANTINE_CHECK, spec, f"{spec.label}: no record was quarantined by "
                                            "this run (a warning naming each record and field).")
        for table in spec.tables:
            key = AssetCheckKey(AssetKey([spec.dataset, table.name]), RAW_CHECK)
            checks[key] = (RAW_CHECK, (spec, table), f"{spec.dataset}.{table.name} against its declaration: the "
                           "columns and types it declares. A schema drift is reported; dlt lets raw evolve.")
    for model in project.models if project else ():
        entity = entity_contract(model)
        for monitor in entity.monitors if entity else ():
            if monitor.kind in WINDOW_MONITORS:
                key = AssetCheckKey(AssetKey([model.schema, model.name]), monitor.check_name)
                checks[key] = (monitor.kind, monitor, _describe(monitor, model.relation))
    if not checks:
        return None

    @multi_asset_check(
        name="source_monitors",
        specs=[AssetCheckSpec(key.name, asset=key.asset_key, description=text) for key, (_, _, text) in checks.items()],
        can_subset=True,
    )
    def source_monitors(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
        wh = warehouse.warehouse(keep_open=True)
        window = run_window(dict(context.run.tags))
        stats = context.instance.get_run_stats(context.run.run_id)
        started = datetime.fromtimestamp(stats.start_time or time.time(), tz=UTC)
        settings = load_monitor_settings()
        selected = [key for key in checks if key in context.selected_asset_check_keys]
        # A staging table's freshness and window monitors in one validation: GX's cost is mostly per
        # validation.
        together: dict[AssetKey, Outcome] = {}
        shared = (FRESHNESS_CHECK, *WINDOW_MONITORS)
        for asset in {key.asset_key for key in selected if checks[key][0] in shared}:
            schema, table = asset.path

            def rules(asset: AssetKey = asset, schema: str = schema, table: str = table) -> list[Any]:
                found: list[Any] = []
                for key in selected:
                    kind, spec, _ = checks[key]
                    if key.asset_key != asset or kind not in shared:
                        continue
                    if kind == FRESHNESS_CHECK:
                        found += gate.freshness_rules(spec, window.end, key.name)
                    else:
                        found.append(gate.query_rule(
                            key.name, window_query(spec, settings, window.start, window.end, wh.dialect),
                            f"{key.name} of {schema}.{table} from {window.start} to {window.end}"))
                return found

            together[asset] = gate.check_together(wh, schema, table, rules)
        raw = [checks[key][1] for key in selected if checks[key][0] == RAW_CHECK]
        catalog = wh.columns_by_table(sorted({source.dataset for source, _ in raw}))
        for key in selected:
            kind, spec, _ = checks[key]
            if kind == QUARANTINE_CHECK:
                outcome = gate.check_quarantine(wh, spec, started)
            elif kind == RAW_CHECK:
                outcome = gate.check_raw(wh, *spec, catalog=catalog)
            else:
                outcome = together[key.asset_key].only({key.name})
            if not outcome.success:
                context.log.warning(gate.render(outcome))
            page = data_docs.publish(outcome, context.run.run_id, key.name)
            yield AssetCheckResult(asset_key=key.asset_key, check_name=key.name, passed=outcome.success,
                                   severity=AssetCheckSeverity.WARN, metadata=outcome_metadata(outcome, page))

    return source_monitors
