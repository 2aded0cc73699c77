"""The checks below the marts and the monitors: each through GX, as a run does, against the same
rules as hand-written SQL.

- raw tables: their declaration's primary key (GX) against one SELECT of the same rules;
- staging tables: their entity's contract (GX) against one SELECT of the same rules;
- monitors (volume, anomalies, reconciliation over the last day; restatement where an earlier
  load left totals to compare with): the monitor's query validated by GX against the very same
  query run directly, which is what a hand-written monitor would run.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bench.gate_baseline import one_pass
from bench.measure import best_of
from connectors import registry
from pipelines.partitions import HISTORY_START
from pipelines.staging_checks import entity_contract
from quality import gate, monitors, quarantine
from quality.suites import Check, DateBounds, checks
from transforms.project import Project
from warehouse import Warehouse


def _direct(warehouse: Warehouse, relation: str, query: str) -> int:
    return len(warehouse.rows(query.replace("{batch}", relation)))


def compare(warehouse: Warehouse, project: Project, day: date, repeats: int = 3) -> dict[str, dict[str, float]]:
    bounds = DateBounds(date.fromisoformat(HISTORY_START), datetime.now(UTC))
    settings = monitors.MonitorSettings()
    existing = warehouse.relations()
    out: dict[str, dict[str, float]] = {}

    def measure(name: str, through_gx, by_hand) -> None:
        out[name] = {"gx_seconds": best_of(repeats, through_gx), "sql_seconds": best_of(repeats, by_hand)}

    for source in project.sources:
        spec = registry.spec(source)
        for table in spec.tables:
            if (spec.dataset, table.name) not in existing or table.disposition != "merge" or not table.primary_key:
                continue
            keys = [*(Check("not_null", (c,)) for c in table.primary_key), Check("unique", table.primary_key)]
            measure(f"{spec.dataset}.{table.name}", lambda s=spec, t=table: gate.check_raw(warehouse, s, t),
                    lambda s=spec, t=table, k=keys: (warehouse.columns(s.dataset, t.name),
                                                     one_pass(warehouse, s.dataset, t.name, k)))
    for model in project.models:
        entity = entity_contract(model)
        if entity is None or (model.schema, model.name) not in existing:
            continue
        rules = checks(entity, bounds, "error") + checks(entity, bounds, "warn")
        measure(model.relation,
                lambda m=model, e=entity: [gate.check_contract(warehouse, m.schema, m.name, e, bounds, s)
                                           for s in ("error", "warn")],
                lambda m=model, r=rules: one_pass(warehouse, m.schema, m.name, r))
        source = model.name.removeprefix("stg_").split("__", 1)[0]
        for monitor in entity.monitors:
            if monitor.kind == "volume":
                query = monitors.volume_query(monitor, settings, day, day, warehouse.dialect)
            elif monitor.kind == "anomalies":
                query = monitors.anomaly_query(monitor, settings, day, day, warehouse.dialect)
            elif monitor.kind == "restatement":
                before = f"{monitors.MONITORING_SCHEMA}.{model.name}__before"
                if (monitors.MONITORING_SCHEMA, f"{model.name}__before") not in existing:
                    continue
                query = monitors.restatement_query(monitor, settings, before, warehouse.dialect)
            else:
                platform = ("staging", f"stg_{source}__{monitor.against}")
                if platform not in existing:
                    continue
                held = [f"{quarantine.QUARANTINE_SCHEMA}.{name}" for name in (model.name, platform[1])]
                held = [h if tuple(h.split(".")) in existing else None for h in held]
                query = monitors.reconciliation_query(monitor, settings, ".".join(platform), entity.grain,
                                                      warehouse.dialect, *held)
            measure(f"{model.relation} {monitor.check_name}",
                    lambda m=model, q=query, k=monitor.check_name: gate.check_query(warehouse, m.schema, m.name, k, q, k),
                    lambda m=model, q=query: _direct(warehouse, m.relation, q))
    return out
