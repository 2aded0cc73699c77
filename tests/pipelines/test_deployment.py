"""docs/deployment.md's dagster.yaml and environment: an instance on PostgreSQL that queues one run at
a time, in which a backfill of the windowed sources' tables records every day in a few events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dagster import AssetPartitionStatus, DagsterInstance

from bench.orchestration import noop_ingest_assets, production_dagster_yaml, production_environment, run_backfill
from bench.scales import TODAY
from pipelines.partitions import daily_partitions

pytestmark = pytest.mark.postgres
DAYS = 10


def test_the_documented_instance_records_a_backfill_in_postgres(postgres_url, tmp_path, monkeypatch):
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text(production_dagster_yaml())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    for key, value in production_environment(postgres_url).items():
        monkeypatch.setenv(key, value)

    instance = DagsterInstance.get()
    assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
    assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
    assert instance.run_monitoring_enabled

    figures = run_backfill(DAYS)
    tables = figures["partitioned_tables"]
    assert tables == sum(len(assets.keys) for assets in noop_ingest_assets()) > 0
    # One planned event per table for the whole range, one materialization per table and day.
    assert figures["planned_events"] == tables
    assert figures["materializations"] == tables * DAYS
    days = [(TODAY - timedelta(days=i)).isoformat() for i in range(1, DAYS + 1)]
    for assets in noop_ingest_assets():
        for key in assets.keys:
            status = instance.get_status_by_partition(key, days, daily_partitions)
            assert set(status.values()) == {AssetPartitionStatus.MATERIALIZED}, (key, status)
    instance.dispose()
