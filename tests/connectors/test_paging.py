"""The four paginators over real HTTP against the sandbox fakes, and their edges on canned responses."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

import pytest

import sandbox.google_ads as fake_ads
from connectors.common import paging
from connectors.common.errors import VendorError
from connectors.common.http import StaticTokenAuth, VendorClient
from connectors.common.window import DateWindow
from connectors.google_ads.helpers import GoogleAdsApi
from connectors.google_analytics.helpers import make_client, report_request
from connectors.hubspot.errors import HubspotErrors
from sandbox import google_ads, google_oauth
from sandbox.google_analytics import PROPERTY_ID as GA4_PROPERTY_ID
from sandbox.hubspot import ACCESS_TOKEN
from sandbox.server import SandboxServer
from sandbox.world import World, crm
from tests.connectors.canned import Canned, response

GOOGLE = {"client_id": google_oauth.CLIENT_ID, "client_secret": google_oauth.CLIENT_SECRET,
          "refresh_token": google_oauth.REFRESH_TOKEN}


def calls(sandbox: SandboxServer, path: str) -> list[int]:
    return [status for _, p, status in sandbox.state.requests if p == path]


def hubspot(sandbox: SandboxServer) -> VendorClient:
    return VendorClient("hubspot", sandbox.url, StaticTokenAuth(ACCESS_TOKEN), errors=HubspotErrors())


def canned_client(*responses) -> tuple[VendorClient, Canned]:
    adapter = Canned(*responses)
    return VendorClient("vendor", "https://api.example.com/v1", session=adapter.session()), adapter


# --- offset/limit: GA4 runReport -------------------------------------------------------------------
def ga4_report(sandbox: SandboxServer, yesterday, limit: int) -> tuple[list[tuple[int, dict]], int]:
    client = make_client(f"{sandbox.url}/v1beta", f"{sandbox.url}/token", GOOGLE)
    window = DateWindow(yesterday - timedelta(days=2), yesterday)
    pages = list(paging.offset_pages(
        client, f"properties/{GA4_PROPERTY_ID}:runReport",
        lambda offset, size: {"json_body": report_request(window, offset, size)},
        limit=limit, items=lambda body: body.get("rows") or [], total=lambda body: int(body.get("rowCount", 0))))
    return pages, int(pages[0][1]["rowCount"])


@pytest.mark.parametrize("limit", [7, 1000])
def test_offset_pages_read_every_row_once_until_the_total(sandbox, yesterday, limit):
    pages, total = ga4_report(sandbox, yesterday, limit)
    assert total > 7
    assert [offset for offset, _ in pages] == list(range(0, total, limit))
    rows = [tuple(v["value"] for v in row["dimensionValues"]) for _, body in pages for row in body["rows"]]
    assert len(rows) == len(set(rows)) == total
    assert calls(sandbox, f"/v1beta/properties/{GA4_PROPERTY_ID}:runReport") == [200] * math.ceil(total / limit)


def test_offset_pages_stop_at_an_exact_multiple_without_an_empty_request(sandbox, yesterday):
    _, total = ga4_report(sandbox, yesterday, 1000)
    divisor = next(d for d in range(2, total) if total % d == 0)
    sandbox.state.requests.clear()
    pages, _ = ga4_report(sandbox, yesterday, total // divisor)
    assert len(pages) == divisor
    assert len(calls(sandbox, f"/v1beta/properties/{GA4_PROPERTY_ID}:runReport")) == divisor


def test_offset_pages_follow_a_moving_total_and_stop_on_an_empty_page(caplog):
    client, adapter = canned_client(
        response(200, {"rows": [1, 2], "total": 6}), response(200, {"rows": [3, 4], "total": 5}),
        response(200, {"rows": [], "total": 5}))
    with caplog.at_level(logging.WARNING):
        pages = list(paging.offset_pages(client, "report", lambda o, n: {"params": {"offset": o, "limit": n}},
                                         limit=2, items=lambda b: b["rows"], total=lambda b: b["total"]))
    assert [(offset, body["rows"]) for offset, body in pages] == [(0, [1, 2]), (2, [3, 4])]
    assert [r.url.split("?")[1] for r in adapter.sent] == ["offset=0&limit=2", "offset=2&limit=2",
                                                           "offset=4&limit=2"]
    assert "the total moved from 6 to 5" in caplog.text and "stopped at item 4 of 5" in caplog.text


# --- cursor: HubSpot lists ------------------------------------------------------------------------
@pytest.mark.parametrize("ahead", [False, True])
def test_cursor_pages_follow_paging_next_after(sandbox, world: World, ahead):
    params = {"limit": 40, "properties": "email"}
    pages = list(paging.cursor_pages(
        hubspot(sandbox), "/crm/v3/objects/contacts",
        lambda after: {"params": {**params, "after": after} if after else params},
        cursor=paging.at("paging", "next", "after"), ahead=ahead))
    contacts = crm.contacts(world)
    assert len(contacts) > 80
    assert [r["id"] for body in pages for r in body["results"]] == [x.contact_id for x in contacts]
    assert all("email" in r["properties"] for body in pages for r in body["results"])
    assert calls(sandbox, "/crm/v3/objects/contacts") == [200] * math.ceil(len(contacts) / 40)


def test_cursor_pages_call_the_request_builder_only_for_requests_sent():
    client, adapter = canned_client(response(200, {"next": "b"}), response(200, {"next": "c"}),
                                    response(200, {}))
    built: list[str | None] = []

    def request(after):
        built.append(after)
        return {"params": {"after": after} if after else {}}

    pages = paging.cursor_pages(client, "items", request, cursor=paging.at("next"))
    assert next(pages) == {"next": "b"}
    assert next(pages) == {"next": "c"}
    pages.close()  # a caller that stops early, as HubSpot's search does below its result ceiling
    assert built == [None, "b"] and len(adapter.sent) == 2


# --- next URL: HubSpot lists' paging.next.link ----------------------------------------------------
@pytest.mark.parametrize("ahead", [False, True])
def test_next_url_pages_follow_paging_next_link(sandbox, world: World, ahead):
    pages = list(paging.next_url_pages(hubspot(sandbox), "/crm/v3/objects/contacts", params={"limit": 30},
                                       next_url=paging.at("paging", "next", "link"), ahead=ahead))
    contacts = crm.contacts(world)
    assert [r["id"] for body in pages for r in body["results"]] == [x.contact_id for x in contacts]
    # Each link carries the page size of the first request: every page but the last is full.
    assert [len(body["results"]) for body in pages[:-1]] == [30] * (len(pages) - 1)
    assert calls(sandbox, "/crm/v3/objects/contacts") == [200] * math.ceil(len(contacts) / 30)


def test_next_url_pages_resolve_relative_links_and_refuse_other_hosts():
    client, adapter = canned_client(
        response(200, {"nextRecordsUrl": "/services/data/v58.0/query/01g-2000"}),
        response(200, {"nextRecordsUrl": "https://api.example.com/v1/query?page=3"}),
        response(200, {"nextRecordsUrl": "https://elsewhere.example.net/steal"}))
    pages = paging.next_url_pages(client, "query", params={"q": "SELECT Id FROM Account"},
                                  next_url=paging.at("nextRecordsUrl"))
    assert next(pages) and next(pages)
    with pytest.raises(VendorError, match="leads to another host"):
        next(pages)
    assert [r.url for r in adapter.sent] == [
        "https://api.example.com/v1/query?q=SELECT+Id+FROM+Account",
        "https://api.example.com/services/data/v58.0/query/01g-2000",
        "https://api.example.com/v1/query?page=3"]


# --- stream: Google Ads searchStream --------------------------------------------------------------
def test_stream_batches_yield_every_batch_of_one_response(sandbox, world: World, yesterday, monkeypatch):
    monkeypatch.setattr(fake_ads, "STREAM_BATCH_ROWS", 5)
    api = GoogleAdsApi(f"{sandbox.url}/v26", f"{sandbox.url}/token", google_ads.DEVELOPER_TOKEN, **GOOGLE)
    customer = google_ads.ACCOUNTS[0].customer_id
    path = f"customers/{customer}/googleAds:searchStream"
    query = (f"SELECT ad_group.id, segments.date FROM ad_group "
             f"WHERE segments.date BETWEEN '{yesterday - timedelta(days=3)}' AND '{yesterday}'")
    sandbox.state.faults.push("google_ads", "stream_rate_limit")  # a 429 whose body is a stream: retried
    batches = list(paging.stream_batches(api.http, path, json_body={"query": query}))
    rows = [r for batch in batches for r in batch["results"]]
    assert len(batches) == math.ceil(len(rows) / 5) > 1
    assert all(len(batch["results"]) == 5 for batch in batches[:-1])
    assert len({(r["adGroup"]["id"], r["segments"]["date"]) for r in rows}) == len(rows)
    assert calls(sandbox, f"/v26/{path}") == [429, 200]


def test_stream_batches_raise_on_an_error_element_and_a_malformed_stream():
    client, _ = canned_client(response(200, [{"results": [1]}, {"error": {"code": 500, "status": "INTERNAL",
                                                                            "message": "backend died"}}]))
    batches = paging.stream_batches(client, "stream")
    assert next(batches) == {"results": [1]}
    with pytest.raises(VendorError, match="the stream failed midway: INTERNAL backend died") as info:
        next(batches)
    assert info.value.status == 500
    for body in ("not a stream", [["nested"]]):
        client, _ = canned_client(response(200, body))
        with pytest.raises(VendorError, match="not a JSON"):
            list(paging.stream_batches(client, "stream"))
