"""The Google Ads connector against the fake over HTTP on 127.0.0.1, checked against the world."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pytest
import requests
from dlt.pipeline.exceptions import PipelineStepFailed

import sandbox.google_ads as fake
from connectors.common import http, progress
from connectors.common.errors import AuthError, ConfigurationError, RecordError
from connectors.google_ads import GoogleAdsCredentials, google_ads_source
from sandbox import google_oauth
from sandbox.world import World, ads
from sandbox.world.core import day_key

SECRETS = (google_oauth.CLIENT_SECRET, google_oauth.REFRESH_TOKEN, fake.DEVELOPER_TOKEN)
STAT_COLUMNS = "impressions, clicks, cost_micros, spend, conversions, conversions_value"


# --- expectations from the world -------------------------------------------------------------------
def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def expected_ad_groups(world: World, start: date, end: date) -> dict[tuple, tuple]:
    rows = {}
    for account in fake.ACCOUNTS:
        for campaign in account.campaigns:
            for index, ad_group_id in enumerate(ads.ad_group_ids(world, campaign), start=1):
                for day in _days(start, end):
                    m = ads.ad_metrics(world, account, campaign, ad_group_id, day)
                    if m is not None:
                        rows[(account.customer_id, ad_group_id, day)] = (
                            campaign.campaign_id, ads.ad_group_name(campaign, index), "ENABLED",
                            m.impressions, m.clicks, m.cost_micros, Decimal(m.cost_micros) / 10**6,
                            m.conversions, m.conversions_value)
    return rows


def expected_ads(world: World, start: date, end: date) -> dict[tuple, tuple]:
    """Each ad's days: its ad group's days split among the ad group's ads, the all-zero parts left out."""
    rows = {}
    for account in fake.ACCOUNTS:
        for campaign in account.campaigns:
            for index, ad_group_id in enumerate(ads.ad_group_ids(world, campaign), start=1):
                for day in _days(start, end):
                    m = ads.ad_metrics(world, account, campaign, ad_group_id, day)
                    if m is None:
                        continue
                    values = (m.impressions, m.clicks, m.cost_micros, m.conversions, m.conversions_value)
                    parts = ads.split_ad_day(values, ad_group_id, day_key(day))
                    for ad_index, (ad_id, part) in enumerate(zip(ads.ad_ids(ad_group_id), parts, strict=True), 1):
                        if part is not None:
                            rows[(account.customer_id, ad_id, day)] = (
                                campaign.campaign_id, ad_group_id, fake.ad_display_name(campaign, index, ad_index),
                                fake.ad_type(campaign), "ENABLED", part[0], part[1], part[2],
                                Decimal(part[2]) / 10**6, part[3], part[4])
    return rows


def expected_campaigns(world: World, start: date, end: date) -> dict[tuple, tuple]:
    sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
    for (customer_id, _, day), row in expected_ad_groups(world, start, end).items():
        acc = sums[(customer_id, row[0], day)]
        for i, value in enumerate((row[3], row[4], row[5], row[7], row[8])):
            acc[i] += value
    campaigns = {cp.campaign_id: cp for a in fake.ACCOUNTS for cp in a.campaigns}
    return {key: (campaigns[key[1]].name, campaigns[key[1]].status, campaigns[key[1]].channel_type,
                  v[0], v[1], v[2], Decimal(v[2]) / 10**6, v[3], v[4]) for key, v in sums.items()}


def _assert_rows_equal(actual: dict, expected: dict) -> None:
    assert actual.keys() == expected.keys()
    for key, want in expected.items():
        got = actual[key]
        assert got[:-2] == want[:-2], key
        assert got[-2:] == pytest.approx(want[-2:], rel=1e-9, abs=1e-9), key


# --- running the connector -------------------------------------------------------------------------
def _pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name="google_ads_test",
                        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        dataset_name="raw_google_ads", pipelines_dir=str(tmp_path / "pl"))


def _load(tmp_path: Path, **settings) -> None:
    _pipeline(tmp_path).run(google_ads_source(**settings))


