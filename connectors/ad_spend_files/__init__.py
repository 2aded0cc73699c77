"""Ad spend from platforms without an API (TikTok, Microsoft Advertising, offline media, an agency's
spreadsheet): CSV and XLSX files dropped in a folder or bucket, into `raw_ad_spend_files`.

The shared file machinery (`connectors.common.files`) lists the folder with dlt's `filesystem`
source, reads each file once by its sha256, maps its columns to the ads contract with the
`mappings` setting, replaces a changed file's rows, and quarantines what it cannot read. Rows name
their platform (a column, or the mapping's default), so one folder can hold many platforms' spend;
staging sums them per campaign and day, and the marts convert them to the reporting currency
beside the API platforms.

Calling the source checks its settings and does no I/O; the folder is listed and read while the
resources are iterated.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dlt
from dlt.extract import DltResource

from connectors.ad_spend_files.settings import CONTRACT, DEFAULT_GLOB, SOURCE, TABLES
from connectors.common.files import OnBadRows, file_resources, parse_mappings, watcher
from connectors.common.files.source import folder_setting, on_bad_rows_setting
from connectors.common.spec import ChangedDays, FreshnessRule, Mode, QuarantineRule, Setting, SourceSpec

__all__ = ["SPEC", "ad_spend_files_source"]


@dlt.source(name=SOURCE, section=SOURCE)
def ad_spend_files_source(
    bucket_url: str | None = None,
    file_glob: str = DEFAULT_GLOB,
    mappings: Any = None,
    on_bad_rows: str = OnBadRows.QUARANTINE_ROWS.value,
) -> Sequence[DltResource]:
    """Spend files of `bucket_url` matching `file_glob`, read with `mappings`, into `raw_ad_spend_files`."""
    return file_resources(CONTRACT, folder_setting(SOURCE, bucket_url), str(file_glob or DEFAULT_GLOB),
                          parse_mappings(SOURCE, CONTRACT, mappings), on_bad_rows_setting(SOURCE, on_bad_rows))


SPEC = SourceSpec(
    name=SOURCE,
    label="Ad spend files",
    domain="ads",
    mode=Mode.FILE,
    source=ad_spend_files_source,
    tables=TABLES,
    settings=(
        Setting("bucket_url", "the folder files are dropped in: a local path or an fsspec URL (s3://bucket/spend, "
                "gs://..., az://..., memory://...); a bucket's credentials resolve as dlt's filesystem source "
                "resolves them", required=True),
        Setting("file_glob", "which files of the folder to read, as a glob below it (`**/*.csv` for subfolders)",
                default=DEFAULT_GLOB),
        Setting("mappings", "the mapping of each kind of file to the ads fields, one TOML table per file pattern "
                "(see *File mappings*; TOML or JSON text in the environment)", required=True),
        Setting("on_bad_rows", "`quarantine_rows`: a file's bad rows are quarantined and its other rows load; "
                "`reject_file`: a file with a bad row loads nothing (its earlier version stays)",
                default=OnBadRows.QUARANTINE_ROWS.value),
    ),
    fake="sandbox.ad_spend_files",
    freshness=FreshnessRule("campaign_stats", "date_day", max_lag_days=7),
    quarantine=QuarantineRule(),
    description="CSV and XLSX spend files of any platform without an API, listed with dlt's `filesystem` source "
                "in a folder or fsspec bucket and mapped to the ads contract by the `mappings` setting (columns, "
                "date formats, decimal comma, thousands separator, delimiter, default platform and currency). Each "
                "file version loads once, known by its sha256 (`raw_ad_spend_files.files`); a changed file "
                "replaces its rows; bad rows and unreadable files are quarantined with file, row, field and reason. "
                "Its platforms join the ads marts beside the API platforms, converted to the reporting currency.",
    needs=("fx",),
    discriminator_in_rows=True,
    watch=watcher(SOURCE, DEFAULT_GLOB),
    changed_days=ChangedDays(),
)
