"""What every domain of the world shares: its settings, its history bounds and its dice.

Every number the world produces is a hash of (settings, ids, date) turned into uniforms, so the
fakes hold no data and tests compute exact expectations from the same functions.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache


@dataclass
class World:
    """Settings that shape the world.

    `ad_group_scale` splits every campaign into that many times more ad groups, for benchmarks:
    rows multiply while campaign totals (and the web traffic and CRM records derived from them)
    stay about the same. `negative_spend` makes yesterday's cost negative for the first campaign of
    each ad platform, for the quality gate to catch. `unreconciled` makes every ad platform's
    campaign-level and finer reports leave out that same campaign yesterday, while its account-level
    totals still count it: a report that lost a row, for reconciliation to catch. `spend_spike`
    makes that campaign's cost yesterday ten times what it would be, for the anomaly monitor.
    `silent_account` makes every ad platform's first account serve nothing yesterday, at every
    level, for the volume monitor. `restated` raises every conversion count of the last seven days
    by half, as a platform restating recent conversions does, for the restatement monitor.
    """

    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    history_days: int = 400
    ad_group_scale: int = 1
    negative_spend: bool = False
    unreconciled: bool = False
    spend_spike: bool = False
    silent_account: bool = False
    restated: bool = False

    @property
    def start(self) -> date:
        return self.today - timedelta(days=self.history_days)

    def in_history(self, day: date) -> bool:
        return self.start <= day < self.today

    def days(self) -> list[date]:
        """Every day of history, oldest first."""
        return [self.start + timedelta(days=i) for i in range(self.history_days)]

    def now(self) -> datetime:
        return datetime.combine(self.today, datetime.min.time(), tzinfo=UTC)


def uniforms(*key: object, n: int = 4) -> tuple[float, ...]:
    """n numbers in [0, 1), a pure function of the key."""
    digest = hashlib.blake2b("|".join(map(str, key)).encode(), digest_size=8 * n).digest()
    return tuple(v / 2**64 for v in struct.unpack(f"<{n}Q", digest))


_WEEKDAY_FACTORS = (1.0, 1.05, 1.08, 1.04, 0.97, 0.78, 0.72)


def weekday_factor(day: date) -> float:
    return _WEEKDAY_FACTORS[day.weekday()]


@dataclass(frozen=True)
class DayKey:
    """What the ad model needs of a day, computed once per day rather than once per ad group."""

    day: date
    iso: str
    hash_suffix: bytes
    weekday_factor: float


@lru_cache(maxsize=8192)
def day_key(day: date) -> DayKey:
    iso = day.isoformat()
    return DayKey(day, iso, iso.encode(), weekday_factor(day))


def utc(day: date, seconds: float) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(seconds=int(seconds))