def _sql(tmp_path: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        return con.sql(query).fetchall()


def _loaded_campaigns(tmp_path: Path) -> dict[tuple, tuple]:
    rows = _sql(tmp_path, "SELECT customer_id, campaign_id, date_day, campaign_name, campaign_status, "
                          f"advertising_channel_type, {STAT_COLUMNS} FROM raw_google_ads.campaign_stats")
    return {r[:3]: r[3:] for r in rows}


def _loaded_ad_groups(tmp_path: Path) -> dict[tuple, tuple]:
    rows = _sql(tmp_path, "SELECT customer_id, ad_group_id, date_day, campaign_id, ad_group_name, "
                          f"ad_group_status, {STAT_COLUMNS} FROM raw_google_ads.ad_group_stats")
    return {r[:3]: r[3:] for r in rows}


def _loaded_ads(tmp_path: Path) -> dict[tuple, tuple]:
    rows = _sql(tmp_path, "SELECT customer_id, ad_id, date_day, campaign_id, ad_group_id, ad_name, ad_type, "
                          f"ad_status, {STAT_COLUMNS} FROM raw_google_ads.ad_stats")
    return {r[:3]: r[3:] for r in rows}


def _campaign_tables(**settings) -> dict[tuple, tuple]:
    """campaign_stats straight from the resource, without a warehouse: for the fault tests."""
    rows = {}
    for table in google_ads_source(**settings).with_resources("campaign_stats"):
        for r in table.to_pylist():
            rows[(r["customer_id"], r["campaign_id"], r["date_day"])] = (
                r["campaign_name"], r["campaign_status"], r["advertising_channel_type"], r["impressions"],
                r["clicks"], r["cost_micros"], r["spend"], r["conversions"], r["conversions_value"])
    return rows


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException:
    seen = exc
    while seen is not None and not isinstance(seen, kind):
        seen = seen.__cause__ or seen.__context__
    assert seen is not None, f"no {kind.__name__} behind {exc!r}"
    return seen


def _stream_calls(sandbox) -> list[tuple[str, str, int]]:
    return [r for r in sandbox.state.requests if r[1].endswith("googleAds:searchStream")]


# --- exact data ------------------------------------------------------------------------------------
def test_loads_exact_rows_for_every_customer_and_currency(sandbox_env, world, tmp_path, yesterday):
    start = yesterday - timedelta(days=9)
    before = progress.snapshot().get("google_ads", 0)
    _load(tmp_path, start_date=start, end_date=yesterday, lookback_days=0, chunk_days=4)

    _assert_rows_equal(_loaded_campaigns(tmp_path), expected_campaigns(world, start, yesterday))
    _assert_rows_equal(_loaded_ad_groups(tmp_path), expected_ad_groups(world, start, yesterday))
    _assert_rows_equal(_loaded_ads(tmp_path), expected_ads(world, start, yesterday))
    customers = _sql(tmp_path, "SELECT customer_id, descriptive_name, currency_code, time_zone "
                               "FROM raw_google_ads.customers ORDER BY 1")
    assert customers == [(a.customer_id, a.name, a.currency_code, a.time_zone) for a in fake.ACCOUNTS]
    assert {row[2] for row in customers} == {"USD", "EUR", "GBP"}

    # Spend stays in each account's own currency, exact to the micro.
    totals = dict(_sql(tmp_path, "SELECT customer_id, sum(spend) FROM raw_google_ads.campaign_stats GROUP BY 1"))
    for account in fake.ACCOUNTS:
        micros = sum(row[5] for key, row in expected_ad_groups(world, start, yesterday).items()
                     if key[0] == account.customer_id)
        assert totals[account.customer_id] == Decimal(micros) / 10**6
    loaded = _sql(tmp_path, "SELECT (SELECT count(*) FROM raw_google_ads.campaign_stats) + "
                            "(SELECT count(*) FROM raw_google_ads.ad_group_stats) + "
                            "(SELECT count(*) FROM raw_google_ads.account_stats) + "
                            "(SELECT count(*) FROM raw_google_ads.ad_stats) + "
                            "(SELECT count(*) FROM raw_google_ads.ads) + 3")[0][0]
    assert progress.snapshot()["google_ads"] - before == loaded


def _resource_rows(resource: str, **settings) -> list[dict]:
    return [r for table in google_ads_source(**settings).with_resources(resource) for r in table.to_pylist()]


def test_ads_split_their_ad_groups_exactly_and_unnamed_ads_stay_unnamed(sandbox_env, world, tmp_path, yesterday):
    start = yesterday - timedelta(days=3)
    _load(tmp_path, start_date=start, end_date=yesterday, lookback_days=0)
    # Each ad group day is the sum of its ads' days, to the micro.
    by_ad_group = _sql(tmp_path, "SELECT customer_id, ad_group_id, date_day, sum(impressions), sum(clicks), "
                                 "sum(cost_micros), sum(spend) FROM raw_google_ads.ad_stats GROUP BY 1, 2, 3")
    ad_groups = _loaded_ad_groups(tmp_path)
    assert {r[:3] for r in by_ad_group} == set(ad_groups)
    for r in by_ad_group:
        assert r[3:] == ad_groups[r[:3]][3:7]
    # Responsive search ads have no name on the wire (ad.name absent): it lands as NULL.
    names = dict(_sql(tmp_path, "SELECT ad_type, count(ad_name) FROM raw_google_ads.ad_stats GROUP BY 1"))
    assert names["RESPONSIVE_SEARCH_AD"] == 0 and names["IMAGE_AD"] > 0


def test_ads_carry_their_final_url_and_suffixes(sandbox_env, world, tmp_path, yesterday):
    _load(tmp_path, start_date=yesterday, end_date=yesterday, lookback_days=0)
    loaded = {r[:2]: r[2:] for r in _sql(
        tmp_path, "SELECT customer_id, ad_id, campaign_id, ad_group_id, ad_name, ad_type, ad_status, final_url, "
                  "tracking_url_template, final_url_suffix, ad_group_final_url_suffix, campaign_final_url_suffix "
                  "FROM raw_google_ads.ads")}
    expected = {}
    for account in fake.ACCOUNTS:
        for campaign in account.campaigns:
            for index, ad_group_id in enumerate(ads.ad_group_ids(world, campaign), start=1):
                for ad_index, ad_id in enumerate(ads.ad_ids(ad_group_id), start=1):
                    urls = fake.final_urls(account, campaign, ad_id, ad_index)
                    expected[(account.customer_id, ad_id)] = (
                        campaign.campaign_id, ad_group_id, fake.ad_display_name(campaign, index, ad_index),
                        fake.ad_type(campaign), "ENABLED", urls[0] if urls else None,
                        fake.tracking_url_template(campaign), fake.ad_url_suffix(campaign, ad_id, ad_index), None,
                        fake.campaign_url_suffix(campaign))
    assert loaded == expected
    # Shopping product ads have no final URL (finalUrls absent); search ads tag by suffix, others in the URL.
    assert any(row[5] is None for row in loaded.values())
    assert any(row[7] is not None for row in loaded.values()) and any(row[9] is not None for row in loaded.values())


def test_ad_stats_read_whole_across_stream_batches(sandbox_env, world, monkeypatch, yesterday):
    monkeypatch.setattr(fake, "STREAM_BATCH_ROWS", 7)
    start = yesterday - timedelta(days=2)
    rows = _resource_rows("ad_stats", start_date=start, end_date=yesterday, lookback_days=0)
    loaded = {(r["customer_id"], r["ad_id"], r["date_day"]): (
        r["campaign_id"], r["ad_group_id"], r["ad_name"], r["ad_type"], r["ad_status"], r["impressions"], r["clicks"],
        r["cost_micros"], r["spend"], r["conversions"], r["conversions_value"]) for r in rows}
    assert len(loaded) == len(rows)
    _assert_rows_equal(loaded, expected_ads(world, start, yesterday))
    # More than one batch per call was read.
    assert len(rows) > 7 * len(fake.ACCOUNTS)


def test_ad_stats_with_unset_metrics_load_as_zero(sandbox_env, world, yesterday):
    sandbox_env.state.faults.push("google_ads", "unset_conversions")
    rows = _resource_rows("ad_stats", start_date=yesterday, end_date=yesterday, lookback_days=0,
                          concurrent_requests=1)
    expected = expected_ads(world, yesterday, yesterday)
    first = fake.ACCOUNTS[0].customer_id
    assert {(r["customer_id"], r["ad_id"], r["date_day"]) for r in rows} == set(expected)
    for r in rows:
        want = expected[(r["customer_id"], r["ad_id"], r["date_day"])]
        # The fault strips conversions from the first call's rows only: the first customer's.
        if r["customer_id"] == first:
            assert (r["conversions"], r["conversions_value"]) == (0.0, 0.0)
        else:
            assert (r["conversions"], r["conversions_value"]) == pytest.approx(want[-2:])
        assert r["cost_micros"] == want[7]


def test_window_is_split_into_chunks_per_customer(sandbox_env, world, tmp_path, yesterday):
    start = yesterday - timedelta(days=9)
    _load(tmp_path, start_date=start, end_date=yesterday, lookback_days=0, chunk_days=3)

    queries = sandbox_env.state.vendor("google_ads").queries
    ids = [a.customer_id for a in fake.ACCOUNTS]
    chunks = [(start, start + timedelta(days=2)), (start + timedelta(days=3), start + timedelta(days=5)),
              (start + timedelta(days=6), start + timedelta(days=8)), (yesterday, yesterday)]
    for resource in ("customer", "campaign", "ad_group", "ad_group_ad"):
        asked = [(cid, q[q.index("WHERE"):]) for cid, q, _ in queries if f" FROM {resource} " in q]
        # Calls overlap (prefetch), so they may reach the server out of order: each exactly once.
        assert sorted(asked) == sorted(
            (cid, f"WHERE segments.date BETWEEN '{lo}' AND '{hi}'") for cid in ids for lo, hi in chunks
        )
    assert {login for _, _, login in queries} == {"9999999999"}
    # One call per customer for customers and for ads, one per customer and chunk for each stats table.
    assert len(_stream_calls(sandbox_env)) == 2 * 3 + 4 * 3 * len(chunks)
    _assert_rows_equal(_loaded_campaigns(tmp_path), expected_campaigns(world, start, yesterday))
    days = _sql(tmp_path, "SELECT count(DISTINCT date_day), min(date_day), max(date_day) "
                          "FROM raw_google_ads.ad_group_stats")
    assert days == [(10, start, yesterday)]


def test_stream_with_several_batches_is_read_whole(sandbox_env, world, monkeypatch, yesterday):
    monkeypatch.setattr(fake, "STREAM_BATCH_ROWS", 5)
    start = yesterday - timedelta(days=6)
    rows = _campaign_tables(start_date=start, end_date=yesterday, lookback_days=0)
    _assert_rows_equal(rows, expected_campaigns(world, start, yesterday))


def test_lookback_widens_the_window(sandbox_env, world, tmp_path, yesterday):
    _load(tmp_path, start_date=yesterday, end_date=yesterday, lookback_days=5)
    start = yesterday - timedelta(days=4)
    assert _sql(tmp_path, "SELECT min(date_day), max(date_day), count(DISTINCT date_day) "
                          "FROM raw_google_ads.campaign_stats") == [(start, yesterday, 5)]
    _assert_rows_equal(_loaded_campaigns(tmp_path), expected_campaigns(world, start, yesterday))


# --- idempotency -----------------------------------------------------------------------------------
def _fingerprint(tmp_path: Path) -> list[tuple]:
    return [_sql(tmp_path, f"SELECT count(*), count(DISTINCT (customer_id, {key}, date_day)), sum(impressions), "
                           f"sum(clicks), sum(cost_micros), sum(spend) FROM raw_google_ads.{table}")[0]
            for table, key in (("campaign_stats", "campaign_id"), ("ad_group_stats", "ad_group_id"),
                               ("account_stats", "'account'"))] + [
        _sql(tmp_path, "SELECT count(*) FROM raw_google_ads.customers")[0]]


def test_rerunning_and_overlapping_windows_leave_no_duplicates(sandbox_env, world, tmp_path, yesterday):
    first = (yesterday - timedelta(days=9), yesterday - timedelta(days=3))
    _load(tmp_path, start_date=first[0], end_date=first[1], lookback_days=0, chunk_days=3)
    once = _fingerprint(tmp_path)
    _load(tmp_path, start_date=first[0], end_date=first[1], lookback_days=0, chunk_days=3)
    assert _fingerprint(tmp_path) == once
    assert all(rows == distinct for rows, distinct, *_ in once[:3]) and once[3] == (3,)

    # An overlapping later run replaces the shared days and adds the new ones.
    _load(tmp_path, start_date=yesterday - timedelta(days=5), end_date=yesterday, lookback_days=0)
    _assert_rows_equal(_loaded_campaigns(tmp_path), expected_campaigns(world, first[0], yesterday))
    _assert_rows_equal(_loaded_ad_groups(tmp_path), expected_ad_groups(world, first[0], yesterday))


def test_restated_day_replaces_the_old_one_and_negative_cost_loads_as_is(sandbox_env, world, tmp_path, yesterday):
    _load(tmp_path, start_date=yesterday, end_date=yesterday, lookback_days=2)
    sandbox_env.state.world = restated = replace(world, negative_spend=True)
    _load(tmp_path, start_date=yesterday, end_date=yesterday, lookback_days=2)

    start = yesterday - timedelta(days=1)
    _assert_rows_equal(_loaded_ad_groups(tmp_path), expected_ad_groups(restated, start, yesterday))
    negative = _sql(tmp_path, "SELECT cost_micros, spend FROM raw_google_ads.ad_group_stats WHERE cost_micros < 0")
    # The world makes every ad group of one campaign negative on one day.
    assert len(negative) == len(ads.ad_group_ids(world, fake.ACCOUNTS[0].campaigns[0]))
    assert all(spend == Decimal(micros) / 10**6 < 0 for micros, spend in negative)


# --- account totals --------------------------------------------------------------------------------
def _loaded_accounts(tmp_path: Path) -> dict[tuple, tuple]:
    rows = _sql(tmp_path, f"SELECT customer_id, date_day, {STAT_COLUMNS} FROM raw_google_ads.account_stats")
    return {r[:2]: r[2:] for r in rows}


def _campaign_sums(tmp_path: Path) -> dict[tuple, tuple]:
    """The loaded campaign rows summed per customer and day, as reconciliation sums them."""
    rows = _sql(tmp_path, "SELECT customer_id, date_day, sum(impressions), sum(clicks), sum(cost_micros), sum(spend), "
                          "sum(conversions), sum(conversions_value) FROM raw_google_ads.campaign_stats GROUP BY 1, 2")
    return {r[:2]: r[2:] for r in rows}


def _account_day(world: World, account: ads.Account, day: date) -> tuple:
    total = ads.account_day(world, account, day)
    assert total is not None
    m = ads.total_metrics(total)
    return m.impressions, m.clicks, m.cost_micros, Decimal(m.cost_micros) / 10**6, m.conversions, m.conversions_value


def test_account_totals_are_each_days_campaign_rows_summed(sandbox_env, world, tmp_path, yesterday):
    start = yesterday - timedelta(days=3)
    _load(tmp_path, start_date=start, end_date=yesterday, lookback_days=0, chunk_days=2)

    # The world's account-level answer is its campaigns' ad group days summed, day by day.
    by_account: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, Decimal(0), 0.0, 0.0])
    for (customer_id, _, day), row in expected_campaigns(world, start, yesterday).items():
        acc = by_account[(customer_id, day)]
        for i, value in enumerate(row[3:]):
            acc[i] += value
    expected = {(a.customer_id, day): _account_day(world, a, day) for a in fake.ACCOUNTS
                for day in _days(start, yesterday)}
    _assert_rows_equal({key: tuple(v) for key, v in by_account.items()}, expected)

    accounts = _loaded_accounts(tmp_path)
    _assert_rows_equal(accounts, expected)
    _assert_rows_equal(_campaign_sums(tmp_path), accounts)
    # One call per customer and chunk, at account level.
    asked = [q for _, q, _ in sandbox_env.state.vendor("google_ads").queries if " FROM customer WHERE " in q]
    assert len(asked) == len(fake.ACCOUNTS) * 2
    assert asked[0].startswith("SELECT segments.date, metrics.impressions, metrics.clicks, metrics.cost_micros, "
                               "metrics.conversions, metrics.conversions_value FROM customer WHERE segments.date ")


