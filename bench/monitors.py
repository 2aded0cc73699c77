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

from dagster import AssetKey

from bench.gate_baseline import one_pass
from bench.measure import best_of
from pipelines.partitions import HISTORY_START
from pipelines.staging_checks import IN_STEP_MONITORS, entity_contract, monitor_query
from quality import gate, monitors
from quality.suites import DateBounds, build_rules, checks
from transforms.project import Project
from warehouse import Warehouse


def _direct(warehouse: Warehouse, relation: str, query: str) -> int:
    return len(warehouse.rows(query.replace("{batch}", relation)))


def _monitor_queries(warehouse: Warehouse, model, entity, day: date, existing: set) -> list[tuple[str, str]]:
    """Each monitor's query, as the run builds it: the window monitors over `day`."""
    settings = monitors.MonitorSettings()
    queries = []
    for monitor in entity.monitors:
        if monitor.kind in IN_STEP_MONITORS:
            found = monitor_query(warehouse.dialect, existing, AssetKey([model.schema, model.name]), entity, monitor,
                                  settings)
            if found is None:
                continue
            query = found[0]
        else:
            query = monitors.window_query(monitor, settings, day, day, warehouse.dialect)
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
