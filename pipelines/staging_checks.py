"""Checks on the staging layer, declared with each domain entity (`transforms/domains/<domain>.yml`)
and run inside the models' step, right after each staging table is built:

- quarantine: rows failing a `severity: quarantine` rule are set aside in `quarantine.<table>`
  (a warning, with the count per rule and sample keys), and the rest go on;
- contract: the `error` rules, the grain's included. A failure holds back every model built from
  the table, so only the marts that read it keep their previous version;
- warnings: the `warn` rules; they alert and never hold anything back;
- reconciliation (a `reconciled` monitor, blocking): the loaded rows against the platform's own
  totals, built before the table (the project orders them so);
- restatement (a warning): how much the rebuild changed the days already stored, against their
  totals taken just before it.

They run in the step rather than as checks of their own because the models built from a staging
table run in that same step: only the step can hold them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, AssetKey, MetadataValue

from quality import data_docs, gate, monitors, quarantine
from quality.suites import DateBounds, build_rules, checks
from transforms.contracts import EntityContract, MonitorSpec, domains
from transforms.models import Model, transpile
from transforms.state import Window
from warehouse import Warehouse

CONTRACT_CHECK = "contract"
WARNINGS_CHECK = "contract_warnings"
QUARANTINE_CHECK = "rows_quarantined"
# Monitors the models' step runs; the rest run in the monitors' step.
IN_STEP_MONITORS = ("reconciled", "restatement")


def entity_contract(model: Model) -> EntityContract | None:
    """The domain entity a staging model fills: `staging/<source>__<entity>.sql`."""
    from connectors import registry

    if model.layer != "staging":
        return None
    source, entity = model.path.stem.split("__", 1)
    spec = registry.spec(source)
    contract = domains()[spec.domain]
    found = contract.entities[entity]
    return found.naming(contract.discriminator) if spec.discriminator_in_rows else found


def _rules(entity: EntityContract, severity: str) -> list[str]:
    return [c.label for c in entity.all_checks() if c.severity == severity]


def check_specs(key: AssetKey, entity: EntityContract) -> list[AssetCheckSpec]:
    relation = ".".join(key.path)
    specs = [AssetCheckSpec(
        CONTRACT_CHECK, asset=key,
        description=f"The {entity.name} contract's blocking rules on {relation}: {', '.join(_rules(entity, 'error'))}. "
                    "A failure holds back every model built from it.",
    )]
    if warn := _rules(entity, "warn"):
        specs.append(AssetCheckSpec(WARNINGS_CHECK, asset=key,
                                    description=f"Warning rules on {relation}: {', '.join(warn)}. Alerts, never blocks."))
    for monitor in entity.monitors:
        if monitor.kind == "reconciled":
            specs.append(AssetCheckSpec(
                monitor.check_name, asset=key,
                description=f"Per {', '.join(monitor.by)} and day, {', '.join(monitor.measures)} of {relation} "
                            f"(rows quarantined included) equal the platform's own {monitor.against} totals to "
                            "FUNNELHOUSE_MONITOR_RECONCILIATION_TOLERANCE (a cent). A mismatch means rows were lost "
                            "or doubled, and holds back every model built from it."))
        elif monitor.kind == "restatement":
            specs.append(AssetCheckSpec(
                monitor.check_name, asset=key,
                description=f"How much this run's re-read changed the stored days of {relation}: per "
                            f"{', '.join(monitor.by)} and day, {', '.join(monitor.measures)} moving by more than "
                            "FUNNELHOUSE_MONITOR_RESTATEMENT_THRESHOLD. A warning: the platform restated."))
    if kept := _rules(entity, "quarantine"):
        specs.append(AssetCheckSpec(
            QUARANTINE_CHECK, asset=key,
            description=f"Rows of {relation} failing {', '.join(kept)} are set aside in "
                        f"{quarantine.QUARANTINE_SCHEMA}.{key.path[-1]} and the rest published; fails (a warning) "
                        "when this run set any aside.",
        ))
    return specs


def before_build(wh: Warehouse, conn: sa.Connection, key: AssetKey, entity: EntityContract,
                 window: Window | None = None) -> None:
    """Keep the day totals the restatement monitor compares the rebuilt table with: of the days to
    be rebuilt (`window`), or of all of them."""
    monitor = entity.monitor("restatement")
    if monitor is None:
        return
    schema, table = key.path
    target = f"{monitors.MONITORING_SCHEMA}.{table}__before"
    with conn.begin():
        exists = (schema, table) in wh.relations(conn)
        wh.run_statement(conn, f"CREATE SCHEMA IF NOT EXISTS {monitors.MONITORING_SCHEMA}")
        wh.run_statement(conn, f"DROP TABLE IF EXISTS {target}")
        if exists:
            wh.run_statement(conn, transpile(monitors.snapshot_sql(monitor, f"{schema}.{table}", target,
                                                                   window.predicate() if window else None),
                                             wh.dialect))


def monitor_query(dialect: str, relations: set[tuple[str, str]], key: AssetKey, entity: EntityContract,
                  monitor: MonitorSpec, settings: monitors.MonitorSettings,
                  window: Window | None = None) -> tuple[str, str] | None:
    """A reconciliation or restatement monitor's query and description, or None when there is nothing
    to compare with yet (no earlier load, or no platform totals from this source). `relations`: the
    warehouse's, read once for the table's checks."""
    schema, table = key.path
    if monitor.kind == "restatement":
        before = (monitors.MONITORING_SCHEMA, f"{table}__before")
        if before not in relations:
            return None
        return (monitors.restatement_query(monitor, settings, ".".join(before), dialect),
                f"{', '.join(monitor.measures)} restated by more than the threshold")
    source = table.removeprefix("stg_").split("__", 1)[0]
    platform = (schema, f"stg_{source}__{monitor.against}")
    if platform not in relations:
        return None
    held = [(quarantine.QUARANTINE_SCHEMA, name) for name in (table, platform[1])]
    query = monitors.reconciliation_query(monitor, settings, ".".join(platform), entity.grain, dialect,
                                          *(".".join(h) if h in relations else None for h in held),
                                          days=window.predicate(monitor.date) if window else None)
    return query, f"{', '.join(monitor.measures)} per {', '.join(monitor.by)} and day equal {'.'.join(platform)}"


@dataclass
class StagingVerdict:
    results: list[AssetCheckResult]
    blocked: bool
    quarantined: quarantine.Quarantined
    reason: str = ""


def run(wh: Warehouse, conn: sa.Connection, key: AssetKey, entity: EntityContract, run_id: str,
        history_start: date, selected: set, settings: monitors.MonitorSettings,
        window: Window | None = None) -> StagingVerdict:
    """`window`: the days the build rebuilt, the only ones checked and set aside (the others were
    checked when they were built)."""
    # Imported here: pipelines.quality names the candidates by the models' step's keys, and that step
    # runs these checks.
    from pipelines.quality import outcome_metadata

    schema, table = key.path
    now = datetime.now(UTC)
    bounds = DateBounds(history_start, now)
    where = window.predicate() if window else None
    kept = quarantine.set_aside(wh, conn, schema, table, checks(entity, bounds, "quarantine"), entity.grain,
                                run_id, now, where)
    results: list[AssetCheckResult] = []
    blocked, reason = False, ""

    def wanted(name: str) -> bool:
        return any(k.asset_key == key and k.name == name for k in selected)

    if wanted(QUARANTINE_CHECK):
        results.append(AssetCheckResult(
            asset_key=key, check_name=QUARANTINE_CHECK, passed=kept.rows == 0, severity=AssetCheckSeverity.WARN,
            metadata={
                "quarantined_rows": MetadataValue.int(kept.rows),
                "by_rule": MetadataValue.json(kept.by_rule),
                "sample_rows": MetadataValue.json([{k: str(v) for k, v in row.items()} for row in kept.sample]),
                "quarantine_table": MetadataValue.text(kept.relation),
            },
            description=None if not kept.rows else (
                f"{kept.rows} rows set aside in {kept.relation}: "
                + ", ".join(f"{rule} ({n})" for rule, n in kept.by_rule.items())),
        ))
    # Every check of the table in one validation: GX's cost is mostly per validation.
    groups: dict[str, tuple[set[str], bool]] = {}
    rules: list[Any] = []
    for name, severity in ((CONTRACT_CHECK, "error"), (WARNINGS_CHECK, "warn")):
        if wanted(name):
            found = checks(entity, bounds, severity)
            groups[name] = ({c.name for c in found}, severity == "error")
            rules += build_rules(found, wh.dialect)
    in_step = [m for m in entity.monitors if m.kind in IN_STEP_MONITORS and wanted(m.check_name)]
    if in_step:
        with conn.begin():
            relations = wh.relations(conn)
    for monitor in in_step:
        found = monitor_query(wh.dialect, relations, key, entity, monitor, settings, window)
        if found is None:
            results.append(AssetCheckResult(asset_key=key, check_name=monitor.check_name, passed=True,
                                            severity=AssetCheckSeverity.WARN,
                                            metadata={"outcome": MetadataValue.text("nothing to compare with yet")}))
            continue
        groups[monitor.check_name] = ({monitor.check_name}, monitor.severity == "error")
        rules.append(gate.query_rule(monitor.check_name, *found))
    if groups:
        together = gate.check_together(wh, schema, table, lambda: rules, entity.grain, where)
    for name, (names, blocking) in groups.items():
        outcome = together.only(names)
        if not outcome.success and blocking:
            blocked, reason = True, gate.render(outcome)
        results.append(AssetCheckResult(
            asset_key=key, check_name=name, passed=outcome.success,
            severity=AssetCheckSeverity.ERROR if blocking else AssetCheckSeverity.WARN,
            metadata=outcome_metadata(outcome, data_docs.publish(outcome, run_id, name)),
            description=None if outcome.success else gate.render(outcome)[:2000],
        ))
    return StagingVerdict(results, blocked, kept, reason)
