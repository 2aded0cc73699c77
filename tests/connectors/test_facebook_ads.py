"""The Meta Ads connector against its fake over HTTP on 127.0.0.1, checked against the world.

One sandbox serves the module; each test starts from a clean fault queue, request log and world.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

import sandbox.facebook_ads as fake
from connectors.common import http, progress
from connectors.common.errors import AuthError, ConfigurationError, RecordError, VendorError
from connectors.facebook_ads import FacebookAdsCredentials, facebook_ads_source
from connectors.facebook_ads.helpers import without_token
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World, ads
from sandbox.world.core import day_key
from tests.conftest import TODAY, point_sources_at

VENDOR = "facebook_ads"
WORLD = World(today=TODAY, history_days=400)
# A window months in the past: nothing there moves any more.
START, END = date(2026, 7, 1), date(2026, 7, 10)
STATS = "spend, impressions, clicks, conversions, conversions_value"
ACCOUNT_IDS = [a.customer_id for a in fake.ACCOUNTS]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(world=replace(WORLD), faults=Faults(), sources=[VENDOR]) as running:
        yield running


@pytest.fixture
def fb(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """The module's sandbox, its faults, logs and world as new, and the source pointed at it."""
    server.state.faults.clear()
    with server.state.lock:
        server.state.requests.clear()
    server.state.world = replace(WORLD)
    state = server.state.vendor(VENDOR)
    state.reports.clear()
    return point_sources_at(server, monkeypatch)


# --- expectations from the world -------------------------------------------------------------------
def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _money(values: tuple) -> tuple:
    impressions, clicks, cost_micros, conversions, conversions_value = values
    return (Decimal(cost_micros) / 10**6, impressions, clicks, Decimal(round(conversions * 100)) / 100,
            Decimal(round(conversions_value * 100)) / 100)


def expected(world: World, start: date, end: date) -> dict[str, dict[tuple, tuple]]:
    """Rows per raw table: key (account, object id, day) -> (ids and names..., status, spend, impressions,
    clicks, conversions, conversions_value)."""
    keys = [day_key(d) for d in _days(start, end)]
    campaigns: dict[tuple, list] = {}
    adsets, ads_ = {}, {}
    for account in fake.ACCOUNTS:
        for campaign in account.campaigns:
            for index, adset_id in enumerate(ads.ad_group_ids(world, campaign), start=1):
                adset_name = ads.ad_group_name(campaign, index)
                for key, values in ads.ad_group_days(world, account, campaign, adset_id, keys):
                    adsets[(account.customer_id, adset_id, key.day)] = (
                        campaign.campaign_id, adset_name, "ACTIVE", *_money(values))
                    total = campaigns.setdefault((account.customer_id, campaign.campaign_id, key.day), [0] * 5)
                    cents = (values[0], values[1], values[2], round(values[3] * 100), round(values[4] * 100))
                    for i, value in enumerate(cents):
                        total[i] += value
                    for ad_index, (ad_id, part) in enumerate(
                            zip(ads.ad_ids(adset_id), ads.split_ad_day(values, adset_id, key), strict=True), start=1):
                        if part is not None:
                            ads_[(account.customer_id, ad_id, key.day)] = (
                                campaign.campaign_id, adset_id, ads.ad_name(adset_name, ad_index), "ACTIVE",
                                *_money(part))
    names = {c.campaign_id: c.name for a in fake.ACCOUNTS for c in a.campaigns}
    return {
        "campaign_stats": {k: (names[k[1]], "ACTIVE", Decimal(v[2]) / 10**6, v[0], v[1], Decimal(v[3]) / 100,
                               Decimal(v[4]) / 100) for k, v in campaigns.items()},
        "ad_group_stats": adsets,
        "ad_stats": ads_,
    }


def expected_accounts(world: World, start: date, end: date) -> dict[tuple, tuple]:
    """account_stats rows: (account, day) -> (spend, impressions, clicks, conversions, conversions_value),
    the account's own total over every campaign (`ads.account_day`)."""
    rows = {}
    for account in fake.ACCOUNTS:
        for day in _days(start, end):
            total = ads.account_day(world, account, day)
            if total is not None:
                impressions, clicks, cost_micros, conversion_cents, value_cents = total
                rows[(account.customer_id, day)] = (Decimal(cost_micros) / 10**6, impressions, clicks,
                                                    Decimal(conversion_cents) / 100, Decimal(value_cents) / 100)
    return rows


def campaign_sums(campaign_rows: dict[tuple, tuple]) -> dict[tuple, tuple]:
    """Campaign rows (as `expected` keys and values them) summed per account and day."""
    sums: dict[tuple, list] = {}
    for (account_id, _, day), values in campaign_rows.items():
        total = sums.setdefault((account_id, day), [0] * 5)
        for i, value in enumerate(values[2:]):
            total[i] += value
    return {k: tuple(v) for k, v in sums.items()}


