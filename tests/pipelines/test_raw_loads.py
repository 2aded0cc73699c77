"""Raw tables loaded the way the ingestion loads them, on both engines: the warehouse's dlt
destination and file format, the connectors' table declarations. A load of nothing (a clean run's
quarantine, a day without data) still creates its tables, and re-reading a window replaces it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
import pyarrow as pa

from connectors import registry
from connectors.common.tables import Table
from connectors.common.window import DateWindow
from connectors.facebook_ads.settings import AD_GROUP_STATS_TABLE
from connectors.facebook_ads.settings import QUARANTINE_TABLE as META_QUARANTINE
from connectors.google_ads.settings import AD_GROUP_STATS
from pipelines.ingest import _checks_follow, first_loads, pipeline_for
from warehouse import Warehouse

GOOGLE_AD_GROUPS = AD_GROUP_STATS.table
# Meta's ad sets as a table that keeps dlt's deduplication (as GA4's and HubSpot's do): the merge
# path where the loader, not the connector, keeps one row per key.
META_AD_SETS = replace(AD_GROUP_STATS_TABLE, unique_per_load=False)
FIRST = date(2026, 11, 1)


def _google(days: range | list[int], ad_groups: range, clicks: int, customer: str = "1") -> pa.Table:
    rows = [{"customer_id": customer, "campaign_id": "10", "ad_group_id": str(g), "ad_group_name": f"group {g}",
             "ad_group_status": "ENABLED", "date_day": FIRST + timedelta(days=d), "impressions": 100,
             "clicks": clicks, "cost_micros": 2_500_000, "spend": Decimal("2.5"), "conversions": 1.0,
             "conversions_value": 3.0} for d in days for g in ad_groups]
    return pa.Table.from_pylist(rows, schema=GOOGLE_AD_GROUPS.arrow_schema())


def _meta(days: range, ad_sets: range, clicks: int, repeat: int = 1) -> pa.Table:
    rows = [{"account_id": "7", "campaign_id": "70", "adset_id": str(s), "adset_name": "", "adset_status": "ACTIVE",
             "date_day": FIRST + timedelta(days=d), "spend": Decimal("1.000001"), "impressions": 10, "clicks": clicks,
             "conversions": Decimal(0), "conversions_value": Decimal(0), "actions": None, "action_values": None}
            for d in days for s in ad_sets] * repeat
    return pa.Table.from_pylist(rows, schema=META_AD_SETS.arrow_schema())


def _load(warehouse: Warehouse, state_dir: Path, source: str, tables: dict[Table, pa.Table],
          window: DateWindow | None = None) -> Any:
    pipeline = pipeline_for(warehouse, source, str(state_dir))
    resources = [dlt.resource([data], **table.resource_hints(window=window)) for table, data in tables.items()]
    info = pipeline.run(resources, loader_file_format=warehouse.dlt_file_format)
    assert not info.has_failed_jobs
    assert not pipeline.list_normalized_load_packages(), "a load package was left pending"
    return info


def _formats(info: Any) -> set[str]:
    return {job.job_file_info.file_format for package in info.load_packages
            for job in package.jobs["completed_jobs"] if not job.job_file_info.table_name.startswith("_dlt")}


def _days(warehouse: Warehouse, relation: str) -> list[tuple]:
    return warehouse.rows(f"SELECT date_day, count(*), sum(clicks) FROM {relation} GROUP BY date_day ORDER BY date_day")


def test_empty_loads_create_their_tables_and_reruns_replace_the_window(warehouse_url: str, tmp_path: Path):
    warehouse = Warehouse(warehouse_url)
    assert GOOGLE_AD_GROUPS.unique_per_load and AD_GROUP_STATS_TABLE.unique_per_load

    # A first run that read nothing: every table exists, empty, and the load completed.
    _load(warehouse, tmp_path, "google_ads", {GOOGLE_AD_GROUPS: GOOGLE_AD_GROUPS.empty()})
    info = _load(warehouse, tmp_path, "facebook_ads",
                 {META_AD_SETS: META_AD_SETS.empty(), META_QUARANTINE: META_QUARANTINE.empty()})
    assert _formats(info) == {warehouse.dlt_file_format, "sql"}
    for relation in ("raw_google_ads.ad_group_stats", "raw_facebook_ads.ad_group_stats", "raw_facebook_ads.quarantine"):
        assert warehouse.scalar(f"SELECT count(*) FROM {relation}") == 0, relation

    # Five days, then the last three re-read with new figures and one ad group (ad set) fewer.
    info = _load(warehouse, tmp_path, "google_ads", {GOOGLE_AD_GROUPS: _google(range(5), range(4), clicks=1)})
    assert _formats(info) == {warehouse.dlt_file_format, "sql"}
    _load(warehouse, tmp_path, "facebook_ads", {META_AD_SETS: _meta(range(5), range(4), clicks=1),
                                                  META_QUARANTINE: META_QUARANTINE.empty()})
    _load(warehouse, tmp_path, "google_ads", {GOOGLE_AD_GROUPS: _google(range(2, 5), range(3), clicks=5)})
    # A vendor repeating a row within one load (paging overlap): the table that keeps dlt's
    # deduplication lands it once.
    _load(warehouse, tmp_path, "facebook_ads", {META_AD_SETS: _meta(range(2, 5), range(3), clicks=5, repeat=2),
                                                  META_QUARANTINE: META_QUARANTINE.empty()})
    expected = [(FIRST + timedelta(days=d), 4, 4) for d in range(2)] + \
               [(FIRST + timedelta(days=d), 3, 15) for d in range(2, 5)]
    assert _days(warehouse, "raw_google_ads.ad_group_stats") == expected
    assert _days(warehouse, "raw_facebook_ads.ad_group_stats") == expected

    # A later run that read nothing leaves every table as it was.
    _load(warehouse, tmp_path, "google_ads", {GOOGLE_AD_GROUPS: GOOGLE_AD_GROUPS.empty()})
    _load(warehouse, tmp_path, "facebook_ads",
          {META_AD_SETS: META_AD_SETS.empty(), META_QUARANTINE: META_QUARANTINE.empty()})
    assert _days(warehouse, "raw_google_ads.ad_group_stats") == expected
    assert _days(warehouse, "raw_facebook_ads.ad_group_stats") == expected
    assert warehouse.scalar("SELECT count(*) FROM raw_facebook_ads.quarantine") == 0
    # Values arrive as the connectors built them: an empty name stays empty, decimals stay exact.
    assert warehouse.rows("SELECT DISTINCT adset_name, spend FROM raw_facebook_ads.ad_group_stats") == \
        [("", Decimal("1.000001"))]
    warehouse.dispose()



def _by_customer(warehouse: Warehouse) -> list[tuple]:
    return warehouse.rows("SELECT customer_id, date_day, count(*), sum(clicks) FROM raw_google_ads.ad_group_stats "
                          "GROUP BY customer_id, date_day ORDER BY customer_id, date_day")


def test_a_window_replaces_its_days_for_the_accounts_it_read(warehouse_url: str, tmp_path: Path):
    """The merge deletes the window's days of the accounts in the load, by the days' range, then
    inserts: a day an account no longer reports loses its rows; other accounts and days stay."""
    warehouse = Warehouse(warehouse_url)
    day = [FIRST + timedelta(days=d) for d in range(6)]
    both = pa.concat_tables([_google(range(6), range(2), clicks=1, customer="1"),
                             _google(range(6), range(2), clicks=1, customer="2")])
    _load(warehouse, tmp_path, "google_ads", {GOOGLE_AD_GROUPS: both}, DateWindow(day[0], day[5]))
    # Days 3 to 5 re-read: customer 1 reports nothing on day 4 any more, customer 2 was not read.
    reread = _google([3, 5], range(2), clicks=5, customer="1")
    for _ in range(2):  # a rerun changes nothing
        _load(warehouse, tmp_path, "google_ads", {GOOGLE_AD_GROUPS: reread}, DateWindow(day[3], day[5]))
        assert _by_customer(warehouse) == (
            [("1", day[d], 2, 2) for d in range(3)] + [("1", day[3], 2, 10), ("1", day[5], 2, 10)]
            + [("2", day[d], 2, 2) for d in range(6)])
    scope = GOOGLE_AD_GROUPS.write_disposition(window=DateWindow(day[3], day[5]))["destination_scope"]
    assert scope == ("date_day >= CAST('2026-11-04' AS DATE) AND date_day <= CAST('2026-11-06' AS DATE) AND "
                     "customer_id IN (SELECT customer_id FROM {staging_table})")
    warehouse.dispose()


class _Source:
    """What `first_loads` reads of a dlt source: its resources by table name."""

    def __init__(self, data: pa.Table) -> None:
        self.resources = {GOOGLE_AD_GROUPS.name: dlt.resource([data], **GOOGLE_AD_GROUPS.resource_hints())}


def test_a_first_load_goes_straight_in_and_reruns_merge(warehouse_url: str, tmp_path: Path):
    warehouse = Warehouse(warehouse_url)
    spec = registry.spec("google_ads")
    pipeline = pipeline_for(warehouse, "google_ads", str(tmp_path))
    first = _Source(_google(range(5), range(4), clicks=1))
    first_loads(warehouse, spec, first, pipeline)
    # No raw table yet: the rows go in without dlt's staging table and delete.
    assert first.resources["ad_group_stats"].write_disposition == "append"
    pipeline.run(list(first.resources.values()), loader_file_format=warehouse.dlt_file_format)
    again = _Source(_google(range(2, 5), range(3), clicks=5))
    first_loads(warehouse, spec, again, pipeline)
    assert again.resources["ad_group_stats"].write_disposition == GOOGLE_AD_GROUPS.write_disposition()
    pipeline.run(list(again.resources.values()), loader_file_format=warehouse.dlt_file_format)
    assert _days(warehouse, "raw_google_ads.ad_group_stats") == \
        [(FIRST + timedelta(days=d), 4, 4) for d in range(2)] + [(FIRST + timedelta(days=d), 3, 15) for d in range(2, 5)]

    warehouse.dispose()


def test_a_run_after_a_crash_merges_what_was_pending(warehouse_url: str, tmp_path: Path):
    """A load left pending by a crash is loaded first by the next run, so that run merges even into a
    warehouse without the table: appended, the pending days would go in twice."""
    warehouse = Warehouse(warehouse_url)
    pipeline = pipeline_for(warehouse, "google_ads", str(tmp_path))
    crashed = _Source(_google(range(2), range(4), clicks=2))
    pipeline.extract(list(crashed.resources.values()), loader_file_format=warehouse.dlt_file_format)
    pipeline.normalize()
    rerun = _Source(_google(range(2), range(4), clicks=2))
    first_loads(warehouse, registry.spec("google_ads"), rerun, pipeline)
    assert rerun.resources["ad_group_stats"].write_disposition == GOOGLE_AD_GROUPS.write_disposition()
    pipeline.run(list(rerun.resources.values()), loader_file_format=warehouse.dlt_file_format)
    assert _days(warehouse, "raw_google_ads.ad_group_stats") == [(FIRST + timedelta(days=d), 4, 8) for d in range(2)]
    warehouse.dispose()


def test_gx_is_preloaded_only_for_runs_that_check_past_the_raw_layer():
    from types import SimpleNamespace

    from dagster import AssetKey

    def run(selection):
        return SimpleNamespace(run=SimpleNamespace(asset_selection=selection))

    assert _checks_follow(run(None))  # the whole job: the schedule's and `funnelhouse run`'s
    assert _checks_follow(run({AssetKey(["raw_google_ads", "ad_group_stats"]),
                               AssetKey(["staging", "stg_google_ads__ad_group_stats"])}))
    assert not _checks_follow(run({AssetKey(["raw_google_ads", "ad_group_stats"]),
                                   AssetKey(["raw_hubspot", "deals"])}))