def test_unreconciled_world_loses_a_campaign_row_the_account_totals_keep(sandbox_env, world, tmp_path, yesterday):
    sandbox_env.state.world = lossy = replace(world, unreconciled=True)
    start = yesterday - timedelta(days=1)
    _load(tmp_path, start_date=start, end_date=yesterday, lookback_days=0)

    account = fake.ACCOUNTS[0]
    campaign = account.campaigns[0]
    assert ads.omitted(lossy, campaign, yesterday) and not ads.omitted(lossy, campaign, start)
    lost = ads.campaign_day(world, account, campaign, yesterday)
    assert lost is not None
    # The campaign and ad group reports leave out that one campaign day and nothing else.
    expected = expected_campaigns(world, start, yesterday)
    del expected[(account.customer_id, campaign.campaign_id, yesterday)]
    _assert_rows_equal(_loaded_campaigns(tmp_path), expected)
    assert not [key for key, row in _loaded_ad_groups(tmp_path).items()
                if row[0] == campaign.campaign_id and key[2] == yesterday]
    # The account totals still count it: they exceed that day's campaign rows by exactly the lost day.
    accounts, sums = _loaded_accounts(tmp_path), _campaign_sums(tmp_path)
    _assert_rows_equal(accounts, {(a.customer_id, day): _account_day(world, a, day) for a in fake.ACCOUNTS
                                  for day in (start, yesterday)})
    key = (account.customer_id, yesterday)
    m = ads.total_metrics(lost)
    missing = (m.impressions, m.clicks, m.cost_micros, Decimal(m.cost_micros) / 10**6, m.conversions,
               m.conversions_value)
    reconciled = {**accounts, key: tuple(a - b for a, b in zip(accounts[key], missing, strict=True))}
    _assert_rows_equal(sums, reconciled)


