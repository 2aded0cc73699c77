"""Staging, intermediate and candidate-mart tables (the SQL models plus the seed) as one subsettable
multi-asset, built for the enabled sources' project (`transforms.project`).

Every table stays its own asset, but all of them run in one Dagster step, the way dagster-dbt runs
a dbt project: one connection for every model, and no per-step bookkeeping per model. The gate's
checks sit on the candidates, in steps of their own, so a failed check holds back only its mart's
publication. The price is coarser failure upstream: a failed ingestion step skips every model.
"""

import traceback
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)
from pydantic import Field

from pipelines import staging_checks
from pipelines.metadata import mart_column_schema, table_metadata
from pipelines.partitions import HISTORY_START
from pipelines.resources import IngestionResource, WarehouseResource
from pipelines.window import run_window
from quality.monitors import load_monitor_settings
from transforms import incremental, runner, state
from transforms.contracts import EntityContract, marts
from transforms.incremental import Plan
from transforms.model_settings import load_model_settings
from transforms.models import CANDIDATE_SCHEMA, SEED_SCHEMA, Model
from transforms.project import Project
from warehouse import Settings, Warehouse

GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}
STEP_NAME = "transform_models"


def model_key(schema: str, name: str) -> AssetKey:
    return AssetKey([schema, name])


@dataclass(frozen=True)
class Table:
    """One table the step builds: a SQL model, or a seed (model None)."""

    spec: AssetSpec
    model: Model | None
    # A staging model's domain entity, whose checks it must pass.
    entity: EntityContract | None = None

    @property
    def key(self) -> AssetKey:
        return self.spec.key

    @property
    def relation(self) -> str:
        return ".".join(self.key.path)

    def build(self, wh: Warehouse, settings: Settings, conn: sa.Connection, plan: Plan | None = None,
              fingerprint: str = "", run_id: str = "", previous: state.Build | None = None,
              selected: Collection[AssetKey] = ()) -> runner.BuildResult:
        """`selected`: what this run builds; a candidate mart read but not among them is read
        published."""
        if self.model is None:
            return runner.load_seed(wh, self.key.path[1], settings.campaign_key_overrides)
        published = [dep for dep in self.model.deps if dep[0] == CANDIDATE_SCHEMA and AssetKey(list(dep)) not in selected]
        return runner.build(wh, self.model, _variables(settings), conn, plan.window if plan else None, fingerprint,
                            run_id, previous, published)


class TransformConfig(Config):
    """Set in the launchpad (or `funnelhouse run --full-refresh`)."""

    full_refresh: bool = Field(
        default=False,
        description="Rebuild every selected model whole, over all history, instead of only the run's days "
                    "(plus the restatement lookback) for the incremental ones.",
    )


def _variables(settings: Settings) -> dict[str, object]:
    """What the models render with: the reporting currency and the marketing model's settings."""
    return {**load_model_settings().variables(), "reporting_currency": settings.reporting_currency}


def models_days(context: AssetExecutionContext, project: Project, ingestion: IngestionResource) -> tuple[date, date]:
    """The run's dates widened by the longest restatement lookback among the enabled windowed
    sources: exactly the days their loads replaced."""
    from connectors import registry

    window = run_window(context.run.tags)
    lookbacks = [spec.lookback_days if ingestion.lookback_days is None else ingestion.lookback_days
                 for spec in map(registry.spec, project.sources) if spec.windowed]
    return incremental.model_window(window.start, window.end, max(lookbacks, default=0))


def _plans(context: AssetExecutionContext, built: tuple[Table, ...], wh: Warehouse, conn: sa.Connection,
           settings: Settings, days: tuple[date, date], full_refresh: bool, sources: Sequence[str] = (),
           ) -> tuple[dict[str, Plan], dict[str, str], dict[str, state.Build]]:
    """How each selected model is built this run, its fingerprint, and the tables' last builds. The
    days each incremental model is to rebuild are recorded as pending first, so a run that stops
    midway leaves them to the next. The days are the run's, widened to what the sources' loads noted
    as changed outside it (a file of last quarter's spend)."""
    models = [t.model for t in built if t.model is not None]
    found = incremental.fingerprints(models, _variables(settings), wh.dialect,
                                     {t.key.path[1]: settings.campaign_key_overrides for t in built if t.model is None})
    with conn.begin():
        existing = wh.relations(conn)
        changed = state.take_changes(wh, conn, sources, existing)
        if changed:
            context.log.info(f"loads changed the days {changed[0]} to {changed[1]}: the models rebuild them too")
            days = (min(days[0], changed[0]), max(days[1], changed[1]))
        builds = state.read(wh, conn, existing)
        pending = state.pending(wh, conn, existing)
        plans = {t.relation: incremental.plan(t.model, found[t.relation], builds, pending, existing, days, full_refresh)
                 for t in built if t.model is not None and t.key in context.selected_asset_keys}
        state.set_pending(wh, conn, {relation: plan.window for relation, plan in plans.items() if plan.window})
    return plans, found, builds

def _model_spec(model: Model) -> AssetSpec:
    metadata = {"sql_file": str(model.path.relative_to(model.path.parents[2]))}
    if model.layer == "marts":
        metadata["dagster/column_schema"] = mart_column_schema(marts()[model.name])
    return AssetSpec(
        key=model_key(model.schema, model.name),
        deps=[model_key(s, t) for s, t in model.deps],
        group_name=GROUPS[model.layer],
        description=(marts()[model.name].description if model.layer == "marts" else model.description) or None,
        kinds={"sql"},
        metadata=metadata,
    )


