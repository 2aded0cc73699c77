"""Spend files end to end on DuckDB and PostgreSQL: the shipped examples loaded through dlt into the
warehouse and staged, the file platforms in the ads marts beside the API platforms with spend in the
reporting currency, and the source's watch following its folder."""

from __future__ import annotations

import shutil
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import dlt
import pytest

from connectors import registry
from connectors.ad_spend_files import ad_spend_files_source
from connectors.common.errors import ConfigurationError
from tests.transforms.fixture import OVERRIDES_CSV
from transforms import runner
from transforms.project import project
from warehouse import Warehouse

EXAMPLES = Path(__file__).parents[2] / "examples" / "ad_spend_files"


@pytest.fixture(scope="module")
def loaded(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The example files loaded into the warehouse by dlt, and the spend source's models built."""
    folder = tmp_path_factory.mktemp("drop")
    for name in ("tiktok_ads_2026-11.csv", "microsoft_ads_2026-11.csv"):
        shutil.copy(EXAMPLES / name, folder / name)
    warehouse = Warehouse(module_warehouse_url)
    pipeline = dlt.pipeline(pipeline_name="ad_spend_files_test", destination=warehouse.dlt_destination(),
                            dataset_name="raw_ad_spend_files", pipelines_dir=str(tmp_path_factory.mktemp("dlt")))
    pipeline.run(ad_spend_files_source(bucket_url=str(folder), mappings=str(EXAMPLES / "mappings.toml")),
                 loader_file_format=warehouse.dlt_file_format)
    overrides = folder.parent / "overrides.csv"
    overrides.write_text(OVERRIDES_CSV)
    runner.load_seed(warehouse, "campaign_key_overrides", overrides)
    for model in project(("ad_spend_files",)).models:
        runner.build(warehouse, model, {"reporting_currency": "USD"})
    return warehouse


def test_examples_load_and_stage_per_platform_account_campaign_and_day(loaded: Warehouse):
    rows = loaded.rows("SELECT platform, account_id, campaign_id, date_day, spend, impressions, clicks "
                       "FROM staging.stg_ad_spend_files__campaign_stats WHERE campaign_id IN ('1780000001', "
                       "'411000002') ORDER BY platform, date_day")
    assert rows == [
        ("microsoft_ads", "B0123456", "411000002", date(2026, 11, 1), Decimal("310.400000"), 4200, 95),
        # The 2nd's row (spend 12,3x) is quarantined: the campaign has no row that day.
        ("microsoft_ads", "B0123456", "411000002", date(2026, 11, 3), Decimal("298.900000"), 4150, 92),
        ("tiktok_ads", "7301000001", "1780000001", date(2026, 11, 1), Decimal("120.500000"), 10000, 250),
        ("tiktok_ads", "7301000001", "1780000001", date(2026, 11, 2), Decimal("135.000000"), 11000, 270),
        ("tiktok_ads", "7301000001", "1780000001", date(2026, 11, 3), Decimal("140.000000"), 11500, 281),
    ]
    assert loaded.rows("SELECT platform, account_id, account_name, currency_code, time_zone "
                       "FROM staging.stg_ad_spend_files__accounts ORDER BY platform") == [
        ("microsoft_ads", "B0123456", "Acme Microsoft", "EUR", "Europe/Berlin"),
        ("tiktok_ads", "7301000001", "Acme TikTok", "USD", "UTC"),
    ]
    assert loaded.rows("SELECT platform, sum(spend) FROM marts_candidate.campaign_performance_daily "
                       "GROUP BY platform ORDER BY platform") == [
        ("microsoft_ads", Decimal("4328.960000")), ("tiktok_ads", Decimal("640.000000"))]


def test_watch_follows_the_folder_and_names_the_key_when_unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    watch = registry.spec("ad_spend_files").watch
    assert watch is not None
    monkeypatch.delenv("SOURCES__AD_SPEND_FILES__BUCKET_URL", raising=False)
    with pytest.raises(ConfigurationError, match="SOURCES__AD_SPEND_FILES__BUCKET_URL"):
        watch()
    monkeypatch.setenv("SOURCES__AD_SPEND_FILES__BUCKET_URL", str(tmp_path))
    empty = watch()
    assert watch() == empty
    (tmp_path / "tiktok_ads.csv").write_text("Date\n")
    added = watch()
    assert added != empty
    time.sleep(0.01)
    (tmp_path / "tiktok_ads.csv").write_text("Date,Cost\n")
    assert watch() != added
