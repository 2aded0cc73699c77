"""Ingestion: one multi-asset per enabled source, materializing its raw tables `raw_<source>/<table>`.

The asset specs come from the source's static table list, so building the definitions resolves no
setting, makes no dlt source and writes nothing. The step builds a fresh dlt source for the run's
window and loads it through Arrow and parquet into the warehouse.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableSchema,
    multi_asset,
)

from connectors import registry
from connectors.common.spec import SourceSpec
from connectors.common.tables import Table
from pipelines.partitions import daily_partitions, single_run
from pipelines.resources import IngestionResource, WarehouseResource
from quality.runner import preload
from transforms import state
from warehouse import Warehouse

RAW_GROUP = "raw"


def raw_key(spec: SourceSpec, table: Table) -> AssetKey:
    """Asset keys are the warehouse relations the SQL models read: `raw_<source>/<table>`."""
    return AssetKey([spec.dataset, table.name])


def pipeline_for(warehouse: Warehouse, source: str, state_dir: str) -> Any:
    """A dlt pipeline whose working files are kept per warehouse, so two warehouses never share state."""
    import dlt

    return dlt.pipeline(
        pipeline_name=f"funnelhouse_{source}",
        destination=warehouse.dlt_destination(),
        dataset_name=registry.spec(source).dataset,
        pipelines_dir=str(Path(state_dir) / "dlt" / warehouse.fingerprint),
    )


def first_loads(warehouse: Warehouse, spec: SourceSpec, source: Any, pipeline: Any) -> None:
    """The source's resources whose tables the warehouse does not have yet load by their first-load
    disposition (`Table.write_disposition`): a full build's history goes straight in. Not while an
    earlier run's load is pending: dlt loads it first, and the same days would then go in twice."""
    if pipeline.has_pending_data:
        return
    present = warehouse.relations()
    for table in spec.tables:
        if (spec.dataset, table.name) not in present and table.name in source.resources:
            source.resources[table.name].apply_hints(write_disposition=table.write_disposition(first_load=True))


def note_changed_days(warehouse: Warehouse, spec: SourceSpec, since: datetime) -> tuple[Any, Any] | None:
    """The days of data the source's loads since `since` changed, as its changes table notes them,
    recorded for the models' next build (see `SourceSpec.changed_days`)."""
    changes = spec.changed_days
    if changes is None or (spec.dataset, changes.table) not in warehouse.relations():
        return None
    import sqlalchemy as sa

    with warehouse.engine.begin() as conn:
        start, end = conn.execute(sa.text(
            f"SELECT min({changes.start}), max({changes.end}) FROM {spec.dataset}.{changes.table} "
            f"WHERE {changes.loaded_at} >= :since"), {"since": since}).one()
        if start is None:
            return None
        state.note_changes(warehouse, conn, spec.name, start, end)
    return start, end


def column_schema(table: Table) -> TableSchema:
    return TableSchema(columns=[
        TableColumn(c.name, c.type, description=c.description or None) for c in table.columns
    ])


def _spec(spec: SourceSpec, table: Table, freshness: FreshnessPolicy | None) -> AssetSpec:
    return AssetSpec(
        raw_key(spec, table),
        group_name=RAW_GROUP,
        description=f"{spec.label}: {table.description or table.name}, loaded by dlt into {spec.dataset}",
        kinds={"dlt"},
        metadata={
            "dagster/column_schema": column_schema(table),
            "dagster/relation_identifier": MetadataValue.text(f"{spec.dataset}.{table.name}"),
            "primary_key": MetadataValue.json(list(table.primary_key)),
            "write_disposition": MetadataValue.json(table.write_disposition()),
        },
        tags={"funnelhouse/source": spec.name, "funnelhouse/domain": spec.domain},
        freshness_policy=freshness,
    )


def ingest_multi_asset(spec: SourceSpec, freshness: FreshnessPolicy | None = None) -> Callable[..., AssetsDefinition]:
    """The decorator that makes a source's ingestion step: its raw tables' specs, partitions and
    backfill policy (the orchestration benchmark puts a body doing no work in the same shape).

    `freshness`: the SLA Dagster holds the raw tables to, from when they were last loaded (the
    freshness check holds the data itself to its own, from its newest record)."""
    return multi_asset(
        name=f"ingest_{spec.name}",
        specs=[_spec(spec, table, freshness) for table in spec.tables],
        partitions_def=daily_partitions if spec.windowed else None,
        backfill_policy=single_run if spec.windowed else None,
        op_tags={"funnelhouse/source": spec.name},
        description=f"{spec.label} ({spec.mode} ingestion) into {spec.dataset}.",
    )


def _checks_follow(context: AssetExecutionContext) -> bool:
    """Whether the run builds anything past the raw layer, and so runs GX checks in this process (the
    job runs in process): a run of raw tables alone never imports GX."""
    selection = context.run.asset_selection
    if selection is None:
        return True
    raw = {spec.dataset for spec in registry.specs().values()}
    return any(key.path[0] not in raw for key in selection)


def build_ingest_assets(spec: SourceSpec, freshness: FreshnessPolicy | None = None) -> AssetsDefinition:
    @ingest_multi_asset(spec, freshness)
    def _ingest(
        context: AssetExecutionContext, warehouse: WarehouseResource, ingestion: IngestionResource
    ) -> Iterator[MaterializeResult]:
        if _checks_follow(context):
            # The checks downstream need GX; it loads while this step reads the source.
            preload()
        start = end = None
        lookback = spec.lookback_days if ingestion.lookback_days is None else ingestion.lookback_days
        # A single day's run (the schedule's, or a day picked in the UI) has a partition key, a
        # backfill a range; either way the run's days, not the connector's default of yesterday.
        if spec.windowed and (context.has_partition_key or context.has_partition_key_range):
            window = context.partition_time_window
            start, end = window.start.date(), window.end.date() - timedelta(days=1)
            context.log.info(f"{spec.name}: window {start} to {end}, lookback {lookback} days")
        source = registry.build_source(spec.name, start, end, lookback)
        wh = warehouse.warehouse()
        pipeline = pipeline_for(wh, spec.name, ingestion.state_dir)
        first_loads(wh, spec, source, pipeline)
        started = datetime.now(UTC)
        load_info = pipeline.run(source, loader_file_format=wh.dlt_file_format)
        changed = note_changed_days(wh, spec, started)
        if changed:
            context.log.info(f"{spec.name}: the load changed the days {changed[0]} to {changed[1]}")
        counts = pipeline.last_trace.last_normalize_info.row_counts
        load_id = load_info.loads_ids[0] if load_info.loads_ids else None
        for table in spec.tables:
            yield MaterializeResult(
                asset_key=raw_key(spec, table),
                metadata={
                    "rows_loaded": MetadataValue.int(int(counts.get(table.name, 0))),
                    **({"dlt_load_id": MetadataValue.text(load_id)} if load_id else {}),
                },
            )

    return _ingest
