"""The file sensor: a run when a source's folder listing changes, none while it stays the same, and
a skip naming the key when the source is not configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, RunRequest, SkipReason, build_sensor_context, define_asset_job

from connectors.common.errors import ConfigurationError
from connectors.common.spec import Mode, SourceSpec
from connectors.common.tables import Column, Table
from pipelines.file_sensors import build_file_sensor, sensor_name

KEYS = [AssetKey(["raw_drops", "spend"]), AssetKey(["staging", "stg_drops__campaign_stats"])]


def _spec(watch) -> SourceSpec:
    return SourceSpec(name="drops", label="Drops", domain="ads", mode=Mode.FILE, source=lambda: None,
                      tables=(Table("spend", (Column("file_name", "text", False),), primary_key=("file_name",)),),
                      settings=(), fake="sandbox.none", watch=watch)


def _listing(folder: Path) -> str:
    if not folder.exists():
        raise ConfigurationError("drops", "bucket_url", "is not a folder")
    return "|".join(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in sorted(folder.iterdir()))


def _tick(sensor, cursor: str | None) -> tuple[RunRequest | SkipReason, str | None]:
    context = build_sensor_context(cursor=cursor)
    result = sensor(context)
    return result, context.cursor


def test_a_run_per_new_listing_and_none_while_it_stays(tmp_path: Path):
    folder = tmp_path / "drop"
    folder.mkdir()
    sensor = build_file_sensor(_spec(lambda: _listing(folder)), define_asset_job("j"), KEYS)
    assert sensor.name == sensor_name(_spec(None)) == "drops_new_files"

    (folder / "tiktok.csv").write_text("date,spend\n2026-11-01,1\n")
    first, cursor = _tick(sensor, None)
    assert isinstance(first, RunRequest)
    assert first.asset_selection == KEYS
    assert first.run_key == f"drops:{cursor}"
    assert first.partition_key is not None

    same, same_cursor = _tick(sensor, cursor)
    assert isinstance(same, SkipReason) and same_cursor == cursor

    (folder / "tiktok.csv").write_text("date,spend\n2026-11-01,1.5\n")
    changed, changed_cursor = _tick(sensor, cursor)
    assert isinstance(changed, RunRequest) and changed_cursor != cursor
    assert changed.run_key != first.run_key


def test_an_unconfigured_source_skips_naming_the_key(tmp_path: Path):
    sensor = build_file_sensor(_spec(lambda: _listing(tmp_path / "missing")), define_asset_job("j"), KEYS)
    result, cursor = _tick(sensor, None)
    assert isinstance(result, SkipReason)
    assert "SOURCES__DROPS__BUCKET_URL" in (result.skip_message or "")
    assert cursor is None


def test_a_source_without_a_folder_has_no_sensor():
    with pytest.raises(ValueError, match="watches no folder"):
        build_file_sensor(_spec(None), define_asset_job("j"), KEYS)