# --- faults ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("fault", ["rate_limit", "unavailable", "stream_rate_limit", "expired_token"])
def test_faults_are_retried_and_data_stays_exact(sandbox_env, world, fault, yesterday):
    sandbox_env.state.faults.push("google_ads", fault)
    start = yesterday - timedelta(days=2)
    rows = _campaign_tables(start_date=start, end_date=yesterday, lookback_days=0)

    assert sandbox_env.state.faults.served() == [("google_ads", fault)]
    _assert_rows_equal(rows, expected_campaigns(world, start, yesterday))
    # The log is in order of completion: with calls in flight together, the faulted one need not come first.
    statuses = [status for _, _, status in _stream_calls(sandbox_env)]
    faulted = {"rate_limit": 429, "stream_rate_limit": 429, "unavailable": 503, "expired_token": 401}[fault]
    assert faulted in statuses
    statuses.remove(faulted)
    # Calls already in flight with the expired token fail too; each call succeeds exactly once.
    assert set(statuses) <= {200, 401 if fault == "expired_token" else 200}
    assert statuses.count(200) == 3
    token_calls = [r for r in sandbox_env.state.requests if r[1] == "/token"]
    assert len(token_calls) == (2 if fault == "expired_token" else 1)


def test_retry_delay_from_google_is_honoured(sandbox_env, monkeypatch, yesterday):
    waits: list[float] = []
    monkeypatch.setattr(http, "_default_sleep", waits.append)
    sandbox_env.state.faults.push("google_ads", "rate_limit")
    sandbox_env.state.faults.push("google_ads", "stream_rate_limit")
    _campaign_tables(start_date=yesterday, end_date=yesterday, lookback_days=0)
    assert waits == [0.2, 0.2]


