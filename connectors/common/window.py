"""The date window a run fetches (the requested dates widened by the restatement lookback), and the
check that what a windowed resource yields lies inside it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc

from connectors.common.errors import RecordError
from connectors.common.tables import Table


@dataclass(frozen=True)
class DateWindow:
    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def chunks(self, days: int) -> list[tuple[date, date]]:
        """Consecutive [start, end] ranges of at most `days` days covering the window: one report
        request each, for APIs that cap a request's range or rows."""
        found = []
        start = self.start
        while start <= self.end:
            end = min(self.end, start + timedelta(days=days - 1))
            found.append((start, end))
            start = end + timedelta(days=1)
        return found


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


def check_batch(source: str, table: Table, batch: pa.Table, window: DateWindow) -> pa.Table:
    """The batch as is, once every `table.date_column` value in it is known to lie in the window.

    A windowed resource asked the vendor for `window`; a row dated outside it is bad data (and
    would be merged into a day this run did not replace). One min/max over the column, so cheap
    on every batch; only a failure looks for the offending row, to name it.
    """
    column_name = table.date_column
    if column_name is None or not batch.num_rows:
        return batch
    column = batch.column(column_name)
    bounds = pc.min_max(column)
    first, last = bounds["min"].as_py(), bounds["max"].as_py()
    if first is None or (window.start <= first and last <= window.end):
        return batch
    outside = pc.or_(pc.less(column, pa.scalar(window.start, column.type)),
                     pc.greater(column, pa.scalar(window.end, column.type)))
    row = batch.slice(pc.index(outside, True).as_py(), 1).to_pylist()[0]
    keys = [k for k in table.primary_key if k != column_name] or [n for n in batch.column_names if n != column_name]
    record = " ".join([table.name, *(f"{k} {row[k]}" for k in keys)])
    raise RecordError(source, record, column_name,
                      f"date {row[column_name]} lies outside the window {window.start}..{window.end} this run fetched")
