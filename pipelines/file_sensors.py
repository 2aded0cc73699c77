"""Sensors that start a run when files land: one per enabled source that watches a folder
(`SourceSpec.watch`), such as spend files dropped by an agency.

Each tick lists the folder (no file is read) and compares the listing's fingerprint with the one
it last started a run for, kept as the sensor's cursor. A new or changed listing requests a run of
that source's raw tables and everything downstream, for yesterday's partition: the models rebuild
the run's days plus whatever days the files changed (`SourceSpec.changed_days`). The run key is
the listing's fingerprint, so a listing already run for is never run twice, even if the cursor is
lost. A source not configured yet skips with the key to set rather than failing every tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)
from dlt.common.configuration.exceptions import ConfigFieldMissingException

from connectors.common.errors import ConfigurationError
from connectors.common.spec import SourceSpec

# Listing a bucket costs one request; a minute between listings is what a person dropping a file waits.
INTERVAL_SECONDS = 60


def sensor_name(spec: SourceSpec) -> str:
    return f"{spec.name}_new_files"


def build_file_sensor(spec: SourceSpec, job: object, keys: Sequence[AssetKey]) -> SensorDefinition:
    """The sensor of one watching source; its runs build `keys`."""
    watch = spec.watch
    if watch is None:
        raise ValueError(f"source {spec.name} watches no folder")

    @sensor(name=sensor_name(spec), job=job, minimum_interval_seconds=INTERVAL_SECONDS,
            default_status=DefaultSensorStatus.RUNNING,
            description=f"Starts a run of {spec.label} and everything built from it when its files change.")
    def _new_files(context: SensorEvaluationContext) -> RunRequest | SkipReason:
        try:
            fingerprint = watch()
        except (ConfigurationError, ConfigFieldMissingException) as exc:
            return SkipReason(f"{spec.name} is not configured: {str(exc).splitlines()[0]}")
        if fingerprint == context.cursor:
            return SkipReason(f"{spec.name}: no new or changed file")
        context.update_cursor(fingerprint)
        yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        return RunRequest(run_key=f"{spec.name}:{fingerprint}", partition_key=yesterday,
                          asset_selection=list(keys), tags={"funnelhouse/trigger": "files"})

    return _new_files