# --- bad records -----------------------------------------------------------------------------------
def test_non_numeric_cost_names_record_and_field(sandbox_env, world, yesterday):
    sandbox_env.state.faults.push("google_ads", "malformed_cost")
    with pytest.raises(Exception) as info:
        # One call at a time, so the fault lands on the first customer's stream.
        _campaign_tables(start_date=yesterday, end_date=yesterday, lookback_days=0, concurrent_requests=1)
    error = _cause(info.value, RecordError)
    campaign = fake.ACCOUNTS[0].campaigns[0]
    assert error.source == "google_ads"
    assert error.record == f"customer {fake.ACCOUNTS[0].customer_id} campaign {campaign.campaign_id} date {yesterday}"
    assert error.field == "metrics.costMicros"


def test_non_numeric_account_cost_names_customer_day_and_field(sandbox_env, yesterday):
    sandbox_env.state.faults.push("google_ads", "malformed_cost")
    source = google_ads_source(start_date=yesterday, end_date=yesterday, lookback_days=0, concurrent_requests=1)
    with pytest.raises(Exception) as info:
        list(source.with_resources("account_stats"))
    error = _cause(info.value, RecordError)
    assert error.record == f"customer {fake.ACCOUNTS[0].customer_id} date {yesterday}"
    assert error.field == "metrics.costMicros" and '"12.5 EUR"' in str(error)


