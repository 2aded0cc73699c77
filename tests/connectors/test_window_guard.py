"""The window guard: rows dated outside the window a run asked for are bad data, named, never loaded."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pytest

import sandbox.google_ads as fake_ads
import sandbox.google_analytics as fake_ga4
from connectors.common.errors import RecordError
from connectors.common.window import DateWindow, check_batch
from connectors.google_ads import google_ads_source
from connectors.google_ads.settings import CAMPAIGN_STATS, CUSTOMERS
from connectors.google_analytics import google_analytics_source
from sandbox.google_analytics import PROPERTY_ID as GA4_PROPERTY_ID

WINDOW = DateWindow(date(2026, 1, 10), date(2026, 1, 12))


def stats(*days: date | None) -> pa.Table:
    return pa.table({"customer_id": pa.array(["1"] * len(days), pa.string()),
                     "campaign_id": pa.array([str(100 + i) for i in range(len(days))], pa.string()),
                     "date_day": pa.array(days, pa.date32())})


def test_a_batch_inside_the_window_passes_as_is():
    batch = stats(date(2026, 1, 10), date(2026, 1, 12), None)
    assert check_batch("google_ads", CAMPAIGN_STATS.table, batch, WINDOW) is batch
    assert check_batch("google_ads", CAMPAIGN_STATS.table, stats(), WINDOW).num_rows == 0
    # A table without a date column is not windowed: nothing to check.
    assert check_batch("google_ads", CUSTOMERS.table, batch, WINDOW) is batch


@pytest.mark.parametrize(("day", "position"), [(date(2026, 1, 9), 1), (date(2026, 1, 13), 2)])
def test_a_row_outside_the_window_is_named(day, position):
    days = [date(2026, 1, 11)] * 3
    days[position] = day
    with pytest.raises(RecordError) as info:
        check_batch("google_ads", CAMPAIGN_STATS.table, stats(*days), WINDOW)
    error = info.value
    assert error.source == "google_ads" and error.field == "date_day"
    assert error.record == f"campaign_stats customer_id 1 campaign_id {100 + position}"
    assert f"date {day} lies outside the window 2026-01-10..2026-01-12" in str(error)


def _cause(exc: BaseException) -> RecordError:
    while exc is not None and not isinstance(exc, RecordError):
        exc = exc.__cause__ or exc.__context__
    assert exc is not None, "no RecordError"
    return exc


def test_google_ads_answering_outside_the_chunk_fails_the_run(sandbox_env, monkeypatch, yesterday):
    answered = fake_ads._query_days
    # The fake adds the day before every range it is asked about.
    monkeypatch.setattr(fake_ads, "_query_days", lambda world, query: [
        answered(world, query)[0] - timedelta(days=1), *answered(world, query)])
    start = yesterday - timedelta(days=3)
    with pytest.raises(Exception) as info:
        list(google_ads_source(start_date=start, end_date=yesterday, lookback_days=0, concurrent_requests=1)
             .with_resources("campaign_stats"))
    error = _cause(info.value)
    assert error.field == "date_day" and error.record.startswith("campaign_stats customer_id ")
    assert f"date {start - timedelta(days=1)} lies outside the window {start}..{yesterday}" in str(error)


def test_ga4_answering_outside_the_window_fails_the_run(sandbox_env, monkeypatch, yesterday):
    answered = fake_ga4._date_ranges
    monkeypatch.setattr(fake_ga4, "_date_ranges", lambda items, today: [
        (name, start, end + timedelta(days=1)) for name, start, end in answered(items, today)])
    end = yesterday - timedelta(days=5)
    with pytest.raises(Exception) as info:
        list(google_analytics_source(start_date=end - timedelta(days=1), end_date=end, lookback_days=0))
    error = _cause(info.value)
    assert error.field == "date_day" and error.record.startswith(f"traffic_daily property_id {GA4_PROPERTY_ID} ")
    assert f"date {end + timedelta(days=1)} lies outside the window" in str(error)
