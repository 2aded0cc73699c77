"""How `funnelhouse run` asks Dagster to record a run's daily partitions: a range is planned once per
table, not once per table and day; every day still shows as materialized; the environment is left as
it was found."""

from __future__ import annotations

import os
from datetime import date, timedelta

import pytest
from dagster import AssetPartitionStatus, DagsterEventType, DagsterInstance

from connectors import registry
from pipelines import cli
from pipelines.ingest import raw_key
from pipelines.partitions import daily_partitions
from pipelines.run import BATCH_EVENTS, EVENT_BATCH_SIZE, PLAN_RANGES_AS_ONE, event_settings, recording
from sandbox.server import SandboxServer
from tests.conftest import TODAY


def test_a_range_is_planned_as_one_event_per_table_and_a_single_day_as_dagster_does():
    day = date(2026, 7, 1)
    assert event_settings(day, day + timedelta(days=1)) == {BATCH_EVENTS: EVENT_BATCH_SIZE, PLAN_RANGES_AS_ONE: "true"}
    assert event_settings(day, day) == {BATCH_EVENTS: EVENT_BATCH_SIZE}


def test_recording_keeps_the_operators_settings_and_leaves_nothing_behind(monkeypatch):
    monkeypatch.setenv(BATCH_EVENTS, "50")
    monkeypatch.delenv(PLAN_RANGES_AS_ONE, raising=False)
    with recording({BATCH_EVENTS: "1000", PLAN_RANGES_AS_ONE: "true"}):
        assert os.environ[BATCH_EVENTS] == "50"
        assert os.environ[PLAN_RANGES_AS_ONE] == "true"
    assert os.environ[BATCH_EVENTS] == "50"
    assert PLAN_RANGES_AS_ONE not in os.environ


def test_the_ui_started_by_funnelhouse_dev_records_runs_as_a_deployment_does(monkeypatch, tmp_path):
    """`funnelhouse dev` hands `dagster dev` (and so every run it launches) docs/deployment.md's
    settings, an operator's own value kept."""
    started = {}

    class Child:
        def wait(self, timeout=None):
            return 0

    class Sandbox:
        url = "http://127.0.0.1:1"

        def stop(self):
            started["sandbox_stopped"] = True

    def popen(argv, env, preexec_fn):
        started.update(argv=argv, env=env)
        return Child()

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv(BATCH_EVENTS, "50")
    monkeypatch.delenv(PLAN_RANGES_AS_ONE, raising=False)
    monkeypatch.setattr(cli, "_start_sandbox_env", lambda port: Sandbox())
    monkeypatch.setattr(cli.subprocess, "Popen", popen)
    monkeypatch.setattr(cli.signal, "signal", lambda *args: None)
    assert cli.main(["dev", "--port", "3999"]) == 0
    assert started["argv"][1:3] == ["dev", "-w"] and started["sandbox_stopped"]
    assert started["env"][BATCH_EVENTS] == "50" and started["env"][PLAN_RANGES_AS_ONE] == "true"
    assert PLAN_RANGES_AS_ONE not in os.environ


@pytest.mark.slow
def test_a_cli_range_run_shows_every_day_materialized(project: SandboxServer, monkeypatch, capsys):
    monkeypatch.delenv(BATCH_EVENTS, raising=False)
    monkeypatch.delenv(PLAN_RANGES_AS_ONE, raising=False)
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "google_ads")
    end = TODAY - timedelta(days=1)
    start = end - timedelta(days=9)
    code = cli.main(["run", "--start-date", start.isoformat(), "--end-date", end.isoformat()])
    out = capsys.readouterr().out
    assert code == 0, out
    assert PLAN_RANGES_AS_ONE not in os.environ and BATCH_EVENTS not in os.environ

    instance = DagsterInstance.get()
    run = instance.get_runs(limit=1)[0]
    spec = registry.spec("google_ads")
    keys = {raw_key(spec, table) for table in spec.tables}
    planned = [r.event_log_entry.dagster_event.asset_key for r in
               instance.get_records_for_run(run.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
                                            limit=10_000).records]
    assert sorted(k for k in planned if k in keys) == sorted(keys)
    days = [(start + timedelta(days=i)).isoformat() for i in range(10)]
    for key in keys:
        status = instance.get_status_by_partition(key, days, daily_partitions)
        assert set(status.values()) == {AssetPartitionStatus.MATERIALIZED}, (key, status)
