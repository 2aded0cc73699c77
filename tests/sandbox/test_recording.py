"""Recording vendor requests for replay, and `funnelhouse sandbox` serving a chosen world."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from sandbox import google_ads, google_oauth, hubspot
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parents[2]
QUERY = ("SELECT campaign.id, ad_group.id, segments.date, metrics.clicks, metrics.cost_micros FROM ad_group "
         "WHERE segments.date BETWEEN '2026-11-01' AND '2026-11-10'")


@pytest.fixture
def recording() -> Iterator[SandboxServer]:
    with SandboxServer(world=World(today=TODAY, history_days=60, ad_group_scale=2), faults=Faults(),
                       record=True) as server:
        yield server


def _same(body: bytes) -> bytes:
    return re.sub(rb'"requestId": "[^"]*"', b'"requestId": ""', body)


def _vendor_calls(url: str) -> dict[str, requests.Response]:
    http = requests.Session()
    token = http.post(f"{url}/token", data={
        "grant_type": "refresh_token", "client_id": google_oauth.CLIENT_ID, "client_secret": google_oauth.CLIENT_SECRET,
        "refresh_token": google_oauth.REFRESH_TOKEN}, timeout=10).json()["access_token"]
    google = {"authorization": f"Bearer {token}"}
    crm = {"authorization": f"Bearer {hubspot.ACCESS_TOKEN}"}
    http.post(f"{url}/_sandbox/hubspot/settings", json={"search_per_second": None}, timeout=10)
    return {
        "ads": http.post(f"{url}/v26/customers/1234567890/googleAds:searchStream", json={"query": QUERY},
                         headers={**google, "developer-token": google_ads.DEVELOPER_TOKEN,
                                  "login-customer-id": "9999999999"}, timeout=10),
        "ga4": http.post(f"{url}/v1beta/properties/345678901:runReport", headers=google, timeout=10, json={
            "dateRanges": [{"startDate": "7daysAgo", "endDate": "yesterday"}],
            "dimensions": [{"name": "date"}, {"name": "sessionCampaignName"}], "metrics": [{"name": "sessions"}]}),
        "list": http.get(f"{url}/crm/v3/objects/deals", params={"limit": 5, "associations": "contacts"},
                         headers=crm, timeout=10),
        "search": http.post(f"{url}/crm/v3/objects/contacts/search", headers=crm, timeout=10, json={
            "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}], "limit": 3}),
    }


def test_recorded_requests_replay_to_the_same_bodies(recording):
    answers = _vendor_calls(recording.url)
    listed = requests.get(f"{recording.url}/_sandbox/requests", params={"full": "1"}, timeout=10).json()
    assert listed["recording"] is True
    recorded = listed["requests"]
    # Vendor requests only, in order, each with its query string, the vendor that served it and
    # every header the client sent but the connection's own.
    assert [(r["method"], r["path"], r["vendor"]) for r in recorded] == [
        ("POST", "/token", "google_oauth"),
        ("POST", "/v26/customers/1234567890/googleAds:searchStream", "google_ads"),
        ("POST", "/v1beta/properties/345678901:runReport", "google_analytics"),
        ("GET", "/crm/v3/objects/deals?limit=5&associations=contacts", "hubspot"),
        ("POST", "/crm/v3/objects/contacts/search", "hubspot"),
    ]
    ads = recorded[1]
    assert ads["status"] == 200
    assert set(ads["headers"]) == {"authorization", "developer-token", "login-customer-id", "content-type", "accept"}
    assert base64.b64decode(ads["body"]).startswith(b'{"query": "SELECT campaign.id')
    assert recorded[3]["body"] == ""

    for entry, name in zip(recorded[1:], ("ads", "ga4", "list", "search"), strict=True):
        replayed = requests.request(entry["method"], recording.url + entry["path"], headers=entry["headers"],
                                    data=base64.b64decode(entry["body"]) or None, timeout=10)
        assert replayed.status_code == 200, name
        assert _same(replayed.content) == _same(answers[name].content), name
    assert answers["ads"].content.count(b'"adGroup"') > 100


def test_request_logs_are_cleared_and_the_plain_log_keeps_its_shape(recording):
    _vendor_calls(recording.url)
    plain = requests.get(f"{recording.url}/_sandbox/requests", timeout=10).json()
    assert plain["requests"][:2] == [["POST", "/token", 200], ["POST", "/_sandbox/hubspot/settings", 200]]
    assert requests.delete(f"{recording.url}/_sandbox/requests", timeout=10).status_code == 204
    assert requests.get(f"{recording.url}/_sandbox/requests", params={"full": "1"}, timeout=10).json() == {
        "recording": True, "requests": []}
    # Each request is logged once answered, so the log starts again with the clearing itself.
    assert requests.get(f"{recording.url}/_sandbox/requests", timeout=10).json()["requests"] == [
        ["DELETE", "/_sandbox/requests", 204], ["GET", "/_sandbox/requests", 200]]


def test_recording_is_off_by_default(sandbox):
    _vendor_calls(sandbox.url)
    assert requests.get(f"{sandbox.url}/_sandbox/requests", params={"full": "1"}, timeout=10).json() == {
        "recording": False, "requests": []}
    # The plain log still holds everything: token, settings, four vendor calls and the listing.
    assert len(requests.get(f"{sandbox.url}/_sandbox/requests", timeout=10).json()["requests"]) == 7


def test_cli_serves_the_chosen_world_on_a_free_port():
    argv = [sys.executable, "-m", "pipelines.cli", "sandbox", "--port", "0", "--today", "2026-11-20",
            "--history-days", "30", "--ad-group-scale", "2", "--record", "--warm"]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # arrives while the server runs: it must be flushed
        url = first.split()[3]
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0")
        assert requests.get(f"{url}/_sandbox/health", timeout=10).json() == {"status": "ok", "today": "2026-11-20"}
        _vendor_calls(url)
        listed = requests.get(f"{url}/_sandbox/requests", params={"full": "1"}, timeout=10).json()
        assert len(listed["requests"]) == 5
        ads = requests.post(f"{url}/v26/customers/1234567890/googleAds:searchStream", json={"query": QUERY},
                            headers=listed["requests"][1]["headers"], timeout=10).json()
        # 12 ad groups at scale 1, 24 at scale 2, on the 10 days asked.
        assert len({r["adGroup"]["id"] for b in ads for r in b["results"]}) == 24
    finally:
        # Cleanup, not under test: a busy machine (the other test workers) may take seconds to unwind.
        proc.kill()
        proc.wait(timeout=60)


def test_cli_refuses_a_world_without_history():
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "sandbox", "--port", "0", "--history-days", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "--history-days" in done.stderr


def test_moving_the_world_on_can_warm_it_before_answering(recording):
    """The benchmark's daily run moves the world a day on: warmed, the run's first requests find the
    new day computed, as at the start of the full build."""
    tomorrow = TODAY + timedelta(days=1)
    hubspot._index.cache_clear()
    assert requests.post(f"{recording.url}/_sandbox/world", json={"today": tomorrow.isoformat()},
                         timeout=30).status_code == 204
    assert hubspot._index.cache_info().currsize == 0
    assert requests.post(f"{recording.url}/_sandbox/world", json={"today": tomorrow.isoformat(), "warm": True},
                         timeout=30).status_code == 204
    assert recording.state.world.today == tomorrow
    assert hubspot._index.cache_info().currsize == 1
    assert hubspot.index_for(recording.state.world) is hubspot.index_for(recording.state.world)
    assert hubspot._index.cache_info().misses == 1
