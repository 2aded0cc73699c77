"""The LinkedIn Ads connector against its fake over HTTP on 127.0.0.1, checked against the world."""

from __future__ import annotations

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
import requests
from dlt.pipeline.exceptions import PipelineStepFailed

import sandbox.linkedin_ads as fake
from connectors.common import http, progress
from connectors.common.errors import AuthError, ConfigurationError, RecordError, VendorError
from connectors.linkedin_ads import LinkedInAdsCredentials, linkedin_ads_source
from connectors.linkedin_ads.helpers import days_per_call, query_string
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World, ads
from sandbox.world.core import day_key
from tests.conftest import TODAY, point_sources_at

ACCOUNT = fake.ACCOUNTS[0]
# A window months in the past, well inside the world's history.
END = TODAY - timedelta(days=120)
START = END - timedelta(days=13)
STATS = ("impressions, clicks, cost_in_local_currency, external_website_conversions, "
         "conversion_value_in_local_currency")


@pytest.fixture(scope="module")
def world() -> World:
    return World(today=TODAY, history_days=200)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[SandboxServer]:
    """One sandbox for the module, serving LinkedIn only; each test starts with a clean fault queue and log."""
    with SandboxServer(world=world, faults=Faults(), sources=["linkedin_ads"]) as served:
        yield served