def test_missing_date_names_record_and_field(sandbox_env, yesterday):
    sandbox_env.state.faults.push("google_ads", "missing_date")
    with pytest.raises(Exception) as info:
        _campaign_tables(start_date=yesterday, end_date=yesterday, lookback_days=0)
    error = _cause(info.value, RecordError)
    assert error.field == "segments.date"
    assert error.record.endswith("date (missing)")


def test_unset_metrics_load_as_zero(sandbox_env, world, yesterday):
    sandbox_env.state.faults.push("google_ads", "unset_conversions")
    rows = _campaign_tables(start_date=yesterday, end_date=yesterday, lookback_days=0, concurrent_requests=1)
    expected = expected_campaigns(world, yesterday, yesterday)
    first_customer = fake.ACCOUNTS[0].customer_id
    for key, want in expected.items():
        got = rows[key]
        assert got[:-2] == want[:-2]
        # The fault hit only the first customer's stream; absent metrics are zero, not null.
        assert got[-2:] == ((0.0, 0.0) if key[0] == first_customer else pytest.approx(want[-2:]))


# --- auth and configuration ------------------------------------------------------------------------
def test_invalid_refresh_token_fails_fast_without_leaking(sandbox_env, monkeypatch, tmp_path, yesterday):
    wrong = "1//revoked-refresh-token-do-not-print"
    monkeypatch.setenv("SOURCES__GOOGLE_ADS__CREDENTIALS__REFRESH_TOKEN", wrong)
    started = time.monotonic()
    with pytest.raises(PipelineStepFailed) as info:
        _load(tmp_path, start_date=yesterday, end_date=yesterday, lookback_days=0)
    assert time.monotonic() - started < 5
    error = _cause(info.value, AuthError)
    assert error.source == "google_ads" and "google_ads" in str(error)
    assert "invalid_grant" in str(error)
    for secret in (wrong, *SECRETS):
        assert secret not in str(info.value) and secret not in str(error)
    assert _stream_calls(sandbox_env) == []


