"""Campaign plans (the budget side of plan vs actual): CSV and XLSX plan files dropped in a folder or
bucket, into `raw_campaign_plans`.

Per campaign (its name or campaign key) and month: budget and currency, planned impressions, clicks
and conversions, target CPA and ROAS, owner, start and end, and the PMO phase (initiation, planning,
execution, monitoring, closed; any other value is quarantined). The same file machinery as spend
files (`connectors.common.files`), with one difference: every version of a file is kept, so a plan
revised mid-month keeps its history, and staging gives each row `valid_from` (its version's
modification time) and `valid_to` (the next version's). Plans are whole months of future as much as
past, so a plan load notes no changed days: plan models are rebuilt whole.

Calling the source checks its settings and does no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dlt
from dlt.extract import DltResource

from connectors.campaign_plans.settings import CONTRACT, DEFAULT_GLOB, PMO_PHASES, SOURCE, TABLES
from connectors.common.files import OnBadRows, file_resources, parse_mappings, watcher
from connectors.common.files.source import folder_setting, on_bad_rows_setting
from connectors.common.spec import Mode, QuarantineRule, Setting, SourceSpec

__all__ = ["SPEC", "campaign_plans_source"]


@dlt.source(name=SOURCE, section=SOURCE)
def campaign_plans_source(
    bucket_url: str | None = None,
    file_glob: str = DEFAULT_GLOB,
    mappings: Any = None,
    on_bad_rows: str = OnBadRows.QUARANTINE_ROWS.value,
) -> Sequence[DltResource]:
    """Plan files of `bucket_url` matching `file_glob`, read with `mappings`, into `raw_campaign_plans`."""
    return file_resources(CONTRACT, folder_setting(SOURCE, bucket_url), str(file_glob or DEFAULT_GLOB),
                          parse_mappings(SOURCE, CONTRACT, mappings), on_bad_rows_setting(SOURCE, on_bad_rows))


SPEC = SourceSpec(
    name=SOURCE,
    label="Campaign plans",
    domain="plans",
    mode=Mode.FILE,
    source=campaign_plans_source,
    tables=TABLES,
    settings=(
        Setting("bucket_url", "the folder plan files are dropped in: a local path or an fsspec URL", required=True),
        Setting("file_glob", "which files of the folder to read, as a glob below it", default=DEFAULT_GLOB),
        Setting("mappings", "the mapping of each kind of plan file to the plan fields, one TOML table per file "
                "pattern (see *File mappings*)", required=True),
        Setting("on_bad_rows", "`quarantine_rows` or `reject_file`, as for ad_spend_files",
                default=OnBadRows.QUARANTINE_ROWS.value),
    ),
    fake="sandbox.campaign_plans",
    quarantine=QuarantineRule(),
    description="CSV and XLSX plan files: per campaign (or campaign key) and month, budget and currency, planned "
                "impressions, clicks and conversions, target CPA and ROAS, owner, start, end and PMO phase ("
                f"{', '.join(PMO_PHASES)}). Same file machinery and quarantine as ad_spend_files, but every "
                "version of a file is kept: staging gives each plan row `valid_from`/`valid_to`, so the plan as "
                "it stood on any day is one filter.",
    watch=watcher(SOURCE, DEFAULT_GLOB),
)
