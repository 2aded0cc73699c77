"""The Google Ads fake: campaign rows sum their ad groups, and the fast path answers what the general one does."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

import sandbox.google_ads as fake
from sandbox import google_oauth as oauth
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY

METRICS = "metrics.impressions, metrics.clicks, metrics.cost_micros, metrics.conversions, metrics.conversions_value"
OCTOBER = "segments.date BETWEEN '2026-10-01' AND '2026-10-31'"


@pytest.fixture
def scaled() -> Iterator[SandboxServer]:
    with SandboxServer(world=World(today=TODAY, history_days=120, ad_group_scale=3), faults=Faults()) as server:
        yield server


def _headers(server: SandboxServer) -> dict[str, str]:
    token = requests.post(f"{server.url}/token", data={
        "grant_type": "refresh_token", "client_id": oauth.CLIENT_ID, "client_secret": oauth.CLIENT_SECRET,
        "refresh_token": oauth.REFRESH_TOKEN}, timeout=10).json()["access_token"]
    return {"authorization": f"Bearer {token}", "developer-token": fake.DEVELOPER_TOKEN}


def _stream(server: SandboxServer, headers: dict[str, str], query: str, customer_id: str = "1234567890",
            method: str = "searchStream", **extra) -> requests.Response:
    resp = requests.post(f"{server.url}/v26/customers/{customer_id}/googleAds:{method}",
                         json={"query": query, **extra}, headers=headers, timeout=30)
    assert resp.status_code in (200, 400), resp.text
    return resp


def _rows(resp: requests.Response) -> list[dict]:
    return [row for batch in resp.json() for row in batch.get("results", [])]


def test_campaign_rows_are_the_sums_of_their_ad_groups_at_scale_3(scaled):
    headers = _headers(scaled)
    for customer_id in ("1234567890", "2345678901"):
        campaigns = _rows(_stream(scaled, headers, f"SELECT campaign.id, segments.date, {METRICS} FROM campaign "
                                                   f"WHERE {OCTOBER}", customer_id))
        ad_groups = _rows(_stream(scaled, headers, f"SELECT campaign.id, ad_group.id, segments.date, {METRICS} "
                                                   f"FROM ad_group WHERE {OCTOBER}", customer_id))
        sums: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0.0, 0.0])
        for row in ad_groups:
            m, acc = row["metrics"], sums[(row["campaign"]["id"], row["segments"]["date"])]
            for i, name in enumerate(("impressions", "clicks", "costMicros")):
                acc[i] += int(m[name])
            acc[3] += m["conversions"]
            acc[4] += m["conversionsValue"]
        account = fake.PLATFORM.account(customer_id)
        assert len({r["adGroup"]["id"] for r in ad_groups}) == sum(3 * cp.ad_group_count for cp in account.campaigns)
        assert {(r["campaign"]["id"], r["segments"]["date"]) for r in campaigns} == sums.keys()
        for row in campaigns:
            m, want = row["metrics"], sums[(row["campaign"]["id"], row["segments"]["date"])]
            assert [int(m["impressions"]), int(m["clicks"]), int(m["costMicros"])] == want[:3]
            assert (m["conversions"], m["conversionsValue"]) == (round(want[3], 2), round(want[4], 2))


QUERIES = [
    f"SELECT campaign.id, ad_group.id, ad_group.name, ad_group.status, segments.date, {METRICS} FROM ad_group "
    f"WHERE {OCTOBER}",
    f"SELECT campaign.id, campaign.name, campaign.status, campaign.advertising_channel_type, segments.date, {METRICS} "
    f"FROM campaign WHERE {OCTOBER}",
    f"SELECT customer.id, segments.date, {METRICS} FROM customer WHERE segments.date DURING LAST_30_DAYS",
    "SELECT metrics.clicks, ad_group.resource_name, segments.date, ad_group.campaign, metrics.ctr, "
    "metrics.average_cpc, customer.manager, ad_group.id, ad_group.id FROM ad_group "
    "WHERE segments.date >= '2026-11-10' AND segments.date < '2026-12-01'",
    "SELECT ad_group.id, segments.date, metrics.cost_micros FROM ad_group WHERE segments.date = '2026-11-01' LIMIT 7",
    "SELECT campaign.id, segments.date FROM campaign WHERE segments.date BETWEEN '2020-01-01' AND '2020-01-05'",
    # Yesterday, the day an unreconciled world leaves out of the first campaign's rows.
    f"SELECT campaign.id, segments.date, {METRICS} FROM campaign WHERE segments.date DURING LAST_7_DAYS",
    # General path only: ordered, filtered on more than the date, or not split by day.
    f"SELECT ad_group.id, segments.date, metrics.clicks FROM ad_group WHERE {OCTOBER} ORDER BY metrics.clicks DESC",
    f"SELECT ad_group.id, segments.date, metrics.clicks FROM ad_group WHERE {OCTOBER} AND metrics.clicks > 20",
    "SELECT campaign.id, metrics.clicks, metrics.conversions FROM campaign",
    f"SELECT customer.id, {METRICS} FROM customer WHERE segments.date DURING LAST_7_DAYS",
]


def _bodies(server: SandboxServer, headers: dict[str, str], negative_spend: bool,
            unreconciled: bool) -> list[tuple[int, str]]:
    server.state.world = World(today=TODAY, history_days=120, ad_group_scale=3, negative_spend=negative_spend,
                               unreconciled=unreconciled)
    out = []
    for query in QUERIES:
        for method in ("searchStream", "search"):
            resp = _stream(server, headers, query, method=method)
            out.append((resp.status_code, re.sub(r'"requestId": "[^"]*"', '"requestId": "X"', resp.text)))
    return out


@pytest.mark.parametrize(("negative_spend", "unreconciled"), [(False, False), (True, False), (False, True)])
def test_fast_path_answers_byte_for_byte_what_the_general_path_does(scaled, monkeypatch, negative_spend,
                                                                     unreconciled):
    monkeypatch.setattr(fake, "STREAM_BATCH_ROWS", 500)
    monkeypatch.setattr(fake, "SEARCH_PAGE_ROWS", 300)
    headers = _headers(scaled)
    assert [fake._fast_path(fake.parse_gaql(q)) for q in QUERIES] == [True] * 7 + [False] * 4
    fast = _bodies(scaled, headers, negative_spend, unreconciled)
    monkeypatch.setattr(fake, "_fast_path", lambda query: False)
    general = _bodies(scaled, headers, negative_spend, unreconciled)
    assert fast == general
    assert all(status == 200 for status, _ in fast)
    # The stream was cut into several batches, and an empty answer is one batch without results.
    assert fast[0][1].count('"fieldMask"') > 1
    assert json.loads(fast[10][1]) == [{"fieldMask": "campaign.id,segments.date", "requestId": "X"}]
    # Only an unreconciled world leaves the first campaign's yesterday out of its campaign rows.
    served = {(row["campaign"]["id"], row["segments"]["date"]) for batch in json.loads(fast[12][1])
              for row in batch.get("results", [])}
    first = (fake.ACCOUNTS[0].campaigns[0].campaign_id, (TODAY - timedelta(days=1)).isoformat())
    assert (first in served) != unreconciled
