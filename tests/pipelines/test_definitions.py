"""The Dagster definitions load for every deployment shape, and their graph is the snapshot's.

`tests/pipelines/snapshots/definitions.txt` is generated: after a deliberate change to the graph,
run `pytest tests/pipelines/test_definitions.py --snapshot-update` and review its diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, Definitions

from connectors import registry
from pipelines.definitions import JOB_NAME, build_definitions, defs
from pipelines.publish import ALL_OR_NOTHING, build_publish_assets
from transforms.contracts import marts

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.txt"


def _source_sets() -> list[tuple[str, ...]]:
    names = tuple(registry.source_names())
    return [names, *((name,) for name in names)]


def describe(definitions: Definitions) -> list[str]:
    """One line per asset (group, partitioned, upstream) and per check (blocking or warning)."""
    graph = definitions.resolve_asset_graph()
    lines = []
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        parents = ",".join(sorted(p.to_user_string() for p in node.parent_keys)) or "-"
        partitioned = "daily" if node.partitions_def is not None else "-"
        lines.append(f"asset {key.to_user_string()} group={node.group_name} partitions={partitioned} deps={parents}")
    for key in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = graph.get_check_spec(key)
        lines.append(f"check {key.asset_key.to_user_string()}:{key.name} {'blocking' if spec.blocking else 'warning'}")
    for sensor in sorted(definitions.sensors or [], key=lambda s: s.name):
        lines.append(f"sensor {sensor.name} default={sensor.default_status.value}")
    return lines


def _snapshot_text() -> str:
    blocks = []
    for sources in _source_sets():
        blocks.append("\n".join([f"# sources: {','.join(sources)}", *describe(build_definitions(sources))]))
    return "\n\n".join(blocks) + "\n"


def test_the_graph_of_every_deployment_shape_matches_the_snapshot(snapshot):
    snapshot(SNAPSHOT, _snapshot_text(), "the asset graph")


def test_assets_are_grouped_by_layer():
    graph = build_definitions().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        expected = {"staging": "staging", "intermediate": "intermediate", "marts": "marts",
                    "marts_candidate": "marts"}.get(key.path[0], "raw")
        assert graph.get(key).group_name == expected, key


def test_windowed_sources_are_daily_partitioned_and_the_others_are_not():
    graph = build_definitions().resolve_asset_graph()
    for spec in registry.specs().values():
        for table in spec.tables:
            node = graph.get(AssetKey([spec.dataset, table.name]))
            assert (node.partitions_def is not None) == spec.windowed, (spec.name, table.name)


def test_each_mart_publishes_behind_its_own_blocking_gate():
    definitions = build_definitions()
    graph = definitions.resolve_asset_graph()
    job = definitions.resolve_job_def(JOB_NAME)
    steps = {node.name for node in job.graph.nodes}
    for name in marts():
        # By name: a mart may also have a non-blocking warnings check, and the keys are a set.
        spec = graph.get_check_spec(next(k for k in graph.asset_check_keys
                                         if k.asset_key == AssetKey(["marts_candidate", name])
                                         and k.name == "quality_gate"))
        assert spec.blocking
        assert AssetKey(["marts_candidate", name]) in graph.get(AssetKey(["marts", name])).parent_keys
        # A step each, so a failed gate holds back only this mart's publication.
        assert {f"gate_{name}", f"publish_{name}"} <= steps


def test_all_or_nothing_publishes_in_one_step_behind_every_gate():
    definitions = build_definitions(publication=ALL_OR_NOTHING)
    graph = definitions.resolve_asset_graph()
    steps = {node.name for node in definitions.resolve_job_def(JOB_NAME).graph.nodes}
    assert "publish_marts" in steps and not any(s.startswith("publish_") and s != "publish_marts" for s in steps)
    candidates = {AssetKey(["marts_candidate", name]) for name in marts()}
    for name in marts():
        assert candidates <= graph.get(AssetKey(["marts", name])).parent_keys


def test_one_job_for_the_whole_graph_on_a_daily_schedule():
    definitions = build_definitions()
    job = definitions.resolve_job_def(JOB_NAME)
    assert job.partitions_def is not None
    schedules = list(definitions.schedules or [])
    assert len(schedules) == 1 and schedules[0].job_name == JOB_NAME


def test_alert_sensors_run_by_default_on_the_warehouse_resource():
    from dagster import DefaultSensorStatus

    every = {s.name: s for s in build_definitions().sensors}
    sensors = {name: s for name, s in every.items() if name.startswith("alerts_")}
    assert set(sensors) == {"alerts_on_failure", "alerts_on_success"}
    # The others watch the file sources' folders.
    assert set(every) - set(sensors) == {f"{spec.name}_new_files" for spec in registry.specs().values()
                                         if spec.watch is not None}
    for sensor in sensors.values():
        assert sensor.sensor_type.value == "RUN_STATUS"
        assert sensor.default_status == DefaultSensorStatus.RUNNING
        assert sensor.required_resource_keys == {"warehouse"}


def test_loading_reads_no_source_setting_makes_no_source_and_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for key in ("SOURCES__GOOGLE_ADS__CUSTOMER_IDS", "SOURCES__HUBSPOT__CREDENTIALS__ACCESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(registry, "build_source", _never_called)
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "hubspot")
    loaded = defs()
    assert loaded.resolve_job_def(JOB_NAME) is not None
    assert {k.path[0] for k in loaded.resolve_asset_graph().get_all_asset_keys()} >= {"raw_hubspot", "marts"}
    assert not any(tmp_path.iterdir())


def _never_called(*args, **kwargs):
    raise AssertionError("building the definitions made a dlt source")


def test_an_unknown_enabled_source_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "google_ads,tiktok_ads")
    with pytest.raises(ValueError, match="FUNNELHOUSE_SOURCES: unknown source.*tiktok_ads"):
        defs()


def test_a_mart_built_from_another_publishes_only_behind_both_gates():
    from transforms.models import CANDIDATE_SCHEMA, Model
    from transforms.project import Project

    def mart(name: str, *reads: str) -> Model:
        path = Path(__file__).parents[2] / "transforms" / "marts" / f"{name}.sql"
        return Model("marts", CANDIDATE_SCHEMA, name, path, "", None, tuple((CANDIDATE_SCHEMA, r) for r in reads))

    # Hypothetically, the KPIs read the campaign mart's candidate rather than the intermediate model.
    project = Project(("google_ads",), (mart("campaign_performance_daily"),
                                        mart("campaign_kpis_daily", "campaign_performance_daily")), ())
    assert project.upstream_marts("campaign_kpis_daily") == ("campaign_performance_daily",)
    assert project.upstream_marts("campaign_performance_daily") == ()
    deps = {a.op.name: {d.asset_key.to_user_string() for spec in a.specs for d in spec.deps}
            for a in build_publish_assets(project)}
    assert deps == {
        "publish_campaign_performance_daily": {"marts_candidate/campaign_performance_daily"},
        "publish_campaign_kpis_daily": {"marts_candidate/campaign_kpis_daily", "marts_candidate/campaign_performance_daily"},
    }


def test_raw_tables_carry_the_freshness_sla_from_config(monkeypatch):
    from pipelines.definitions import build_pipeline, load_deployment

    monkeypatch.setenv("FUNNELHOUSE_FRESHNESS_WARN_HOURS", "20")
    monkeypatch.setenv("FUNNELHOUSE_FRESHNESS_FAIL_HOURS", "48")
    pipeline = build_pipeline(load_deployment())
    for assets_def in pipeline.ingest.values():
        for spec in assets_def.specs:
            policy = spec.freshness_policy
            assert (policy.warn_window.to_timedelta().total_seconds(),
                    policy.fail_window.to_timedelta().total_seconds()) == (20 * 3600, 48 * 3600)
    monkeypatch.setenv("FUNNELHOUSE_FRESHNESS_WARN_HOURS", "50")
    with pytest.raises(ValueError, match="FUNNELHOUSE_FRESHNESS_WARN_HOURS"):
        load_deployment()
