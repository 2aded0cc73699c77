"""Raw layer: one dlt asset group per source, loading `raw_<source>.*` through Arrow."""

import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import dlt
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, AssetSpec
from dagster_dlt import DagsterDltResource, DagsterDltTranslator, dlt_assets
from dagster_dlt.translator import DltResourceTranslatorData

from connectors import registry
from pipelines.partitions import daily_partitions, single_run
from pipelines.resources import IngestionResource, WarehouseResource
from warehouse import Warehouse

RAW_GROUP = "raw"


class RawTranslator(DagsterDltTranslator):
    """Asset keys are the warehouse relations, `raw_<source>/<table>`, which the SQL models read."""

    def get_asset_spec(self, data: DltResourceTranslatorData) -> AssetSpec:
        spec = super().get_asset_spec(data)
        dataset = registry.SOURCES[data.resource.source_name].dataset
        return spec.replace_attributes(
            key=AssetKey([dataset, str(data.resource.table_name)]),
            deps=[],
            group_name=RAW_GROUP,
            description=f"{data.resource.source_name}: {data.resource.name}, loaded by dlt into {dataset}",
        )


def pipeline_for(warehouse: Warehouse, source: str, state_dir: str) -> dlt.Pipeline:
    """A dlt pipeline whose working files are kept per warehouse, so two warehouses never share state."""
    return dlt.pipeline(
        pipeline_name=f"funnelhouse_{source}",
        destination=warehouse.dlt_destination(),
        dataset_name=registry.SOURCES[source].dataset,
        pipelines_dir=str(Path(state_dir) / "dlt" / warehouse.fingerprint),
    )


def _definition_pipeline(source: str) -> dlt.Pipeline:
    # Only for learning asset specs at import time; never run.
    return dlt.pipeline(
        pipeline_name=f"funnelhouse_{source}_definitions",
        destination=dlt.destinations.duckdb(":memory:"),
        dataset_name=registry.SOURCES[source].dataset,
        pipelines_dir=str(Path(tempfile.gettempdir()) / "funnelhouse-definitions"),
    )


def build_raw_assets(source: str) -> AssetsDefinition:
    info = registry.SOURCES[source]

    @dlt_assets(
        dlt_source=registry.definition_source(source),
        dlt_pipeline=_definition_pipeline(source),
        name=f"ingest_{source}",
        dagster_dlt_translator=RawTranslator(),
        partitions_def=daily_partitions if info.windowed else None,
        backfill_policy=single_run if info.windowed else None,
        op_tags={"funnelhouse/source": source},
    )
    def _assets(
        context: AssetExecutionContext,
        dlt_loader: DagsterDltResource,
        warehouse: WarehouseResource,
        ingestion: IngestionResource,
    ) -> Iterator[Any]:
        start = end = None
        if info.windowed and context.has_partition_key_range:
            window = context.partition_time_window
            start, end = window.start.date(), window.end.date() - timedelta(days=1)
            context.log.info(f"{source}: window {start} to {end}, lookback {ingestion.lookback_days} days")
        dlt_source = registry.build_source(source, start, end, ingestion.lookback_days)
        yield from dlt_loader.run(
            context=context,
            dlt_source=dlt_source,
            dlt_pipeline=pipeline_for(warehouse.warehouse(), source, ingestion.state_dir),
            loader_file_format="parquet",
        )

    return _assets
