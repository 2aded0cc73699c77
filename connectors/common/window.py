"""The date window a run fetches: the requested dates widened by the restatement lookback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class DateWindow:
    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


def parse_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def resolve_window(
    start_date: str | date | None,
    end_date: str | date | None,
    lookback_days: int,
    today: date | None = None,
) -> DateWindow:
    """Platforms restate recent conversions, so every run re-reads the last `lookback_days` days.

    The window ends at `end_date` (default: yesterday, the last complete day in UTC) and starts at
    the earlier of `start_date` and `end - lookback_days + 1`.
    """
    if lookback_days < 0:
        raise ValueError("lookback_days must be >= 0")
    today = today or datetime.now(UTC).date()
    end = parse_date(end_date) or today - timedelta(days=1)
    start = parse_date(start_date) or end
    if lookback_days:
        start = min(start, end - timedelta(days=lookback_days - 1))
    if start > end:
        raise ValueError(f"start date {start} is after end date {end}")
    return DateWindow(start, end)
