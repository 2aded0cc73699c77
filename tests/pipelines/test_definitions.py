"""The Dagster definitions load, and their shape is the one the docs promise."""

from __future__ import annotations

from dagster import AssetKey

from pipelines.definitions import JOB_NAME, defs
from quality.suites import MART_RULES

EXPECTED_ASSETS = {
    "raw_google_ads/customers", "raw_google_ads/campaign_stats", "raw_google_ads/ad_group_stats",
    "raw_google_analytics/traffic_daily",
    "raw_hubspot/contacts", "raw_hubspot/deals", "raw_hubspot/deal_contacts", "raw_hubspot/quarantine",
    "staging/campaign_key_overrides",
    "staging/stg_google_ads__customers", "staging/stg_google_ads__campaign_stats",
    "staging/stg_google_ads__ad_group_stats", "staging/stg_google_analytics__traffic_daily",
    "staging/stg_hubspot__contacts", "staging/stg_hubspot__deals", "staging/stg_hubspot__deal_contacts",
    "intermediate/int_ad_campaigns_daily", "intermediate/int_web_traffic_daily",
    "intermediate/int_contacts_first_touch", "intermediate/int_deals_attributed",
    *(f"marts_candidate/{name}" for name in MART_RULES),
    *(f"marts/{name}" for name in MART_RULES),
}


def test_asset_keys_are_the_warehouse_relations():
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys == EXPECTED_ASSETS


def test_assets_are_grouped_by_layer():
    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        group = graph.get(key).group_name
        layer = key.path[0]
        expected = {"staging": "staging", "intermediate": "intermediate", "marts": "marts",
                    "marts_candidate": "marts"}.get(layer, "raw")
        assert group == expected, key


def test_ads_and_analytics_are_daily_partitioned_and_crm_is_not():
    graph = defs.resolve_asset_graph()
    assert graph.get(AssetKey(["raw_google_ads", "campaign_stats"])).partitions_def is not None
    assert graph.get(AssetKey(["raw_google_analytics", "traffic_daily"])).partitions_def is not None
    assert graph.get(AssetKey(["raw_hubspot", "contacts"])).partitions_def is None


def test_every_candidate_mart_has_a_blocking_gate_and_publish_is_downstream():
    graph = defs.resolve_asset_graph()
    checks = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key) for key in graph.asset_check_keys
    }
    for name in MART_RULES:
        spec = checks[(f"marts_candidate/{name}", "quality_gate")]
        assert spec.blocking
        published = graph.get(AssetKey(["marts", name]))
        assert AssetKey(["marts_candidate", name]) in published.parent_keys
    for source in ("google_ads", "google_analytics", "hubspot"):
        assert any(n == "source_freshness" and k.startswith("staging/stg_" + source) for k, n in checks)


def test_one_job_for_the_whole_graph_on_a_daily_schedule():
    job = defs.resolve_job_def(JOB_NAME)
    assert job.partitions_def is not None
    schedules = list(defs.schedules or [])
    assert len(schedules) == 1 and schedules[0].job_name == JOB_NAME


def test_loading_definitions_reads_no_configuration(monkeypatch):
    import importlib

    import pipelines.definitions

    for key in ("SOURCES__GOOGLE_ADS__CUSTOMER_IDS", "SOURCES__HUBSPOT__CREDENTIALS__ACCESS_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    module = importlib.reload(pipelines.definitions)
    assert module.defs.resolve_job_def(module.JOB_NAME) is not None
