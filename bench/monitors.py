"""The staging checks and the monitors: each staging table's validation through GX, as a run does
it, against the same rules in hand-written SQL.

For each staging table, the one GX validation a run makes of its contract (blocking and warning
rules) and its monitors (volume and anomalies over the last day, reconciliation, and restatement
where an earlier load left totals to compare with), against one SELECT of the contract's rules plus
each monitor's query run directly, which is what a hand-written monitor would run. Raw tables'
checks read the catalog only, and cost nothing to compare.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bench.gate_baseline import one_pass
from bench.measure import best_of
from pipelines.partitions import HISTORY_START
from pipelines.staging_checks import entity_contract
from quality import gate, monitors, quarantine
from quality.suites import DateBounds, build_rules, checks
from transforms.project import Project
from warehouse import Warehouse


def _direct(warehouse: Warehouse, relation: str, query: str) -> int:
    return len(warehouse.rows(query.replace("{batch}", relation)))


def _monitor_queries(warehouse: Warehouse, model, entity, day: date, existing: set) -> list[tuple[str, str]]:
    settings = monitors.MonitorSettings()
    source = model.name.removeprefix("stg_").split("__", 1)[0]
    queries = []
    for monitor in entity.monitors:
        if monitor.kind == "volume":
            query = monitors.volume_query(monitor, settings, day, day, warehouse.dialect)
        elif monitor.kind == "anomalies":
            query = monitors.anomaly_query(monitor, settings, day, day, warehouse.dialect)
        elif monitor.kind == "restatement":
            if (monitors.MONITORING_SCHEMA, f"{model.name}__before") not in existing:
                continue
            query = monitors.restatement_query(monitor, settings, f"{monitors.MONITORING_SCHEMA}.{model.name}__before",
                                               warehouse.dialect)
        else:
            platform = ("staging", f"stg_{source}__{monitor.against}")
            if platform not in existing:
                continue
            held = [f"{quarantine.QUARANTINE_SCHEMA}.{name}" for name in (model.name, platform[1])]
            held = [h if tuple(h.split(".")) in existing else None for h in held]
            query = monitors.reconciliation_query(monitor, settings, ".".join(platform), entity.grain,
                                                  warehouse.dialect, *held)
        queries.append((monitor.check_name, query))
    return queries


def compare(warehouse: Warehouse, project: Project, day: date, repeats: int = 3) -> dict[str, dict[str, float]]:
    bounds = DateBounds(date.fromisoformat(HISTORY_START), datetime.now(UTC))
    existing = warehouse.relations()
    out: dict[str, dict[str, float]] = {}
    for model in project.models:
        entity = entity_contract(model)
        if entity is None or (model.schema, model.name) not in existing:
            continue
        contract = checks(entity, bounds, "error") + checks(entity, bounds, "warn")
        queries = _monitor_queries(warehouse, model, entity, day, existing)

        def through_gx(m=model, c=contract, q=queries, e=entity):
            rules = build_rules(c, warehouse.dialect) + [gate.query_rule(n, sql, n) for n, sql in q]
            outcome = gate.check_together(warehouse, m.schema, m.name, lambda: rules, e.grain)
            if outcome.errors:
                raise RuntimeError(gate.render(outcome))
            return outcome

        def by_hand(m=model, c=contract, q=queries):
            return one_pass(warehouse, m.schema, m.name, c), [_direct(warehouse, m.relation, sql) for _, sql in q]

        out[model.relation] = {"rules": len(contract), "monitors": len(queries),
                               "rows": warehouse.row_count(model.schema, model.name),
                               "gx_seconds": best_of(repeats, through_gx), "sql_seconds": best_of(repeats, by_hand)}
    return out
