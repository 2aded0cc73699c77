"""LinkedIn's own Python client (linkedin-api-client, module `linkedin_api`) reads the fake, and sees what
the connector loads.

The client builds versioned URLs from the module constant `linkedin_api.common.constants.VERSIONED_BASE_URL`
(`https://api.linkedin.com/rest`), read at call time, so pointing it at the sandbox is one monkeypatch. It
encodes query parameters itself (Rest.li 2.0, keys sorted, `fields` left as a plain list) and sends
`X-RestLi-Protocol-Version: 2.0.0` and `LinkedIn-Version`: if the fake misread any of that, this fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dlt
import pytest
from linkedin_api.clients.restli.client import RestliClient
from linkedin_api.common import constants

import sandbox.linkedin_ads as fake
from connectors.linkedin_ads import linkedin_ads_source
from connectors.linkedin_ads.settings import ANALYTICS_FIELDS, DEFAULT_API_VERSION
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY, point_sources_at

END = TODAY - timedelta(days=100)
START = END - timedelta(days=6)
ACCOUNT_ID = fake.ACCOUNTS[0].customer_id
TOKEN = fake.ACCESS_TOKEN


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(world=World(today=TODAY, history_days=200), faults=Faults(),
                       sources=["linkedin_ads"]) as served:
        yield served


@pytest.fixture
def client(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> RestliClient:
    monkeypatch.setattr(constants, "VERSIONED_BASE_URL", f"{server.url}/rest")
    return RestliClient()


@pytest.fixture
def loaded(server: SandboxServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dlt.Pipeline:
    point_sources_at(server, monkeypatch)
    pipeline = dlt.pipeline(pipeline_name="linkedin_official", dataset_name="raw_linkedin_ads",
                            destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                            pipelines_dir=str(tmp_path / "pl"))
    pipeline.run(linkedin_ads_source(start_date=START, end_date=END, lookback_days=0))
    return pipeline


def query(pipeline: dlt.Pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as sql_client:
        return [tuple(row) for row in sql_client.execute_sql(sql)]


def restli_day(day) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def test_ad_account_get(client: RestliClient, loaded: dlt.Pipeline) -> None:
    response = client.get(resource_path="/adAccounts/{id}", path_keys={"id": int(ACCOUNT_ID)}, access_token=TOKEN,
                          version_string=DEFAULT_API_VERSION)
    assert response.status_code == 200
    entity = response.entity
    assert query(loaded, "select account_id, name, currency from accounts") == [
        (str(entity["id"]), entity["name"], entity["currency"])]


def test_campaign_search_finder_pages_like_the_connector(client: RestliClient, loaded: dlt.Pipeline) -> None:
    found, token, pages = [], None, 0
    while True:
        params = {"search": {"status": {"values": ["ACTIVE", "PAUSED"]}}, "pageSize": 2}
        if token:
            params["pageToken"] = token
        response = client.finder(resource_path="/adAccounts/{id}/adCampaigns", path_keys={"id": int(ACCOUNT_ID)},
                                 finder_name="search", query_params=params, access_token=TOKEN,
                                 version_string=DEFAULT_API_VERSION)
        assert response.status_code == 200
        found += response.elements
        pages += 1
        # The client reads `metadata` with getattr on a dict, so it is always None: read the body.
        token = response.response.json().get("metadata", {}).get("nextPageToken")
        if not token:
            break
    assert pages == 3
    assert sorted((str(c["id"]), c["campaignGroup"].rsplit(":", 1)[1], c["name"]) for c in found) == query(
        loaded, "select campaign_id, campaign_group_id, name from campaigns order by 1")


def test_creative_criteria_finder(client: RestliClient, loaded: dlt.Pipeline) -> None:
    campaign_id = query(loaded, "select min(campaign_id) from campaigns")[0][0]
    response = client.finder(resource_path="/adAccounts/{id}/creatives", path_keys={"id": int(ACCOUNT_ID)},
                             finder_name="criteria",
                             query_params={"campaigns": [f"urn:li:sponsoredCampaign:{campaign_id}"]},
                             access_token=TOKEN, version_string=DEFAULT_API_VERSION)
    assert response.status_code == 200
    assert sorted(c["id"].rsplit(":", 1)[1] for c in response.elements) == [r[0] for r in query(
        loaded, f"select creative_id from creatives where campaign_id = '{campaign_id}' order by 1")]


@pytest.mark.parametrize(("pivot", "table", "key", "fewest"), [("CAMPAIGN", "campaign_stats", "campaign_id", 21),
                                                               ("CREATIVE", "creative_stats", "creative_id", 21),
                                                               ("ACCOUNT", "account_stats", "account_id", 7)])
def test_ad_analytics_matches_the_connector(client: RestliClient, loaded: dlt.Pipeline, pivot, table, key,
                                            fewest) -> None:
    response = client.finder(
        resource_path="/adAnalytics", finder_name="analytics", access_token=TOKEN, version_string=DEFAULT_API_VERSION,
        query_params={"pivot": pivot, "timeGranularity": "DAILY",
                      "dateRange": {"start": restli_day(START), "end": restli_day(END)},
                      "accounts": [f"urn:li:sponsoredAccount:{ACCOUNT_ID}"], "fields": ",".join(ANALYTICS_FIELDS)})
    assert response.status_code == 200, response.response.text
    read = {(e["pivotValues"][0].rsplit(":", 1)[1],
             f"{e['dateRange']['start']['year']:04d}-{e['dateRange']['start']['month']:02d}-"
             f"{e['dateRange']['start']['day']:02d}"):
            (e["impressions"], e["clicks"], Decimal(e["costInLocalCurrency"]), e["externalWebsiteConversions"],
             Decimal(e["conversionValueInLocalCurrency"])) for e in response.elements}
    warehouse = {(r[0], r[1].isoformat()): tuple(r[2:]) for r in query(loaded, f"""
        select {key}, date_day, impressions, clicks, cost_in_local_currency, external_website_conversions,
               conversion_value_in_local_currency from {table}""")}
    assert read == warehouse and len(read) >= fewest


def test_a_wrong_token_is_answered_in_linkedins_error_shape(client: RestliClient) -> None:
    response = client.get(resource_path="/adAccounts/{id}", path_keys={"id": int(ACCOUNT_ID)}, access_token="wrong",
                          version_string=DEFAULT_API_VERSION)
    assert response.status_code == 401
    assert response.entity == {"status": 401, "serviceErrorCode": 65600, "code": "INVALID_ACCESS_TOKEN",
                               "message": "Invalid access token"}
