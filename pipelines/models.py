"""Staging, intermediate and candidate-mart tables (the SQL models plus the seed) as one subsettable
multi-asset.

Every table stays its own asset, but all of them run in one Dagster step, the way dagster-dbt runs
a dbt project: a step costs ~0.1 s of event-log writes and bookkeeping, several times a typical
model's SQL. One step for everything before the gate keeps the gate intact: its blocking checks
sit on the candidates, and the only thing downstream of them (publish) is in another step. The
price is coarser failure: a failed ingestion step now skips every model, not only its source's.
"""

import traceback
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from dagster import AssetExecutionContext, AssetKey, AssetSpec, Failure, MaterializeResult, MetadataValue, multi_asset

from pipelines.metadata import table_metadata
from pipelines.resources import WarehouseResource
from transforms import runner
from transforms.models import SEED_SCHEMA, Model, discover
from warehouse import Settings, Warehouse

GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}
SEED = "campaign_key_overrides"
STEP_NAME = "transform_models"


def model_key(schema: str, name: str) -> AssetKey:
    return AssetKey([schema, name])


@dataclass(frozen=True)
class Table:
    """One table the step builds: a SQL model, or the seed (model None)."""

    spec: AssetSpec
    model: Model | None

    @property
    def key(self) -> AssetKey:
        return self.spec.key

    @property
    def relation(self) -> str:
        return ".".join(self.key.path)

    def build(self, wh: Warehouse, settings: Settings, conn: sa.Connection) -> runner.BuildResult:
        if self.model is None:
            return runner.load_seed(wh, SEED, settings.campaign_key_overrides)
        return runner.build(wh, self.model, {"reporting_currency": settings.reporting_currency}, conn)


def _model_spec(model: Model) -> AssetSpec:
    return AssetSpec(
        key=model_key(model.schema, model.name),
        deps=[model_key(s, t) for s, t in model.deps],
        group_name=GROUPS[model.layer],
        description=model.description or None,
        kinds={"sql"},
        metadata={"sql_file": str(model.path.relative_to(model.path.parents[2]))},
    )


SEED_SPEC = AssetSpec(
    key=model_key(SEED_SCHEMA, SEED),
    group_name="staging",
    description="User-owned CSV mapping a platform campaign to a campaign key, where names do not match utm_campaign.",
    kinds={"csv"},
)

# Dependency order: the seed reads nothing, and discover() sorts the models topologically.
TABLES = (Table(SEED_SPEC, None), *(Table(_model_spec(m), m) for m in discover()))


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _build_selected(
    context: AssetExecutionContext, wh: Warehouse, settings: Settings
) -> Iterator[MaterializeResult]:
    """Build the selected tables in order, on one connection. Like separate steps would, a failure
    skips only what depends on it; the step then fails naming each failed model."""
    selected = context.selected_asset_keys
    failed: dict[str, str] = {}
    skipped: list[str] = []
    broken: set[AssetKey] = set()
    with wh.engine.connect() as conn:
        for table in TABLES:
            if table.key not in selected:
                continue
            if any(dep.asset_key in broken for dep in table.spec.deps):
                broken.add(table.key)
                skipped.append(table.relation)
                continue
            try:
                result = table.build(wh, settings, conn)
            except Exception as exc:
                broken.add(table.key)
                failed[table.relation] = _first_line(exc)
                context.log.error(f"model {table.relation} failed:\n{traceback.format_exc()}")
                continue
            schema, name = table.key.path
            yield MaterializeResult(
                asset_key=table.key,
                metadata=table_metadata(wh, schema, name, result.row_count, result.columns),
            )
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


@multi_asset(
    name=STEP_NAME,
    specs=[table.spec for table in TABLES],
    can_subset=True,
    description="Builds the selected SQL models (and the seed) in dependency order, in one step.",
)
def transform_models(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    yield from _build_selected(context, warehouse.warehouse(), warehouse.settings())
