"""The Definitions `workspace.yaml` loads: assets by layer, the gate, one job, a daily schedule."""

from __future__ import annotations

from dagster import (
    AssetKey,
    AssetSelection,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
)

from connectors import registry
from pipelines.checks import build_checks
from pipelines.ingest import build_ingest_assets
from pipelines.models import transform_models
from pipelines.partitions import daily_partitions
from pipelines.publish import publish_marts
from pipelines.resources import IngestionResource, WarehouseResource

JOB_NAME = "funnelhouse_daily"

raw_assets = {name: build_ingest_assets(spec) for name, spec in registry.specs().items()}
downstream_assets = [transform_models, publish_marts]

# In-process: the multiprocess executor costs ~10 s per step here, and parallel steps would
# contend for DuckDB's single-writer lock.
daily_job = define_asset_job(
    JOB_NAME,
    selection=AssetSelection.all(),
    partitions_def=daily_partitions,
    executor_def=in_process_executor,
    description="Ingest every source for the day (plus the lookback), rebuild the models, run the gate, publish.",
)

defs = Definitions(
    assets=[*raw_assets.values(), *downstream_assets],
    asset_checks=build_checks(),
    jobs=[daily_job],
    schedules=[build_schedule_from_partitioned_job(daily_job, hour_of_day=6, minute_of_hour=0)],
    resources={
        "warehouse": WarehouseResource(),
        "ingestion": IngestionResource(),
    },
    executor=in_process_executor,
)


def asset_keys_for(sources: list[str]) -> list[AssetKey]:
    """The named sources' raw assets and everything downstream of raw: transforms, gate, publish."""
    keys = [key for name in sources for key in raw_assets[name].keys]
    return keys + [key for assets_def in downstream_assets for key in assets_def.keys]