def test_invalid_developer_token_is_an_auth_error(sandbox_env, monkeypatch, yesterday):
    wrong = "not-the-developer-token-xyz"
    monkeypatch.setenv("SOURCES__GOOGLE_ADS__CREDENTIALS__DEVELOPER_TOKEN", wrong)
    with pytest.raises(Exception) as info:
        _campaign_tables(start_date=yesterday, end_date=yesterday, lookback_days=0)
    error = _cause(info.value, AuthError)
    assert "DEVELOPER_TOKEN_INVALID" in str(error)
    assert wrong not in str(info.value)


def test_unknown_customer_is_an_auth_error(sandbox_env, yesterday):
    with pytest.raises(Exception) as info:
        _campaign_tables(customer_ids="111-222-3333", start_date=yesterday, end_date=yesterday, lookback_days=0)
    error = _cause(info.value, AuthError)
    assert "PERMISSION_DENIED" in str(error) and "CUSTOMER_NOT_FOUND" in str(error)


def test_missing_customer_ids_is_a_configuration_error(sandbox_env, monkeypatch):
    monkeypatch.delenv("SOURCES__GOOGLE_ADS__CUSTOMER_IDS")
    with pytest.raises(ConfigurationError) as info:
        google_ads_source()
    assert info.value.key == "customer_ids" and "customer_ids" in str(info.value)


@pytest.mark.parametrize(("settings", "key"), [
    ({"customer_ids": "123-456-78x0"}, "customer_ids"),
    ({"login_customer_id": "manager-9"}, "login_customer_id"),
    ({"start_date": "2026-13-40"}, "start_date"),
    ({"start_date": "2026-11-10", "end_date": "2026-11-01", "lookback_days": 0}, "start_date"),
    ({"lookback_days": -1}, "lookback_days"),
    ({"chunk_days": 0}, "chunk_days"),
    ({"credentials": {"developer_token": "", "client_id": "x", "client_secret": "y", "refresh_token": "z"}},
     "credentials.developer_token"),
])
def test_bad_settings_name_the_key_never_the_value(sandbox_env, settings, key):
    with pytest.raises(ConfigurationError) as info:
        google_ads_source(**settings)
    assert info.value.key == key
    for value in settings.values():
        if isinstance(value, str) and value:
            assert value not in str(info.value)


def test_calling_the_source_does_no_io(sandbox):
    source = google_ads_source(
        customer_ids=["123-456-7890", "2345678901"], login_customer_id="999-999-9999",
        base_url=f"{sandbox.url}/v26", token_url=f"{sandbox.url}/token",
        credentials=GoogleAdsCredentials(developer_token="d", client_id="c", client_secret="s", refresh_token="r"),
        start_date="2026-01-01", end_date="2026-01-31")
    assert list(source.resources) == ["customers", "campaign_stats", "ad_group_stats", "account_stats", "ad_stats",
                                      "ads"]
    assert sandbox.state.requests == []
    schema = source.resources["campaign_stats"].compute_table_schema()
    assert schema["write_disposition"] == "merge"
    assert schema["x-merge-strategy"] == "delete-insert"
    assert [n for n, col in schema["columns"].items() if col.get("primary_key")] == [
        "customer_id", "campaign_id", "date_day"]
    assert [n for n, col in schema["columns"].items() if col.get("merge_key")] == ["customer_id", "date_day"]


def test_no_secret_reaches_the_warehouse_logs_or_pipeline_files(sandbox_env, tmp_path, caplog, yesterday):
    caplog.set_level(logging.DEBUG)
    sandbox_env.state.faults.push("google_ads", "expired_token")
    sandbox_env.state.faults.push("google_ads", "rate_limit")
    _load(tmp_path, start_date=yesterday, end_date=yesterday, lookback_days=0)

    texts = [caplog.text]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        tables = con.sql("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        assert len(tables) > 3
        for schema, table in tables:
            texts.append(str(con.sql(f'SELECT * FROM "{schema}"."{table}"').fetchall()))
    texts += [p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "pl").rglob("*") if p.is_file()]
    for secret in SECRETS:
        assert not any(secret in text for text in texts), "a credential leaked"