# --- running the connector -------------------------------------------------------------------------
QUERIES = {
    "campaign_stats": f"SELECT account_id, campaign_id, date_day, campaign_name, campaign_status, {STATS} "
                      "FROM raw_facebook_ads.campaign_stats",
    "ad_group_stats": f"SELECT account_id, adset_id, date_day, campaign_id, adset_name, adset_status, {STATS} "
                      "FROM raw_facebook_ads.ad_group_stats",
    "ad_stats": f"SELECT account_id, ad_id, date_day, campaign_id, adset_id, ad_name, ad_status, {STATS} "
                "FROM raw_facebook_ads.ad_stats",
}


def _pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name="facebook_ads_test", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        dataset_name="raw_facebook_ads", pipelines_dir=str(tmp_path / "pl"))


def _load(tmp_path: Path, *resources: str, **settings) -> None:
    source = facebook_ads_source(**{"lookback_days": 0, **settings})
    _pipeline(tmp_path).run(source.with_resources(*resources) if resources else source)


def _sql(tmp_path: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        return con.sql(query).fetchall()


def _loaded(tmp_path: Path, table: str) -> dict[tuple, tuple]:
    return {r[:3]: r[3:] for r in _sql(tmp_path, QUERIES[table])}


def _loaded_accounts(tmp_path: Path) -> dict[tuple, tuple]:
    return {r[:2]: r[2:] for r in _sql(tmp_path, f"SELECT account_id, date_day, {STATS} "
                                                 "FROM raw_facebook_ads.account_stats")}


def _loaded_campaign_sums(tmp_path: Path) -> dict[tuple, tuple]:
    sums = ", ".join(f"sum({c.strip()})" for c in STATS.split(","))
    return {r[:2]: r[2:] for r in _sql(tmp_path, f"SELECT account_id, date_day, {sums} "
                                                 "FROM raw_facebook_ads.campaign_stats GROUP BY 1, 2")}


def _rows(table: str, **settings) -> dict[tuple, tuple]:
    """One stats table straight from its resource, without a warehouse: for the fault tests."""
    level_id = {"campaign_stats": "campaign_id", "ad_group_stats": "adset_id", "ad_stats": "ad_id"}[table]
    rows = {}
    for batch in facebook_ads_source(**{"lookback_days": 0, **settings}).with_resources(table):
        for r in batch.to_pylist():
            rows[(r["account_id"], r[level_id], r["date_day"])] = r
    return rows


def _campaign_rows(**settings) -> dict[tuple, tuple]:
    return {k: (r["campaign_name"], r["campaign_status"], r["spend"], r["impressions"], r["clicks"],
                r["conversions"], r["conversions_value"]) for k, r in _rows("campaign_stats", **settings).items()}


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException:
    seen = exc
    while seen is not None and not isinstance(seen, kind):
        seen = seen.__cause__ or seen.__context__
    assert seen is not None, f"no {kind.__name__} behind {exc!r}"
    return seen


def _insights_calls(server: SandboxServer) -> list[tuple[str, str, int]]:
    return [r for r in server.state.requests if r[1].endswith("/insights")]


# --- ads and their creatives' links ---------------------------------------------------------------
def expected_ads(world: World) -> dict[tuple, tuple]:
    rows = {}
    for account in fake.ACCOUNTS:
        for campaign in account.campaigns:
            for index, adset_id in enumerate(ads.ad_group_ids(world, campaign), start=1):
                for ad_index, ad_id in enumerate(ads.ad_ids(adset_id), start=1):
                    name = ads.ad_name(ads.ad_group_name(campaign, index), ad_index)
                    rows[(account.customer_id, ad_id)] = (
                        name, campaign.campaign_id, adset_id, "ACTIVE", f"7{ad_id}",
                        fake.landing_page(account, campaign), fake.url_tags(campaign, ad_id))
    return rows


def test_ads_carry_their_creatives_link_across_pages(fb, tmp_path):
    _load(tmp_path, "ads", start_date=START, end_date=START, page_size=3)
    loaded = {r[:2]: r[2:] for r in _sql(tmp_path, "SELECT account_id, ad_id, ad_name, campaign_id, adset_id, "
                                                   "ad_status, creative_id, link, url_tags FROM raw_facebook_ads.ads")}
    want = expected_ads(fb.state.world)
    # Every ad's link: a link ad's link_data.link and a video ad's call to action link alike.
    assert loaded == want
    # The edge read page by page, three ads a page.
    calls = [path for _, path, _ in fb.state.requests if path.endswith("/ads")]
    assert len(calls) == sum(-(-sum(1 for k in want if k[0] == a) // 3) for a in ACCOUNT_IDS)


def test_an_ad_without_a_link_loads_with_none_and_a_bad_one_names_the_ad():
    from connectors.facebook_ads.helpers import ads_table

    post = {"id": "5", "name": "Boosted post", "effective_status": "ACTIVE",
            "creative": {"id": "9", "object_story_id": "110_220"}}
    table = ads_table("101", [post])
    assert table.to_pylist() == [{"account_id": "101", "ad_id": "5", "ad_name": "Boosted post", "campaign_id": None,
                                  "adset_id": None, "ad_status": "ACTIVE", "creative_id": "9", "link": None,
                                  "url_tags": None}]
    template = {"id": "6", "creative": {"id": "9", "object_story_spec": {"template_data": {"link": "https://x.example/p"}}}}
    assert ads_table("101", [template]).column("link").to_pylist() == ["https://x.example/p"]
    with pytest.raises(RecordError) as info:
        ads_table("101", [{"id": "7", "creative": {"object_story_spec": {"link_data": {"link": 12}}}}])
    assert info.value.field == "creative.object_story_spec" and "ad 7" in info.value.record


# --- exact data ------------------------------------------------------------------------------------
def test_loads_exact_rows_for_a_window_months_in_the_past(fb, tmp_path):
    before = progress.snapshot().get(VENDOR, 0)
    _load(tmp_path, start_date=START, end_date=END)

    want = expected(fb.state.world, START, END)
    for table, rows in want.items():
        assert rows and _loaded(tmp_path, table) == rows, table
    accounts = _sql(tmp_path, "SELECT account_id, name, currency, timezone_name, account_status "
                              "FROM raw_facebook_ads.accounts ORDER BY 1")
    assert accounts == [(a.customer_id, a.name, a.currency_code, a.time_zone, 1) for a in fake.ACCOUNTS]
    assert _sql(tmp_path, "SELECT count(*) FROM raw_facebook_ads.quarantine") == [(0,)]
    # Each level adds up to the same account totals, in the account's own currency.
    totals = [dict((r[0], r[1:]) for r in _sql(
        tmp_path, f"SELECT account_id, {STATS} FROM raw_facebook_ads.{t} GROUP BY 1".replace(
            STATS, ", ".join(f"sum({c.strip()})" for c in STATS.split(","))))) for t in want]
    assert totals[0] == totals[1] == totals[2] and set(totals[0]) == set(ACCOUNT_IDS)
    # The account level's own daily totals, read through report runs like the others.
    accounts_by_day = expected_accounts(fb.state.world, START, END)
    assert _loaded_accounts(tmp_path) == accounts_by_day and len(accounts_by_day) == 10 * len(ACCOUNT_IDS)
    ad_count = _sql(tmp_path, "SELECT count(*) FROM raw_facebook_ads.ads")[0][0]
    loaded = sum(len(rows) for rows in want.values()) + len(accounts_by_day) + len(fake.ACCOUNTS) + ad_count
    assert progress.snapshot()[VENDOR] - before == loaded
    # Ten days is a long range: every report ran asynchronously, once per account and level.
    reports = fb.state.vendor(VENDOR).reports
    assert sorted(reports) == sorted((a, level, START, END, "async") for a in ACCOUNT_IDS
                                     for level in ("account", "campaign", "adset", "ad"))


def test_conversions_count_each_lead_and_purchase_once(fb, tmp_path):
    _load(tmp_path, "campaign_stats", start_date=START, end_date=START + timedelta(days=2))
    rows = _sql(tmp_path, "SELECT conversions, conversions_value, actions, action_values "
                          "FROM raw_facebook_ads.campaign_stats")
    doubled = 0
    for conversions, value, actions, action_values in rows:
        by_type = {a["action_type"]: Decimal(a["value"]) for a in json.loads(actions or "[]")}
        # The fake reports every conversion under the pixel's type and the deduplicated ones too.
        assert by_type.get("offsite_conversion.fb_pixel_purchase") == by_type.get("omni_purchase")
        assert by_type.get("offsite_conversion.fb_pixel_lead") == by_type.get("lead")
        assert conversions == by_type.get("omni_purchase", 0) + by_type.get("lead", 0)
        doubled += sum(v for t, v in by_type.items() if "purchase" in t or "lead" in t) != conversions
        values = {a["action_type"]: Decimal(a["value"]) for a in json.loads(action_values or "[]")}
        assert value == values.get("omni_purchase", 0)
    assert doubled == len(rows) > 0

    # Another set of action types is counted as configured: purchases alone.
    purchases = _campaign_rows(start_date=START, end_date=START + timedelta(days=2), conversion_action_types="purchase")
    everything = _campaign_rows(start_date=START, end_date=START + timedelta(days=2))
    assert all(purchases[k][5] < everything[k][5] for k in everything if everything[k][5])
    assert all(purchases[k][6] == everything[k][6] for k in everything)


def test_a_short_range_is_read_directly_and_pages_follow_paging_next(fb, tmp_path):
    start = START + timedelta(days=3)
    _load(tmp_path, start_date=start, end_date=start + timedelta(days=2), page_size=4)
    want = expected(fb.state.world, start, start + timedelta(days=2))
    for table, rows in want.items():
        assert _loaded(tmp_path, table) == rows, table
    want["account_stats"] = expected_accounts(fb.state.world, start, start + timedelta(days=2))
    assert _loaded_accounts(tmp_path) == want["account_stats"]
    reports = fb.state.vendor(VENDOR).reports
    assert {mode for *_, mode in reports} == {"sync"} and len(reports) == 8
    # Four rows a page, each page the link of the one before: ceil(rows / 4) calls per report.
    pages = _insights_calls(fb)
    assert len(pages) == sum(-(-len([k for k in rows if k[0] == a]) // 4) for rows in want.values()
                             for a in ACCOUNT_IDS)
    assert all(status == 200 for *_, status in pages)


def test_pages_that_repeat_a_row_still_load_one_row_per_key(fb, tmp_path, monkeypatch):
    """A live report that moves between pages serves a row twice; the stats tables skip dlt's
    deduplication (unique per load), so the connector itself keeps one row per key."""
    served = fake._page

    def overlapping(req, items, params, *args, **kwargs):
        # Each page after the first starts one row early: the last row of the page before, again.
        offset = fake._offset(params.get("after"))
        if offset:
            params = {**params, "after": fake._cursor(offset - 1)}
        return served(req, items, params, *args, **kwargs)

    monkeypatch.setattr(fake, "_page", overlapping)
    start = START + timedelta(days=3)
    _load(tmp_path, start_date=start, end_date=start + timedelta(days=2), page_size=4)
    want = expected(fb.state.world, start, start + timedelta(days=2))
    for table, rows in want.items():
        assert _loaded(tmp_path, table) == rows, table
        assert _sql(tmp_path, f"SELECT count(*) FROM raw_facebook_ads.{table}") == [(len(rows),)], table
    assert {mode for *_, mode in fb.state.vendor(VENDOR).reports} == {"sync"}


# --- account totals, for reconciliation ------------------------------------------------------------
def test_each_account_day_is_the_sum_of_its_campaign_rows(fb, tmp_path):
    end = START + timedelta(days=2)
    _load(tmp_path, "account_stats", "campaign_stats", start_date=START, end_date=end)

    # By hand from the world: the account's own total, and its campaigns' rows (summed from their
    # ad set days) added up per account and day, are the same numbers.
    totals = expected_accounts(fb.state.world, START, end)
    assert totals == campaign_sums(expected(fb.state.world, START, end)["campaign_stats"])
    assert set(totals) == {(a, d) for a in ACCOUNT_IDS for d in _days(START, end)}
    # And the connector loads them so: spend, impressions, clicks, conversions and their value.
    assert _loaded_accounts(tmp_path) == totals == _loaded_campaign_sums(tmp_path)
    # Conversions parse as at campaign level: lead plus omni_purchase, never the pixel's copies too.
    for account_id, day, conversions, actions in _sql(
            tmp_path, "SELECT account_id, date_day, conversions, actions FROM raw_facebook_ads.account_stats"):
        by_type = {a["action_type"]: Decimal(a["value"]) for a in json.loads(actions or "[]")}
        assert conversions == by_type.get("lead", 0) + by_type.get("omni_purchase", 0) == totals[(account_id, day)][3]
    # The account level asks for no object ids, and its report reads no object edge.
    edges = [path for _, path, _ in fb.state.requests if not path.endswith("/insights")]
    assert sorted(edges) == [f"/v26.0/act_{a}/campaigns" for a in ACCOUNT_IDS]


def test_a_campaign_day_the_campaign_report_lost_still_counts_in_the_account_total(fb, tmp_path):
    yesterday = TODAY - timedelta(days=1)
    lost_account, lost = fake.ACCOUNTS[0], fake.ACCOUNTS[0].campaigns[0]
    levels = ("account_stats", "campaign_stats", "ad_group_stats", "ad_stats")
    _load(tmp_path, *levels, start_date=yesterday, end_date=yesterday)
    assert _loaded_accounts(tmp_path) == _loaded_campaign_sums(tmp_path)

    # The same day again from a world whose campaign and finer reports leave that campaign out.
    fb.state.world = unreconciled = replace(WORLD, unreconciled=True)
    assert ads.omitted(unreconciled, lost, yesterday)
    _load(tmp_path, *levels, start_date=yesterday, end_date=yesterday)

    campaigns = _loaded(tmp_path, "campaign_stats")
    assert (lost_account.customer_id, lost.campaign_id, yesterday) not in campaigns
    assert {k[1] for k in campaigns} == {c.campaign_id for a in fake.ACCOUNTS for c in a.campaigns} - {lost.campaign_id}
    assert not any(v[0] == lost.campaign_id for v in _loaded(tmp_path, "ad_group_stats").values())
    assert not any(v[0] == lost.campaign_id for v in _loaded(tmp_path, "ad_stats").values())
    # The account totals still count it: exactly its campaign day more than the campaign rows hold.
    accounts, sums = _loaded_accounts(tmp_path), _loaded_campaign_sums(tmp_path)
    assert accounts == expected_accounts(unreconciled, yesterday, yesterday)
    impressions, clicks, cost_micros, conversion_cents, value_cents = ads.campaign_day(
        unreconciled, lost_account, lost, yesterday)
    gap = (Decimal(cost_micros) / 10**6, impressions, clicks, Decimal(conversion_cents) / 100,
           Decimal(value_cents) / 100)
    key = (lost_account.customer_id, yesterday)
    assert impressions > 0 and tuple(a - b for a, b in zip(accounts[key], sums[key], strict=True)) == gap
    other = (fake.ACCOUNTS[1].customer_id, yesterday)
    assert accounts[other] == sums[other]


def test_async_report_runs_are_polled_until_complete(fb, tmp_path, monkeypatch):
    monkeypatch.setattr(fake, "POLLS_UNTIL_DONE", 4)
    rows = _campaign_rows(start_date=START, end_date=END, async_from_days=1, concurrent_requests=1)
    want = expected(fb.state.world, START, END)["campaign_stats"]
    assert rows == want
    runs = fb.state.vendor(VENDOR).runs
    polled = [r for r in fb.state.requests if r[0] == "GET" and r[1].rsplit("/", 1)[-1] in runs]
    assert len(polled) == 4 * len(ACCOUNT_IDS)
    assert [r[:2] for r in fb.state.requests if r[0] == "POST"] == [
        ("POST", f"/v26.0/act_{a}/insights") for a in ACCOUNT_IDS]


def test_chunks_split_a_long_window_per_account(fb, tmp_path):
    end = START + timedelta(days=44)
    rows = _campaign_rows(start_date=START, end_date=end, chunk_days=20)
    assert rows == expected(fb.state.world, START, end)["campaign_stats"]
    chunks = [(START, START + timedelta(days=19)), (START + timedelta(days=20), START + timedelta(days=39)),
              (START + timedelta(days=40), end)]
    assert sorted(r[:4] for r in fb.state.vendor(VENDOR).reports) == sorted(
        (a, "campaign", lo, hi) for a in ACCOUNT_IDS for lo, hi in chunks)


# --- idempotency -----------------------------------------------------------------------------------
def _fingerprint(tmp_path: Path) -> list[tuple]:
    return [_sql(tmp_path, f"SELECT count(*), count(DISTINCT (account_id, {key}, date_day)), sum(impressions), "
                           f"sum(clicks), sum(spend), sum(conversions) FROM raw_facebook_ads.{table}")[0]
            for table, key in (("campaign_stats", "campaign_id"), ("ad_group_stats", "adset_id"), ("ad_stats", "ad_id"))
            ] + [_sql(tmp_path, "SELECT count(*) FROM raw_facebook_ads.accounts")[0]]


def test_rerunning_and_overlapping_windows_leave_no_duplicates(fb, tmp_path):
    first = (START, START + timedelta(days=5))
    _load(tmp_path, start_date=first[0], end_date=first[1])
    once = _fingerprint(tmp_path)
    _load(tmp_path, start_date=first[0], end_date=first[1])
    assert _fingerprint(tmp_path) == once
    assert all(row[0] == row[1] for row in once[:3]) and once[3] == (2,)

    # A later run overlapping it replaces the shared days and adds the new ones.
    _load(tmp_path, start_date=START + timedelta(days=3), end_date=END)
    want = expected(fb.state.world, START, END)
    for table, rows in want.items():
        assert _loaded(tmp_path, table) == rows, table


def test_a_restated_day_replaces_the_old_one(fb, tmp_path):
    yesterday = TODAY - timedelta(days=1)
    _load(tmp_path, "campaign_stats", start_date=yesterday, end_date=yesterday)
    fb.state.world = restated = replace(WORLD, negative_spend=True)
    _load(tmp_path, "campaign_stats", start_date=yesterday, end_date=yesterday)
    assert _loaded(tmp_path, "campaign_stats") == expected(restated, yesterday, yesterday)["campaign_stats"]
    assert _sql(tmp_path, "SELECT count(*) FROM raw_facebook_ads.campaign_stats WHERE spend < 0") == [(1,)]


# --- throttling and server faults ------------------------------------------------------------------
THROTTLES = {"throttle_app": 4, "throttle_user": 17, "throttle_page": 32, "throttle_account": 613,
             "throttle_insights": 80000}


@pytest.mark.parametrize("fault", [*THROTTLES, "unavailable", "internal_error"])
def test_throttling_and_server_faults_are_retried_and_data_stays_exact(fb, fault, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(http, "_default_sleep", waits.append)
    fb.state.faults.push(VENDOR, fault)
    start = START + timedelta(days=3)
    rows = _campaign_rows(start_date=start, end_date=start + timedelta(days=1), concurrent_requests=1)

    assert fb.state.faults.served() == [(VENDOR, fault)]
    assert rows == expected(fb.state.world, start, start + timedelta(days=1))["campaign_stats"]
    statuses = [status for *_, status in _insights_calls(fb)]
    assert statuses[0] == {"unavailable": 503, "internal_error": 500}.get(fault, 400)
    assert statuses[1:] == [200, 200]
    # No usage estimate above zero: exponential backoff from half a second.
    assert len(waits) == 1 and 0 <= waits[0] <= 0.5


def test_the_business_use_case_estimate_is_waited_out(fb, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(http, "_default_sleep", waits.append)
    fb.state.faults.push(VENDOR, "throttle_wait")
    start = START + timedelta(days=3)
    rows = _campaign_rows(start_date=start, end_date=start, concurrent_requests=1)
    assert rows == expected(fb.state.world, start, start)["campaign_stats"]
    # estimated_time_to_regain_access is in minutes.
    assert waits == [fake.THROTTLE_MINUTES * 60.0]


def test_an_estimate_beyond_max_wait_fails_at_once_saying_so(fb, monkeypatch):
    monkeypatch.setattr(http, "_default_sleep", lambda s: pytest.fail("slept"))
    fb.state.faults.push(VENDOR, "throttle_wait")
    with pytest.raises(Exception) as info:
        _campaign_rows(start_date=START, end_date=START, concurrent_requests=1, max_wait_seconds=30)
    error = _cause(info.value, VendorError)
    assert "asks to wait 60s, more than the 30s allowed" in str(error)
    assert "80000" in str(error) and "User request limit" not in str(error)


def test_a_failed_report_run_names_it(fb):
    fb.state.faults.push(VENDOR, "job_failed")
    with pytest.raises(Exception) as info:
        _campaign_rows(start_date=START, end_date=END, concurrent_requests=1)
    error = _cause(info.value, VendorError)
    assert "ended with async_status 'Job Failed'" in str(error) and "act_101000000000001" in str(error)


def test_a_next_link_to_another_host_is_not_followed(fb, monkeypatch):
    served = fake._page

    def elsewhere(*args, **kwargs):
        response = served(*args, **kwargs)
        paging = response.body.get("paging", {})
        if "next" in paging:
            paging["next"] = paging["next"].replace(fb.url, "https://graph.example.net")
        return response

    monkeypatch.setattr(fake, "_page", elsewhere)
    with pytest.raises(Exception) as info:
        _campaign_rows(start_date=START, end_date=START + timedelta(days=1), page_size=2, concurrent_requests=1)
    error = _cause(info.value, VendorError)
    assert "leads to another host (graph.example.net)" in str(error)
    assert not any("graph.example.net" in path for _, path, _ in fb.state.requests)


# --- auth ------------------------------------------------------------------------------------------
def test_an_expired_token_fails_fast_without_leaking_it(fb, tmp_path):
    fb.state.faults.push(VENDOR, "expired_token")
    started = time.monotonic()
    with pytest.raises(PipelineStepFailed) as info:
        _load(tmp_path, "campaign_stats", start_date=START, end_date=START, concurrent_requests=1)
    assert time.monotonic() - started < 5
    error = _cause(info.value, AuthError)
    assert error.source == VENDOR and str(error).startswith("facebook_ads: Meta refused the access token")
    assert "code 190" in str(error) and "error_subcode 463" in str(error)
    assert "SOURCES__FACEBOOK_ADS__CREDENTIALS__ACCESS_TOKEN" in str(error)
    assert fake.ACCESS_TOKEN not in str(info.value)
    # Not retried: one refused call.
    assert [status for *_, status in _insights_calls(fb)] == [400]


def test_a_wrong_token_is_an_auth_error_never_retried(fb, monkeypatch):
    wrong = "EAAnot-the-right-token-do-not-print"
    monkeypatch.setenv("SOURCES__FACEBOOK_ADS__CREDENTIALS__ACCESS_TOKEN", wrong)
    with pytest.raises(Exception) as info:
        _campaign_rows(start_date=START, end_date=START)
    error = _cause(info.value, AuthError)
    assert "Invalid OAuth access token" in str(error)
    assert wrong not in str(info.value) and wrong not in str(error)
    # Never retried: each account asked at most once. The accounts are read concurrently, so the
    # first refusal may end the run before the other account's request is sent.
    calls = _insights_calls(fb)
    paths = [path for _, path, _ in calls]
    assert calls and len(paths) == len(set(paths)) <= len(ACCOUNT_IDS)
    assert {status for *_, status in calls} == {400}


def test_an_unknown_account_is_refused_without_retrying(fb):
    with pytest.raises(Exception) as info:
        _campaign_rows(account_ids="act_999", start_date=START, end_date=START)
    error = _cause(info.value, VendorError)
    assert error.status == 400 and "act_999" in str(error) and "GraphMethodException" in str(error)
    assert len(_insights_calls(fb)) == 1


# --- bad records -----------------------------------------------------------------------------------
def test_a_spend_that_is_not_a_number_is_quarantined_by_record_and_field(fb, tmp_path):
    fb.state.faults.push(VENDOR, "malformed_spend")
    start = START + timedelta(days=3)
    # One call at a time, so the fault lands on the first account's campaign report.
    _load(tmp_path, "campaign_stats", "quarantine", start_date=start, end_date=start + timedelta(days=1),
          concurrent_requests=1)

    quarantined = _sql(tmp_path, "SELECT source_table, record_id, field, raw_value, error "
                                 "FROM raw_facebook_ads.quarantine")
    want = expected(fb.state.world, start, start + timedelta(days=1))["campaign_stats"]
    first = min(k for k in want if k[0] == ACCOUNT_IDS[0])
    assert quarantined == [("campaign_stats", f"act_{first[0]} campaign {first[1]} date {first[2]}", "spend",
                            "12,50 EUR", "not a number")]
    loaded = _loaded(tmp_path, "campaign_stats")
    assert loaded.keys() == want.keys()
    # The row loads, its spend NULL; nothing else of it or of any other row changes.
    assert loaded[first][2] is None and loaded[first][3:] == want[first][3:]
    assert {k: v for k, v in loaded.items() if k != first} == {k: v for k, v in want.items() if k != first}


def test_an_account_total_that_is_not_a_number_is_quarantined_naming_the_account_day(fb, tmp_path):
    fb.state.faults.push(VENDOR, "malformed_spend")
    _load(tmp_path, "account_stats", "quarantine", start_date=START, end_date=START, concurrent_requests=1)
    assert _sql(tmp_path, "SELECT source_table, record_id, field, raw_value FROM raw_facebook_ads.quarantine") == [
        ("account_stats", f"act_{ACCOUNT_IDS[0]} account date {START}", "spend", "12,50 EUR")]
    loaded, want = _loaded_accounts(tmp_path), expected_accounts(fb.state.world, START, START)
    first = (ACCOUNT_IDS[0], START)
    assert loaded[first] == (None, *want[first][1:])
    assert {k: v for k, v in loaded.items() if k != first} == {k: v for k, v in want.items() if k != first}


def test_an_action_value_that_is_not_a_number_is_quarantined(fb):
    fb.state.faults.push(VENDOR, "malformed_action")
    start = START + timedelta(days=3)
    rows = _rows("campaign_stats", start_date=start, end_date=start, concurrent_requests=1)
    nulls = [k for k, r in rows.items() if r["conversions"] is None]
    assert len(nulls) == 1 and rows[nulls[0]]["spend"] is not None


def test_a_missing_day_names_record_and_field(fb):
    fb.state.faults.push(VENDOR, "missing_date")
    with pytest.raises(Exception) as info:
        _rows("ad_stats", start_date=START, end_date=START, concurrent_requests=1)
    error = _cause(info.value, RecordError)
    assert error.field == "date_start" and error.record.startswith("act_101000000000001 ad ")
    assert error.record.endswith("date (missing)")


# --- settings --------------------------------------------------------------------------------------
def test_account_ids_may_carry_act_and_it_is_dropped(fb):
    rows = _campaign_rows(account_ids=f"act_{ACCOUNT_IDS[1]}", start_date=START, end_date=START)
    assert {k[0] for k in rows} == {ACCOUNT_IDS[1]}


@pytest.mark.parametrize(("settings", "key", "says"), [
    ({"account_ids": "act_abc"}, "account_ids", "numeric ids"),
    ({"account_ids": "101-000"}, "account_ids", "numeric ids"),
    ({"conversion_action_types": "omni_purchase,offsite_conversion.fb_pixel_purchase"}, "conversion_action_types",
     "counts each purchase twice"),
    ({"conversion_action_types": "lead,offsite_conversion.fb_pixel_lead"}, "conversion_action_types",
     "counts each lead twice"),
    ({"conversion_action_types": "Omni Purchase"}, "conversion_action_types", "Meta action types"),
    ({"attribution_windows": "7d_click,2d_view"}, "attribution_windows", "attribution windows"),
    ({"start_date": "2026-13-40"}, "start_date", "ISO date"),
    ({"chunk_days": 0}, "chunk_days", ">= 1"),
    ({"page_size": 9000}, "page_size", "from 1 to 5000"),
    ({"poll_seconds": "soon"}, "poll_seconds", "seconds"),
    ({"credentials": FacebookAdsCredentials(access_token=" ")}, "credentials.access_token", "missing"),
])
def test_bad_settings_name_the_key_never_the_value(fb, settings, key, says):
    with pytest.raises(ConfigurationError) as info:
        facebook_ads_source(**settings)
    assert info.value.key == key and says in str(info.value)
    assert f"SOURCES__FACEBOOK_ADS__{key.replace('.', '__').upper()}" in str(info.value)


def test_missing_account_ids_is_a_configuration_error(fb, monkeypatch):
    monkeypatch.delenv("SOURCES__FACEBOOK_ADS__ACCOUNT_IDS")
    with pytest.raises(ConfigurationError) as info:
        facebook_ads_source()
    assert info.value.key == "account_ids"


def test_calling_the_source_does_no_io(server):
    before = len(server.state.requests)
    source = facebook_ads_source(account_ids=["act_101000000000001"], base_url=f"{server.url}/v26.0",
                                 credentials=FacebookAdsCredentials(access_token="t"),
                                 start_date="2026-01-01", end_date="2026-01-31")
    assert list(source.resources) == ["accounts", "account_stats", "campaign_stats", "ad_group_stats", "ad_stats",
                                      "ads", "quarantine"]
    assert len(server.state.requests) == before
    schema = source.resources["ad_stats"].compute_table_schema()
    assert schema["write_disposition"] == "merge" and schema["x-merge-strategy"] == "delete-insert"
    assert [n for n, c in schema["columns"].items() if c.get("primary_key")] == ["account_id", "ad_id", "date_day"]
    assert [n for n, c in schema["columns"].items() if c.get("merge_key")] == ["account_id", "date_day"]
    assert source.resources["quarantine"].compute_table_schema()["write_disposition"] == "append"


def test_paging_links_lose_their_access_token():
    link = "https://graph.facebook.com/v26.0/act_1/insights?access_token=EAAsecret&limit=25&after=MjQZD"
    assert without_token(link) == "https://graph.facebook.com/v26.0/act_1/insights?limit=25&after=MjQZD"


def test_no_secret_reaches_the_warehouse_logs_or_pipeline_files(fb, tmp_path, caplog, monkeypatch):
    monkeypatch.setattr(http, "_default_sleep", lambda s: None)
    caplog.set_level(logging.DEBUG)
    fb.state.faults.push(VENDOR, "throttle_user")
    fb.state.faults.push(VENDOR, "malformed_spend")
    _load(tmp_path, "campaign_stats", "quarantine", start_date=START, end_date=START + timedelta(days=1),
          concurrent_requests=1)
    _load(tmp_path, start_date=START, end_date=START + timedelta(days=1))

    texts = [caplog.text]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        tables = con.sql("SELECT table_schema, table_name FROM information_schema.tables").fetchall()
        assert len(tables) > 5
        for schema, table in tables:
            texts.append(str(con.sql(f'SELECT * FROM "{schema}"."{table}"').fetchall()))
    texts += [p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "pl").rglob("*") if p.is_file()]
    assert not any(fake.ACCESS_TOKEN in text for text in texts), "the access token leaked"
    assert "retrying" in caplog.text and "quarantined" in caplog.text


# --- the fake itself -------------------------------------------------------------------------------
def test_fake_pages_carry_cursors_and_an_absolute_next_link(fb):
    import requests

    url = f"{fb.url}/v26.0/act_{ACCOUNT_IDS[0]}/insights"
    params = {"access_token": fake.ACCESS_TOKEN, "level": "ad", "fields": "ad_id,spend,actions",
              "time_range": json.dumps({"since": str(START), "until": str(START + timedelta(days=1))}),
              "time_increment": "1", "limit": "3"}
    first = requests.get(url, params=params, timeout=10)
    body = first.json()
    assert first.status_code == 200 and len(body["data"]) == 3
    assert set(body["paging"]["cursors"]) == {"before", "after"}
    assert body["paging"]["next"].startswith(f"{fb.url}/v26.0/act_{ACCOUNT_IDS[0]}/insights?")
    row = body["data"][0]
    assert isinstance(row["spend"], str) and row["date_start"] == row["date_stop"] == str(START)
    assert "X-Business-Use-Case-Usage" in first.headers
    second = requests.get(body["paging"]["next"], timeout=10).json()
    assert second["data"] and second["data"][0] != row

    bad = requests.get(url, params={**params, "fields": "ad_id,cost_micros"}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == 100
    assert set(bad.json()["error"]) == {"message", "type", "code", "fbtrace_id"}