@pytest.fixture
def sandbox_env(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    server.state.faults.clear()
    with server.state.lock:
        server.state.requests.clear()
    own = server.state.vendor("linkedin_ads")
    own.analytics_calls.clear()
    own.pending_row_faults.clear()
    # Retries wait for real: keep them short.
    monkeypatch.setattr(http.RetryPolicy, "__init__", _fast_policy(http.RetryPolicy.__init__))
    yield point_sources_at(server, monkeypatch)


def _fast_policy(init):
    def fast(self, *args, **kwargs):
        kwargs.setdefault("backoff_base", 0.01)
        kwargs.setdefault("backoff_max", 0.05)
        init(self, *args, **kwargs)
    return fast


# --- expectations from the world -------------------------------------------------------------------
def _keys(start: date, end: date):
    return [day_key(start + timedelta(days=i)) for i in range((end - start).days + 1)]


def _money(cents: int) -> Decimal:
    return Decimal(cents) / 100


def expected_campaign_stats(world: World, start: date, end: date) -> dict[tuple, tuple]:
    return {(ACCOUNT.customer_id, r.urn.rsplit(":", 1)[1], r.day): (
        r.impressions, r.clicks, _money(r.cost_cents), r.conversions, _money(r.value_cents))
        for r in fake.campaign_rows(world, ACCOUNT, _keys(start, end))}


def expected_account_stats(world: World, start: date, end: date) -> dict[tuple, tuple]:
    """The account's own days, from the world's account-level answer. LinkedIn counts conversions whole
    per campaign and day: the account's count is those counts summed."""
    conversions: dict[date, int] = {}
    for (_, _, day), row in expected_campaign_stats(world, start, end).items():
        conversions[day] = conversions.get(day, 0) + row[3]
    rows = {}
    for key in _keys(start, end):
        total = ads.account_day(world, ACCOUNT, key.day)
        if total is not None:
            impressions, clicks, cost_micros, _, value_cents = total
            rows[(ACCOUNT.customer_id, key.day)] = (impressions, clicks, _money(cost_micros // 10_000),
                                                    conversions[key.day], _money(value_cents))
    return rows


def expected_creative_stats(world: World, start: date, end: date) -> dict[tuple, tuple]:
    return {(ACCOUNT.customer_id, r.urn.rsplit(":", 1)[1], r.day): (
        r.impressions, r.clicks, _money(r.cost_cents), r.conversions, _money(r.value_cents))
        for r in fake.creative_rows(world, ACCOUNT, _keys(start, end))}


# --- running the connector -------------------------------------------------------------------------
def _pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name="linkedin_ads_test", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        dataset_name="raw_linkedin_ads", pipelines_dir=str(tmp_path / "pl"))


def _load(tmp_path: Path, **settings) -> None:
    settings.setdefault("start_date", START)
    settings.setdefault("end_date", END)
    settings.setdefault("lookback_days", 0)
    _pipeline(tmp_path).run(linkedin_ads_source(**settings))


def _sql(tmp_path: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        return con.sql(query).fetchall()


def _loaded(tmp_path: Path, table: str, key: str) -> dict[tuple, tuple]:
    return {r[:3]: r[3:] for r in _sql(tmp_path, f"SELECT account_id, {key}, date_day, {STATS} "
                                                 f"FROM raw_linkedin_ads.{table}")}


def _loaded_accounts(tmp_path: Path) -> dict[tuple, tuple]:
    return {r[:2]: r[2:] for r in _sql(tmp_path, f"SELECT account_id, date_day, {STATS} "
                                                 "FROM raw_linkedin_ads.account_stats")}


def _campaign_sums(tmp_path: Path) -> dict[tuple, tuple]:
    """The loaded campaign rows summed per account and day, as reconciliation sums them."""
    return {r[:2]: r[2:] for r in _sql(tmp_path, """
        select account_id, date_day, sum(impressions), sum(clicks), sum(cost_in_local_currency),
            sum(external_website_conversions), sum(conversion_value_in_local_currency)
        from raw_linkedin_ads.campaign_stats group by 1, 2""")}


def _stats_rows(table: str = "campaign_stats", **settings) -> dict[tuple, tuple]:
    """A stats table straight from its resource, without a warehouse: for the fault tests."""
    settings = {"start_date": START, "end_date": END, "lookback_days": 0, **settings}
    key = "campaign_id" if table == "campaign_stats" else "creative_id"
    rows = {}
    for item in linkedin_ads_source(**settings).with_resources(table):
        for r in item.to_pylist():
            if "date_day" in r:
                rows[(r["account_id"], r[key], r["date_day"])] = (
                    r["impressions"], r["clicks"], r["cost_in_local_currency"], r["external_website_conversions"],
                    r["conversion_value_in_local_currency"])
    return rows


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException:
    seen = exc
    while seen is not None and not isinstance(seen, kind):
        seen = seen.__cause__ or seen.__context__
    assert seen is not None, f"no {kind.__name__} behind {exc!r}"
    return seen


def _analytics_statuses(server: SandboxServer) -> list[int]:
    return [status for _, path, status in server.state.requests if path == "/rest/adAnalytics"]


# --- exact data ------------------------------------------------------------------------------------
def test_loads_exact_rows_entities_and_account(sandbox_env, world, tmp_path):
    before = progress.snapshot().get("linkedin_ads", 0)
    _load(tmp_path)

    assert _loaded(tmp_path, "campaign_stats", "campaign_id") == expected_campaign_stats(world, START, END)
    assert _loaded(tmp_path, "creative_stats", "creative_id") == expected_creative_stats(world, START, END)
    assert _loaded_accounts(tmp_path) == expected_account_stats(world, START, END)
    assert _sql(tmp_path, "SELECT * FROM raw_linkedin_ads.accounts") == [
        ("507000001", "Acme Outdoor B2B", "EUR", "ACTIVE", "BUSINESS")]
    assert _sql(tmp_path, "SELECT campaign_group_id, name, status FROM raw_linkedin_ads.campaign_groups ORDER BY 1") == [
        ("600001101", "Summer Sale | US", "ACTIVE"), ("600001102", "Team Outfitting | EU", "ACTIVE")]
    campaigns = _sql(tmp_path, "SELECT campaign_id, campaign_group_id, name FROM raw_linkedin_ads.campaigns ORDER BY 1")
    assert campaigns == [(c.campaign_id, c.group.campaign_id, c.name) for c in fake.linkedin_campaigns(world, ACCOUNT)]
    creatives = _sql(tmp_path, "SELECT creative_id, campaign_id, name, landing_page FROM raw_linkedin_ads.creatives "
                               "ORDER BY 1")
    # A text ad names its landing page; sponsored content references a post, whose link is not given.
    assert creatives == [(c.creative_id, c.campaign.campaign_id, c.name,
                          fake.creative_content(c).get("textAd", {}).get("landingPage"))
                         for c in fake.creatives(world, ACCOUNT)]
    assert {page is None for *_, page in creatives} == {True, False}
    assert _sql(tmp_path, "SELECT count(*) FROM raw_linkedin_ads.quarantine") == [(0,)]
    # Every day of the window is there, in UTC days, and cost is exact to the cent.
    assert _sql(tmp_path, "SELECT min(date_day), max(date_day), count(DISTINCT date_day) "
                          "FROM raw_linkedin_ads.campaign_stats") == [(START, END, 14)]
    loaded = _sql(tmp_path, "SELECT (SELECT count(*) FROM raw_linkedin_ads.campaign_stats) + "
                            "(SELECT count(*) FROM raw_linkedin_ads.creative_stats) + "
                            "(SELECT count(*) FROM raw_linkedin_ads.account_stats) + 1 + 2 + 5 + 10")[0][0]
    assert progress.snapshot()["linkedin_ads"] - before == loaded


def test_creatives_sum_to_their_campaigns(sandbox_env, world, tmp_path):
    _load(tmp_path)
    by_campaign = dict(((r[0], r[1]), r[2:]) for r in _sql(tmp_path, """
        select c.campaign_id, s.date_day, sum(s.impressions), sum(s.clicks), sum(s.cost_in_local_currency)
        from raw_linkedin_ads.creative_stats s join raw_linkedin_ads.creatives c using (account_id, creative_id)
        group by 1, 2"""))
    campaigns = {(k[1], k[2]): v[:3] for k, v in expected_campaign_stats(world, START, END).items()}
    assert by_campaign == campaigns


def test_requests_send_the_documented_headers_and_restli_query(sandbox_env, monkeypatch):
    seen: list[requests.PreparedRequest] = []
    send = requests.Session.send

    def spy(self, request, **kwargs):
        seen.append(request)
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    _stats_rows(start_date=END, end_date=END)
    analytics = [r for r in seen if "/rest/adAnalytics" in r.url and "pivot=CAMPAIGN" in r.url]
    assert len(analytics) == 1
    request = analytics[0]
    assert request.headers["LinkedIn-Version"] == "202603"
    assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
    assert request.url.endswith(
        f"/rest/adAnalytics?q=analytics&pivot=CAMPAIGN&timeGranularity=DAILY&dateRange=(start:(year:{END.year},"
        f"month:{END.month},day:{END.day}),end:(year:{END.year},month:{END.month},day:{END.day}))"
        f"&accounts=List(urn%3Ali%3AsponsoredAccount%3A507000001)&fields=impressions,clicks,costInLocalCurrency,"
        "externalWebsiteConversions,conversionValueInLocalCurrency,dateRange,pivotValues")
    finders = [r.url for r in seen if "adCampaigns" in r.url]
    assert finders and "search=(status:(values:List(ACTIVE,PAUSED,ARCHIVED," in finders[0]


# --- account totals ----------------------------------------------------------------------------------
def test_account_totals_are_each_days_campaign_rows_summed(sandbox_env, world, tmp_path):
    _load(tmp_path, chunk_days=5)
    accounts = _loaded_accounts(tmp_path)
    assert accounts == expected_account_stats(world, START, END)
    assert len(accounts) == 14
    assert _campaign_sums(tmp_path) == accounts
    # One call per account and chunk, at account level.
    calls = sandbox_env.state.vendor("linkedin_ads").analytics_calls
    assert len([c for c in calls if c[0] == "ACCOUNT"]) == 3


def test_unreconciled_world_loses_a_campaign_day_the_account_totals_keep(sandbox_env, world, tmp_path, monkeypatch):
    lossy = replace(world, unreconciled=True)
    monkeypatch.setattr(sandbox_env.state, "world", lossy)
    yesterday = TODAY - timedelta(days=1)
    start = yesterday - timedelta(days=1)
    _load(tmp_path, start_date=start, end_date=yesterday)

    group = ACCOUNT.campaigns[0]
    assert ads.omitted(lossy, group, yesterday) and not ads.omitted(lossy, group, start)
    lost = {c.campaign_id for c in fake.linkedin_campaigns(world, ACCOUNT) if c.group == group}
    # The group's campaigns (and their creatives) report nothing yesterday; every other row is there.
    expected = {k: v for k, v in expected_campaign_stats(world, start, yesterday).items()
                if not (k[1] in lost and k[2] == yesterday)}
    assert len(expected) < len(expected_campaign_stats(world, start, yesterday))
    assert _loaded(tmp_path, "campaign_stats", "campaign_id") == expected
    lost_creatives = {c.creative_id for c in fake.creatives(world, ACCOUNT) if c.campaign.campaign_id in lost}
    assert not [k for k in _loaded(tmp_path, "creative_stats", "creative_id") if k[1] in lost_creatives
                and k[2] == yesterday]
    # The account totals still count it: yesterday they exceed the campaign rows by exactly what was lost.
    accounts, sums = _loaded_accounts(tmp_path), _campaign_sums(tmp_path)
    assert accounts == expected_account_stats(world, start, yesterday)
    assert sums[(ACCOUNT.customer_id, start)] == accounts[(ACCOUNT.customer_id, start)]
    missing = [0, 0, Decimal(0), 0, Decimal(0)]
    for key, row in expected_campaign_stats(world, yesterday, yesterday).items():
        if key[1] in lost:
            missing = [m + v for m, v in zip(missing, row, strict=True)]
    assert missing[0] > 0
    day = (ACCOUNT.customer_id, yesterday)
    assert [a - b for a, b in zip(accounts[day], sums[day], strict=True)] == missing


# --- window splitting --------------------------------------------------------------------------------
def test_window_is_split_into_chunk_days(sandbox_env, world, tmp_path):
    _load(tmp_path, chunk_days=5)
    calls = sandbox_env.state.vendor("linkedin_ads").analytics_calls
    chunks = [(START, START + timedelta(days=4)), (START + timedelta(days=5), START + timedelta(days=9)),
              (START + timedelta(days=10), END)]
    for pivot in ("CAMPAIGN", "CREATIVE", "ACCOUNT"):
        assert sorted((s, e) for p, _, s, e in calls if p == pivot) == chunks
    assert _loaded(tmp_path, "campaign_stats", "campaign_id") == expected_campaign_stats(world, START, END)


def test_chunks_shrink_with_the_entity_count_and_split_again_at_the_cap(sandbox_env, world, monkeypatch):
    # 5 campaigns and 10 creatives; a cap of 24 elements allows 4 campaign-days or 2 creative-days a call.
    monkeypatch.setattr(fake, "ELEMENT_CAP", 24)
    monkeypatch.setattr("connectors.linkedin_ads.helpers.ELEMENT_CAP", 24)
    assert days_per_call(5, 31, 24) == 4 and days_per_call(10, 31, 24) == 2
    rows = _stats_rows("creative_stats", chunk_days=31)
    assert rows == expected_creative_stats(world, START, END)
    calls = sandbox_env.state.vendor("linkedin_ads").analytics_calls
    assert all((e - s).days + 1 == 2 for p, _, s, e in calls if p == "CREATIVE")

    # The fake refuses more than the cap: a chunk of too many days is halved until it fits.
    monkeypatch.setattr(fake, "ELEMENT_CAP", 12)
    calls.clear()
    assert _stats_rows("campaign_stats") == expected_campaign_stats(world, START, END)
    assert 400 in _analytics_statuses(sandbox_env)
    assert all((e - s).days + 1 <= 2 for p, _, s, e in calls if p == "CAMPAIGN")


def test_one_day_over_the_cap_fails_clearly(sandbox_env, monkeypatch):
    monkeypatch.setattr(fake, "ELEMENT_CAP", 2)
    with pytest.raises(Exception) as info:
        _stats_rows(start_date=END, end_date=END)
    error = _cause(info.value, VendorError)
    assert "one day holds more than" in str(error) and "linkedin_ads" in str(error)


# --- idempotency -----------------------------------------------------------------------------------
def _fingerprint(tmp_path: Path) -> list[tuple]:
    return [_sql(tmp_path, f"SELECT count(*), count(DISTINCT (account_id, {key}, date_day)), sum(impressions), "
                           f"sum(clicks), sum(cost_in_local_currency) FROM raw_linkedin_ads.{table}")[0]
            for table, key in (("campaign_stats", "campaign_id"), ("creative_stats", "creative_id"),
                               ("account_stats", "'account'"))] + [
        _sql(tmp_path, f"SELECT count(*) FROM raw_linkedin_ads.{t}")[0]
        for t in ("accounts", "campaign_groups", "campaigns", "creatives")]


def test_rerunning_and_overlapping_windows_leave_no_duplicates(sandbox_env, world, tmp_path):
    first_end = END - timedelta(days=5)
    _load(tmp_path, end_date=first_end, chunk_days=3)
    once = _fingerprint(tmp_path)
    _load(tmp_path, end_date=first_end, chunk_days=3)
    assert _fingerprint(tmp_path) == once
    assert all(rows == distinct for rows, distinct, *_ in once[:3]) and once[3:] == [(1,), (2,), (5,), (10,)]

    _load(tmp_path, start_date=END - timedelta(days=7))
    assert _loaded(tmp_path, "campaign_stats", "campaign_id") == expected_campaign_stats(world, START, END)
    assert _loaded(tmp_path, "creative_stats", "creative_id") == expected_creative_stats(world, START, END)
    assert _loaded_accounts(tmp_path) == expected_account_stats(world, START, END)


# --- paging ------------------------------------------------------------------------------------------
def test_finders_page_with_next_page_tokens(sandbox_env, world, tmp_path):
    _load(tmp_path, start_date=END, end_date=END, page_size=2)
    paths = [p for _, p, _ in sandbox_env.state.requests]
    # 2 campaign groups (1 page), 5 campaigns (3 pages), 10 creatives (5 pages).
    assert paths.count("/rest/adAccounts/507000001/adCampaignGroups") == 1
    assert paths.count("/rest/adAccounts/507000001/adCampaigns") == 3
    assert paths.count("/rest/adAccounts/507000001/creatives") == 5
    assert _sql(tmp_path, "SELECT count(*), count(DISTINCT creative_id) FROM raw_linkedin_ads.creatives") == [(10, 10)]
    assert _sql(tmp_path, "SELECT count(*) FROM raw_linkedin_ads.campaigns") == [(5,)]


def test_fake_pages_and_refuses_oversized_pages(server):
    headers = {"Authorization": f"Bearer {fake.ACCESS_TOKEN}", "LinkedIn-Version": "202603",
               "X-Restli-Protocol-Version": "2.0.0"}
    url = f"{server.url}/rest/adAccounts/507000001/creatives?q=criteria"
    first = requests.get(url + "&pageSize=4", headers=headers, timeout=5).json()
    assert len(first["elements"]) == 4 and first["metadata"]["nextPageToken"]
    rest = requests.get(url + f"&pageSize=4&pageToken={first['metadata']['nextPageToken']}", headers=headers,
                        timeout=5).json()
    assert len(rest["elements"]) == 4 and {e["id"] for e in rest["elements"]}.isdisjoint(
        {e["id"] for e in first["elements"]})
    too_big = requests.get(url + "&pageSize=1001", headers=headers, timeout=5)
    assert too_big.status_code == 400 and too_big.json()["status"] == 400


# --- faults ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("fault", "status"), [("rate_limit", 429), ("server_error", 500), ("unavailable", 503)])
def test_throttling_and_server_errors_are_retried_and_data_stays_exact(sandbox_env, world, fault, status):
    sandbox_env.state.faults.push("linkedin_ads", fault, times=2)
    rows = _stats_rows(concurrent_requests=1)
    assert sandbox_env.state.faults.served() == [("linkedin_ads", fault)] * 2
    assert rows == expected_campaign_stats(world, START, END)
    assert status in {s for _, _, s in sandbox_env.state.requests}


def test_429_backs_off_exponentially(sandbox_env, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(http, "_default_sleep", waits.append)
    monkeypatch.setattr(http.random, "uniform", lambda low, high: high)
    sandbox_env.state.faults.push("linkedin_ads", "rate_limit", times=3)
    _stats_rows(start_date=END, end_date=END, concurrent_requests=1)
    # No wait hint is documented: full-jitter exponential backoff (its ceiling here), capped.
    assert waits == [0.01, 0.02, 0.04]


def test_daily_limit_is_not_waited_out(sandbox_env):
    sandbox_env.state.faults.push("linkedin_ads", "daily_limit")
    started = time.monotonic()
    with pytest.raises(Exception) as info:
        _stats_rows(start_date=END, end_date=END, concurrent_requests=1)
    assert time.monotonic() - started < 5
    error = _cause(info.value, VendorError)
    assert "midnight UTC" in str(error) and error.status == 429
    assert [s for _, _, s in sandbox_env.state.requests].count(429) == 1


@pytest.mark.parametrize(("fault", "status", "code"), [("expired_token", 401, "EXPIRED_ACCESS_TOKEN"),
                                                        ("forbidden", 403, "ACCESS_DENIED")])
def test_auth_failures_fail_fast_naming_the_source_never_the_token(sandbox_env, tmp_path, caplog, fault, status,
                                                                   code):
    caplog.set_level(logging.DEBUG)
    sandbox_env.state.faults.push("linkedin_ads", fault)
    started = time.monotonic()
    with pytest.raises(PipelineStepFailed) as info:
        _load(tmp_path, concurrent_requests=1)
    assert time.monotonic() - started < 5
    error = _cause(info.value, AuthError)
    assert str(error).startswith("linkedin_ads: ") and f"HTTP {status}" in str(error) and code in str(error)
    assert [s for _, _, s in sandbox_env.state.requests].count(status) == 1
    for text in (str(info.value), str(error), caplog.text):
        assert fake.ACCESS_TOKEN not in text


def test_wrong_token_is_an_auth_error_without_leaking(sandbox_env, monkeypatch, tmp_path):
    wrong = "AQX-revoked-token-do-not-print-123"
    monkeypatch.setenv("SOURCES__LINKEDIN_ADS__CREDENTIALS__ACCESS_TOKEN", wrong)
    with pytest.raises(PipelineStepFailed) as info:
        _load(tmp_path)
    error = _cause(info.value, AuthError)
    assert "INVALID_ACCESS_TOKEN" in str(error) and "r_ads" not in str(error).split(";")[0]
    assert wrong not in str(info.value) and wrong not in str(error)


def test_unknown_account_is_forbidden(sandbox_env):
    with pytest.raises(Exception) as info:
        list(linkedin_ads_source(account_ids="urn:li:sponsoredAccount:123", start_date=END, end_date=END,
                                 lookback_days=0).with_resources("accounts"))
    error = _cause(info.value, AuthError)
    assert "HTTP 403" in str(error) and "ACCESS_DENIED" in str(error)


# --- bad records -----------------------------------------------------------------------------------
def test_non_numeric_cost_is_quarantined_naming_record_and_field(sandbox_env, world, tmp_path):
    sandbox_env.state.faults.push("linkedin_ads", "malformed_cost")
    _load(tmp_path, start_date=END, end_date=END, concurrent_requests=1)
    quarantined = _sql(tmp_path, "SELECT source_table, record_id, field, raw_value, error FROM raw_linkedin_ads.quarantine")
    assert len(quarantined) == 1
    table, record, field, raw, error = quarantined[0]
    assert field == "costInLocalCurrency" and raw == fake.BAD_COST and "not a decimal number" in error
    assert table in ("campaign_stats", "creative_stats")
    entity = record.split()[3]
    key = "campaign_id" if table == "campaign_stats" else "creative_id"
    assert record == f"account 507000001 {key.removesuffix('_id')} {entity} date {END}"
    # The row loads, its cost NULL; every other value is exact.
    nulls = _sql(tmp_path, f"SELECT {key} FROM raw_linkedin_ads.{table} WHERE cost_in_local_currency IS NULL")
    assert nulls == [(entity,)]


def test_non_numeric_costs_are_quarantined_at_every_level(sandbox_env, tmp_path):
    # One fault for each of the day's three adAnalytics answers (campaign, creative, account).
    sandbox_env.state.faults.push("linkedin_ads", "malformed_cost", times=3)
    _load(tmp_path, start_date=END, end_date=END, concurrent_requests=1)
    quarantined = _sql(tmp_path, "SELECT source_table, record_id, field, raw_value FROM raw_linkedin_ads.quarantine "
                                 "ORDER BY 1")
    assert [row[0] for row in quarantined] == ["account_stats", "campaign_stats", "creative_stats"]
    assert quarantined[0][1:] == (f"account 507000001 date {END}", "costInLocalCurrency", fake.BAD_COST)
    assert _sql(tmp_path, "SELECT count(*), count(cost_in_local_currency), sum(impressions) "
                          "FROM raw_linkedin_ads.account_stats") == [
        (1, 0, expected_account_stats(sandbox_env.state.world, END, END)[(ACCOUNT.customer_id, END)][0])]


def test_missing_date_range_names_record_and_field(sandbox_env):
    sandbox_env.state.faults.push("linkedin_ads", "missing_date_range")
    with pytest.raises(Exception) as info:
        _stats_rows(start_date=END, end_date=END, concurrent_requests=1)
    error = _cause(info.value, RecordError)
    assert error.field == "dateRange" and error.record.startswith("account 507000001 campaign ")


# --- configuration -----------------------------------------------------------------------------------
def test_account_urns_are_accepted_and_other_text_refused(sandbox_env):
    source = linkedin_ads_source(account_ids="urn:li:sponsoredAccount:507000001, 507000001", start_date=END,
                                 end_date=END)
    assert list(source.resources) == ["accounts", "campaign_groups", "campaigns", "creatives", "campaign_stats",
                                      "creative_stats", "account_stats", "quarantine"]
    with pytest.raises(ConfigurationError) as info:
        linkedin_ads_source(account_ids="urn:li:organization:2414183")
    assert info.value.key == "account_ids" and "urn:li:sponsoredAccount" in str(info.value)
    assert "2414183" not in str(info.value)


@pytest.mark.parametrize(("settings", "key"), [
    ({"api_version": "2026-03"}, "api_version"),
    ({"api_version": "202613"}, "api_version"),
    ({"chunk_days": 0}, "chunk_days"),
    ({"page_size": 1001}, "page_size"),
    ({"start_date": "2026-13-40"}, "start_date"),
    ({"credentials": LinkedInAdsCredentials(access_token="  ")}, "credentials.access_token"),
])
def test_bad_settings_name_the_key_never_the_value(sandbox_env, settings, key):
    with pytest.raises(ConfigurationError) as info:
        linkedin_ads_source(**settings)
    assert info.value.key == key


def test_an_inactive_version_is_refused_by_the_fake_and_fails_clearly(sandbox_env):
    with pytest.raises(Exception) as info:
        _stats_rows(start_date=END, end_date=END, api_version="202312")
    error = _cause(info.value, VendorError)
    assert "NONEXISTENT_VERSION" in str(error) and "HTTP 426" in str(error)


def test_calling_the_source_does_no_io(sandbox_env):
    source = linkedin_ads_source(start_date="2026-01-01", end_date="2026-01-31")
    assert sandbox_env.state.requests == []
    schema = source.resources["creative_stats"].compute_table_schema()
    assert schema["write_disposition"] == "merge" and schema["x-merge-strategy"] == "delete-insert"
    assert [n for n, c in schema["columns"].items() if c.get("merge_key")] == ["account_id", "date_day"]


def test_no_secret_reaches_the_warehouse_logs_or_pipeline_files(sandbox_env, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    sandbox_env.state.faults.push("linkedin_ads", "rate_limit")
    sandbox_env.state.faults.push("linkedin_ads", "malformed_cost")
    _load(tmp_path, start_date=END, end_date=END)
    texts = [caplog.text]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        for schema, table in con.sql("SELECT table_schema, table_name FROM information_schema.tables").fetchall():
            texts.append(str(con.sql(f'SELECT * FROM "{schema}"."{table}"').fetchall()))
    texts += [p.read_bytes().decode("utf-8", "replace") for p in (tmp_path / "pl").rglob("*") if p.is_file()]
    assert not any(fake.ACCESS_TOKEN in text for text in texts), "the access token leaked"


# --- the fake's Rest.li 2.0 ---------------------------------------------------------------------------
def test_fake_requires_headers_and_encoded_urns(server):
    base = {"Authorization": f"Bearer {fake.ACCESS_TOKEN}", "LinkedIn-Version": "202603",
            "X-Restli-Protocol-Version": "2.0.0"}
    query = query_string({"q": "analytics", "pivot": "CAMPAIGN", "timeGranularity": "DAILY",
                          "dateRange": {"start": {"year": END.year, "month": END.month, "day": END.day}},
                          "accounts": ["urn:li:sponsoredAccount:507000001"]})
    url = f"{server.url}/rest/adAnalytics?{query}"
    ok = requests.get(url, headers=base, timeout=5)
    assert ok.status_code == 200 and ok.json()["elements"]
    assert set(ok.json()["elements"][0]) == {"impressions", "clicks", "dateRange", "pivotValues"}
    missing = requests.get(url, headers={k: v for k, v in base.items() if k != "LinkedIn-Version"}, timeout=5)
    assert missing.status_code == 400 and missing.json()["code"] == "VERSION_MISSING"
    protocol = requests.get(url, headers={k: v for k, v in base.items() if k != "X-Restli-Protocol-Version"},
                            timeout=5)
    assert protocol.status_code == 400
    raw_urn = requests.get(url.replace("urn%3Ali%3AsponsoredAccount%3A", "urn:li:sponsoredAccount:"), headers=base,
                           timeout=5)
    assert raw_urn.status_code == 400 and raw_urn.json()["message"].startswith("Invalid query parameters")
    # The account's totals are served for the whole account only.
    account_pivot = requests.get(url.replace("pivot=CAMPAIGN", "pivot=ACCOUNT"), headers=base, timeout=5).json()
    assert account_pivot["elements"] and {tuple(e["pivotValues"]) for e in account_pivot["elements"]} == {
        ("urn:li:sponsoredAccount:507000001",)}
    narrowed = requests.get(url.replace("pivot=CAMPAIGN", "pivot=ACCOUNT")
                            + "&campaigns=List(urn%3Ali%3AsponsoredCampaign%3A1)", headers=base, timeout=5)
    assert narrowed.status_code == 400
    assert fake.parse_restli("(start:(year:2026,month:1,day:2))") == {
        "start": {"year": "2026", "month": "1", "day": "2"}}


def test_landing_page_comes_from_text_and_spotlight_ads_only():
    from connectors.linkedin_ads.helpers import landing_page

    assert landing_page({"spotlight": {"landingPage": "https://a.example/s", "headline": "h"}}) == "https://a.example/s"
    assert landing_page({"textAd": {"landingPage": "https://a.example/t"}}) == "https://a.example/t"
    assert landing_page({"reference": "urn:li:share:1"}) is None
    assert landing_page(None) is None