# --- the fake itself: documented wire format and GAQL variants ----------------------------------------
def _call(sandbox, query: str, method: str = "searchStream", customer_id: str = "1234567890", **extra):
    token = requests.post(f"{sandbox.url}/token", data={
        "grant_type": "refresh_token", "client_id": google_oauth.CLIENT_ID, "client_secret": google_oauth.CLIENT_SECRET,
        "refresh_token": google_oauth.REFRESH_TOKEN}, timeout=5).json()["access_token"]
    return requests.post(f"{sandbox.url}/v26/customers/{customer_id}/googleAds:{method}",
                         json={"query": query, **extra}, timeout=10,
                         headers={"Authorization": f"Bearer {token}", "developer-token": fake.DEVELOPER_TOKEN})


@pytest.mark.parametrize(("query", "code"), [
    ("SELECT campaign.budget_color FROM campaign", "UNRECOGNIZED_FIELD"),
    ("SELECT campaign.id FROM campaigns", "BAD_RESOURCE_TYPE_IN_FROM_CLAUSE"),
    ("SELECT ad_group.id FROM campaign", "PROHIBITED_RESOURCE_TYPE_IN_SELECT_CLAUSE"),
    ("SELECT campaign.id, segments.date FROM campaign", "EXPECTED_FILTERS_ON_DATE_RANGE"),
    ("SELECT campaign.id FROM campaign WHERE segments.date BETWEEN '2026-11-01' AND 'soon'",
     "INVALID_VALUE_WITH_BETWEEN_OPERATOR"),
])
def test_fake_rejects_bad_gaql_with_googles_failure_body(sandbox, query, code):
    response = _call(sandbox, query)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    detail = error["details"][0]
    assert detail["@type"] == "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure"
    assert detail["errors"][0]["errorCode"] == {"queryError": code}


def test_fake_answers_gaql_variants_consistently(sandbox, world, yesterday):
    start = yesterday - timedelta(days=3)
    between = _call(sandbox, "SELECT campaign.id, segments.date, metrics.cost_micros FROM campaign "
                             f"WHERE segments.date BETWEEN '{start}' AND '{yesterday}'").json()
    compared = _call(sandbox, "select campaign.id, segments.date, metrics.cost_micros from campaign "
                              f"where segments.date >= '{start}' and segments.date <= '{yesterday}'").json()
    assert between[0]["results"] == compared[0]["results"]
    assert between[0]["fieldMask"] == "campaign.id,segments.date,metrics.costMicros"
    row = between[0]["results"][0]
    assert set(row) == {"campaign", "segments", "metrics"} and isinstance(row["metrics"]["costMicros"], str)

    total = _call(sandbox, "SELECT customer.currency_code, metrics.cost_micros, metrics.conversions FROM customer "
                           f"WHERE segments.date BETWEEN '{start}' AND '{yesterday}'").json()[0]["results"]
    account = fake.ACCOUNTS[0]
    expected = [r for k, r in expected_ad_groups(world, start, yesterday).items() if k[0] == account.customer_id]
    assert len(total) == 1 and total[0]["customer"]["currencyCode"] == account.currency_code
    assert total[0]["metrics"]["costMicros"] == str(sum(r[5] for r in expected))
    assert total[0]["metrics"]["conversions"] == pytest.approx(sum(r[7] for r in expected))


def test_fake_search_pages_with_tokens(sandbox, monkeypatch, world, yesterday):
    monkeypatch.setattr(fake, "SEARCH_PAGE_ROWS", 4)
    query = "SELECT ad_group.id, segments.date FROM ad_group WHERE segments.date DURING LAST_7_DAYS"
    assert _call(sandbox, query, "search", pageSize=4).json()["error"]["details"][0]["errors"][0][
        "errorCode"] == {"requestError": "PAGE_SIZE_NOT_SUPPORTED"}
    seen, token = [], None
    while True:
        page = _call(sandbox, query, "search", **({"pageToken": token} if token else {})).json()
        seen += page.get("results", [])
        token = page.get("nextPageToken")
        if not token:
            break
    account = fake.ACCOUNTS[0]
    expected = {(k[1], k[2].isoformat()) for k in expected_ad_groups(world, yesterday - timedelta(days=6), yesterday)
                if k[0] == account.customer_id}
    assert {(r["adGroup"]["id"], r["segments"]["date"]) for r in seen} == expected
    assert len(seen) == len(expected) > 4
