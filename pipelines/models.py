"""Staging, intermediate and candidate-mart assets: one per SQL model, plus the seed tables."""

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, asset

from pipelines.metadata import table_metadata
from pipelines.resources import WarehouseResource
from transforms import runner
from transforms.models import SEED_SCHEMA, Model, discover

GROUPS = {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}


def model_key(schema: str, name: str) -> AssetKey:
    return AssetKey([schema, name])


def _variables(warehouse: WarehouseResource) -> dict[str, str]:
    return {"reporting_currency": warehouse.settings().reporting_currency}


def build_model_asset(model: Model) -> AssetsDefinition:
    @asset(
        key=model_key(model.schema, model.name),
        deps=[model_key(s, t) for s, t in model.deps],
        group_name=GROUPS[model.layer],
        description=model.description or None,
        kinds={"sql"},
        metadata={"sql_file": str(model.path.relative_to(model.path.parents[2]))},
    )
    def _model(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
        wh = warehouse.warehouse()
        result = runner.build(wh, model, _variables(warehouse))
        context.log.info(f"built {result.relation}: {result.row_count} rows")
        return MaterializeResult(
            metadata=table_metadata(wh, model.schema, model.name, result.row_count, result.columns)
        )

    return _model


@asset(
    key=model_key(SEED_SCHEMA, "campaign_key_overrides"),
    group_name="staging",
    description="User-owned CSV mapping a platform campaign to a campaign key, where names do not match utm_campaign.",
    kinds={"csv"},
)
def campaign_key_overrides(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    settings = warehouse.settings()
    wh = warehouse.warehouse()
    result = runner.load_seed(wh, "campaign_key_overrides", settings.campaign_key_overrides)
    return MaterializeResult(metadata=table_metadata(wh, SEED_SCHEMA, "campaign_key_overrides", result.row_count))


def build_model_assets() -> list[AssetsDefinition]:
    return [build_model_asset(m) for m in discover()]