def _seed_spec(name: str) -> AssetSpec:
    return AssetSpec(
        key=model_key(SEED_SCHEMA, name),
        group_name="staging",
        description="User-owned CSV mapping a platform campaign to a campaign key, where names do not match "
                    "utm_campaign (FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES).",
        kinds={"csv"},
    )


def tables(project: Project) -> tuple[Table, ...]:
    """Dependency order: the seeds read nothing, and the project's models are sorted."""
    return (*(Table(_seed_spec(name), None) for name in project.seeds),
            *(Table(_model_spec(m), m, staging_checks.entity_contract(m)) for m in project.models))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _build_selected(
    context: AssetExecutionContext, built: tuple[Table, ...], wh: Warehouse, settings: Settings,
    days: tuple[date, date], full_refresh: bool = False, sources: Sequence[str] = (),
) -> Iterator[MaterializeResult]:
    """Build the selected tables in order, on one connection: the incremental ones by `days` (plus
    whatever earlier runs left pending), the rest whole. Like separate steps would, a failure skips
    only what depends on it; the step then fails naming each failed model."""
    selected = context.selected_asset_keys
    selected_checks = set(context.selected_asset_check_keys)
    history_start = date.fromisoformat(HISTORY_START)
    monitor_settings = load_monitor_settings()
    failed: dict[str, str] = {}
    blocked = False
    skipped: list[str] = []
    broken: set[AssetKey] = set()
    with wh.engine.connect() as conn:
        plans, found, builds = _plans(context, built, wh, conn, settings, days, full_refresh, sources)
        for table in built:
            if table.key not in selected:
                continue
            if any(dep.asset_key in broken for dep in table.spec.deps):
                broken.add(table.key)
                skipped.append(table.relation)
                continue
            plan = plans.get(table.relation)
            window = plan.window if plan else None
            try:
                if table.entity is not None:
                    staging_checks.before_build(wh, conn, table.key, table.entity, window)
                result = table.build(wh, settings, conn, plan, found.get(table.relation, ""), context.run.run_id,
                                     builds.get(table.relation), selected)
            except Exception as exc:
                broken.add(table.key)
                failed[table.relation] = _first_line(exc)
                context.log.error(f"model {table.relation} failed:\n{traceback.format_exc()}")
                continue
            if result.stood_in:
                context.log.warning(f"{table.relation}: {', '.join(result.stood_in)} not loaded yet (its source "
                                    "has never run): built empty, with the declared columns")
            schema, name = table.key.path
            verdict = None
            if table.entity is not None:
                verdict = staging_checks.run(wh, conn, table.key, table.entity, context.run.run_id, history_start,
                                             selected_checks, monitor_settings, result.window)
                if verdict.quarantined.rows and table.relation in found:
                    with conn.begin():
                        state.adjust_rows(wh, conn, table.relation, -verdict.quarantined.rows)
            contract = marts().get(name) if schema == CANDIDATE_SCHEMA else None
            row_count = result.row_count - (verdict.quarantined.rows if verdict else 0)
            metadata = table_metadata(wh, schema, name, row_count, result.columns, contract=contract)
            if plan is not None:
                metadata["build"] = MetadataValue.text(plan.reason)
            if result.rows_rebuilt is not None:
                metadata["rows_rebuilt"] = MetadataValue.int(result.rows_rebuilt)
            if result.stood_in:
                metadata["stand_ins"] = MetadataValue.json(list(result.stood_in))
            if verdict is not None and verdict.quarantined.rows:
                metadata["quarantined_rows"] = MetadataValue.int(verdict.quarantined.rows)
            yield MaterializeResult(asset_key=table.key, metadata=metadata)
            if verdict is not None:
                yield from verdict.results
                if verdict.blocked:
                    broken.add(table.key)
                    blocked = True
                    context.log.error(f"{table.relation} failed its contract; the models built from it are held "
                                      f"back:\n{verdict.reason}")
    if blocked:
        context.log.warning("held back, downstream of a staging table that failed its contract: "
                            + (", ".join(skipped) or "nothing"))
    if failed:
        summary = "; ".join(f"{relation}: {error}" for relation, error in failed.items())
        raise Failure(
            description=f"{len(failed)} model{'s' if len(failed) > 1 else ''} failed: {summary}"
            + (f" (not built, downstream of a failure: {', '.join(skipped)})" if skipped else ""),
            metadata={
                "failed_models": MetadataValue.json(failed),
                "skipped_models": MetadataValue.json(skipped),
            },
        )


def build_transform_assets(project: Project) -> AssetsDefinition:
    built = tables(project)

    @multi_asset(
        name=STEP_NAME,
        specs=[table.spec for table in built],
        check_specs=[spec for table in built if table.entity is not None
                     for spec in staging_checks.check_specs(table.key, table.entity)],
        can_subset=True,
        description="Builds the selected SQL models (and seeds) in dependency order, in one step.",
    )
    def transform_models(context: AssetExecutionContext, config: TransformConfig, warehouse: WarehouseResource,
                         ingestion: IngestionResource) -> Iterator[MaterializeResult]:
        days = models_days(context, project, ingestion)
        yield from _build_selected(context, built, warehouse.warehouse(keep_open=True), warehouse.settings(), days,
                                   config.full_refresh, project.sources)

    return transform_models
