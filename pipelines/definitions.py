"""The Definitions `workspace.yaml` loads, composed by domain for a deployment's enabled sources:
ingestion (`ingest`), models (`transform`), the gate (`quality`), publication (`publish`) and the
warnings (`monitors`), with one job, a daily schedule and the sensors that alert on-call staff
(`alerting`).

Nothing is built at import: `defs` is loaded lazily, and it reads only the deployment's shape (which
sources are enabled, how publication works). No source setting is resolved, no dlt source made, no
file written: each source's assets come from its spec's static table list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import dagster as dg
from dagster import (
    AssetKey,
    AssetSelection,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
)

from connectors import registry
from pipelines.alerting import build_alert_sensors
from pipelines.file_sensors import build_file_sensor
from pipelines.ingest import build_ingest_assets
from pipelines.monitors import build_monitors
from pipelines.partitions import HISTORY_START, daily_partitions
from pipelines.publish import BY_DEPENDENCY, PUBLICATIONS, build_publish_assets
from pipelines.quality import build_gate
from pipelines.resources import IngestionResource, WarehouseResource
from pipelines.transform import build_transform_assets
from transforms.project import Project, project

JOB_NAME = "funnelhouse_daily"
PUBLICATION_KEY = "funnelhouse_publication"


@dataclass(frozen=True)
class Deployment:
    """The shape of a deployment's graph: which sources it uses and how it publishes."""

    sources: tuple[str, ...]
    publication: str = BY_DEPENDENCY
    # Hours since a source's raw tables last loaded before Dagster warns, then fails their freshness:
    # the daily schedule loads them every 24 hours, and a run takes a few more.
    freshness_hours: tuple[int, int] = (26, 30)


def load_deployment() -> Deployment:
    """FUNNELHOUSE_SOURCES and FUNNELHOUSE_PUBLICATION (env or .dlt/config.toml), or the defaults:
    every registered source, publication by dependency."""
    import dlt

    publication = dlt.config.get(PUBLICATION_KEY) or BY_DEPENDENCY
    if publication not in PUBLICATIONS:
        raise ValueError(f"FUNNELHOUSE_PUBLICATION must be one of {', '.join(PUBLICATIONS)}")
    hours = []
    for key, default in (("funnelhouse_freshness_warn_hours", 26), ("funnelhouse_freshness_fail_hours", 30)):
        value = dlt.config.get(key) or default
        try:
            hours.append(int(value))
        except ValueError:
            raise ValueError(f"{key.upper()} must be a whole number of hours") from None
    if not 0 < hours[0] <= hours[1]:
        raise ValueError("FUNNELHOUSE_FRESHNESS_WARN_HOURS must be positive and at most FUNNELHOUSE_FRESHNESS_FAIL_HOURS")
    return Deployment(tuple(registry.enabled_sources()), str(publication), (hours[0], hours[1]))


@dataclass(frozen=True)
class Pipeline:
    """The definitions of one deployment, and what the CLI needs to select from them."""

    deployment: Deployment
    project: Project
    definitions: Definitions
    ingest: dict[str, dg.AssetsDefinition]
    downstream: tuple[dg.AssetsDefinition, ...]

    def asset_keys_for(self, sources: Sequence[str]) -> list[AssetKey]:
        """The named sources' raw assets and everything downstream of raw: models, gate, publish."""
        keys = [key for name in sources for key in self.ingest[name].keys]
        return keys + [key for assets_def in self.downstream for key in assets_def.keys]


@cache
def build_pipeline(deployment: Deployment) -> Pipeline:
    specs = [registry.spec(name) for name in deployment.sources]
    proj = project(deployment.sources)
    warn, fail = deployment.freshness_hours
    freshness = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=fail), warn_window=timedelta(hours=warn))
    ingest = {spec.name: build_ingest_assets(spec, freshness) for spec in specs}
    downstream = (build_transform_assets(proj), *build_publish_assets(proj, deployment.publication))
    history_start = date.fromisoformat(HISTORY_START)
    checks = [build_gate(name, history_start) for name in proj.marts]
    monitors = build_monitors(specs, proj)
    # In-process: the multiprocess executor costs ~10 s per step here, and parallel steps would
    # contend for DuckDB's single-writer lock.
    job = define_asset_job(
        JOB_NAME,
        selection=AssetSelection.all(),
        partitions_def=daily_partitions,
        executor_def=in_process_executor,
        description="Ingest the enabled sources for the day (plus the lookback), rebuild the models, run the "
                    "gate, publish what passed.",
    )
    below_raw = [key for assets_def in downstream for key in assets_def.keys]
    file_sensors = [build_file_sensor(spec, job, [*ingest[spec.name].keys, *below_raw])
                    for spec in specs if spec.watch is not None]
    definitions = Definitions(
        assets=[*ingest.values(), *downstream],
        asset_checks=[*checks, *([monitors] if monitors else [])],
        jobs=[job],
        schedules=[build_schedule_from_partitioned_job(job, hour_of_day=6, minute_of_hour=0)],
        sensors=[*build_alert_sensors(job), *file_sensors],
        resources={"warehouse": WarehouseResource(), "ingestion": IngestionResource()},
        executor=in_process_executor,
    )
    return Pipeline(deployment, proj, definitions, ingest, downstream)


def build_definitions(sources: Sequence[str] | None = None, publication: str = BY_DEPENDENCY) -> Definitions:
    """The definitions for these sources (default: every registered source)."""
    names = tuple(registry.source_names() if sources is None else sources)
    return build_pipeline(Deployment(names, publication)).definitions


@dg.definitions
def defs() -> Definitions:
    return build_pipeline(load_deployment()).definitions
