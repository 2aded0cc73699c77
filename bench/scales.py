"""The benchmark's worlds: three years of history, sized by how many ad groups each campaign has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# A fixed day keeps every scale's world identical from run to run.
TODAY = date(2026, 11, 20)
HISTORY_DAYS = 1095


@dataclass(frozen=True)
class Scale:
    name: str
    ad_group_scale: int
    # What the world serves at this scale in raw `ad_group_stats` tables (Google's 26 ad groups and
    # Meta's 10 ad sets at scale 1, ~96% of their days non-empty; LinkedIn's 5 campaigns and the
    # Meta ads and LinkedIn creatives within them come on top).
    approx_ad_group_rows: int

    @property
    def start(self) -> date:
        return TODAY - timedelta(days=HISTORY_DAYS)

    @property
    def end(self) -> date:
        return TODAY - timedelta(days=1)


SCALES = {
    "small": Scale("small", 4, 150_000),
    "medium": Scale("medium", 35, 1_320_000),
    # About 10M raw rows, the history the targets at large are set for (ad-level tables included).
    "large": Scale("large", 140, 5_300_000),
}
