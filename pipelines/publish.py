"""Publish: the candidates that passed the gate replace `marts.*` in one transaction."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, multi_asset

from pipelines.metadata import table_metadata
from pipelines.models import model_key
from pipelines.resources import WarehouseResource
from transforms import runner
from transforms.models import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA, discover

MARTS = tuple(m.name for m in discover() if m.layer == "marts")


@multi_asset(
    name="publish_marts",
    specs=[
        AssetSpec(
            model_key(PUBLISHED_SCHEMA, name),
            deps=[model_key(CANDIDATE_SCHEMA, name)],
            group_name="marts",
            description=f"Published marts.{name}: the BI contract. Replaced only when every blocking check passed.",
            kinds={"sql"},
        )
        for name in MARTS
    ],
    can_subset=False,
)
def publish_marts(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    wh = warehouse.warehouse()
    counts = runner.publish(wh, MARTS)
    context.log.info("published " + ", ".join(f"marts.{n} ({c} rows)" for n, c in counts.items()))
    with wh.begin() as conn:
        metadata = {name: table_metadata(wh, PUBLISHED_SCHEMA, name, counts[name], conn=conn) for name in MARTS}
    for name in MARTS:
        yield MaterializeResult(asset_key=model_key(PUBLISHED_SCHEMA, name), metadata=metadata[name])
