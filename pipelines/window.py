"""The date window a Dagster run covers, read from the run's partition tags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
PARTITION = "dagster/partition"


@dataclass(frozen=True)
class RunWindow:
    start: date
    end: date


def yesterday() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def run_window(tags: dict[str, Any]) -> RunWindow:
    """A partitioned run's dates; an unpartitioned run (e.g. rebuilding marts) ends yesterday."""
    if tags.get(RANGE_START) and tags.get(RANGE_END):
        return RunWindow(date.fromisoformat(tags[RANGE_START]), date.fromisoformat(tags[RANGE_END]))
    if tags.get(PARTITION):
        day = date.fromisoformat(tags[PARTITION])
        return RunWindow(day, day)
    end = yesterday()
    return RunWindow(end, end)


def partition_tags(start: date, end: date) -> dict[str, str]:
    if start == end:
        return {PARTITION: start.isoformat()}
    return {RANGE_START: start.isoformat(), RANGE_END: end.isoformat()}
