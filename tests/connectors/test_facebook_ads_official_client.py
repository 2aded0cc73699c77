"""Meta's own Python client (facebook-business) reads the fake, and sees what the connector loads.

The SDK builds every URL from its session's `GRAPH` attribute (`FacebookSession.GRAPH`, the Graph
host without a trailing slash) and the API version, and sends the access token as the
`access_token` parameter: pointing `GRAPH` at the sandbox is all it takes. If the SDK cannot parse
an answer, page through it with its cursors, or run a report asynchronously, the fake strays from
Meta's wire format.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import dlt
import pytest
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.adreportrun import AdReportRun
from facebook_business.adobjects.adsinsights import AdsInsights
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

import sandbox.facebook_ads as fake
from connectors.facebook_ads import facebook_ads_source
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY, point_sources_at

START, END = date(2026, 7, 1), date(2026, 7, 9)
FIELDS = [AdsInsights.Field.campaign_id, AdsInsights.Field.campaign_name, AdsInsights.Field.adset_id,
          AdsInsights.Field.spend, AdsInsights.Field.impressions, AdsInsights.Field.clicks,
          AdsInsights.Field.actions, AdsInsights.Field.action_values]


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(world=World(today=TODAY, history_days=200), faults=Faults(), sources=["facebook_ads"]) as running:
        yield running


@pytest.fixture(scope="module")
def api(server: SandboxServer) -> FacebookAdsApi:
    client = FacebookAdsApi.init(access_token=fake.ACCESS_TOKEN, api_version=fake.API_VERSION)
    client._session.GRAPH = server.url
    return client


@pytest.fixture(scope="module")
def loaded(server: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple, tuple]:
    """What the connector loads for the window: ad set rows by (account, ad set, day)."""
    with pytest.MonkeyPatch.context() as patch:
        point_sources_at(server, patch)
        path = tmp_path_factory.mktemp("fb")
        pipeline = dlt.pipeline(pipeline_name="facebook_ads_official", pipelines_dir=str(path / "pl"),
                                destination=dlt.destinations.duckdb(str(path / "w.duckdb")),
                                dataset_name="raw_facebook_ads")
        pipeline.run(facebook_ads_source(start_date=START, end_date=END, lookback_days=0))
        with pipeline.sql_client() as client:
            rows = client.execute_sql("select account_id, adset_id, date_day, campaign_id, spend, impressions, "
                                      "clicks, conversions, conversions_value from ad_group_stats")
    return {tuple(r[:3]): tuple(r[3:]) for r in rows}


def _params(level: str, limit: int) -> dict:
    return {"level": level, "time_range": {"since": START.isoformat(), "until": END.isoformat()},
            "time_increment": "1", "action_attribution_windows": ["7d_click", "1d_view"], "limit": limit}


def _as_loaded(account_id: str, row: AdsInsights) -> tuple[tuple, tuple]:
    actions = {a["action_type"]: Decimal(a["value"]) for a in row.get("actions", [])}
    values = {a["action_type"]: Decimal(a["value"]) for a in row.get("action_values", [])}
    assert row["date_start"] == row["date_stop"]
    return ((account_id, row["adset_id"], date.fromisoformat(row["date_start"])),
            (row["campaign_id"], Decimal(row["spend"]), int(row["impressions"]), int(row["clicks"]),
             actions.get("omni_purchase", 0) + actions.get("lead", 0), values.get("omni_purchase", 0)))


def test_the_sdk_reads_each_account(api: FacebookAdsApi) -> None:
    for account in fake.ACCOUNTS:
        node = AdAccount(f"act_{account.customer_id}", api=api).api_get(
            fields=[AdAccount.Field.name, AdAccount.Field.currency, AdAccount.Field.timezone_name,
                    AdAccount.Field.account_id])
        assert (node[AdAccount.Field.account_id], node[AdAccount.Field.name], node[AdAccount.Field.currency],
                node[AdAccount.Field.timezone_name]) == (account.customer_id, account.name, account.currency_code,
                                                         account.time_zone)
        campaigns = AdAccount(f"act_{account.customer_id}", api=api).get_campaigns(
            fields=["name", "effective_status"], params={"limit": 1})
        assert [(c["id"], c["name"], c["effective_status"]) for c in campaigns] == [
            (c.campaign_id, c.name, "ACTIVE") for c in account.campaigns]


def test_the_sdk_pages_insights_with_its_cursor_and_sees_what_the_connector_loads(
        api: FacebookAdsApi, loaded: dict[tuple, tuple]) -> None:
    seen = {}
    for account in fake.ACCOUNTS:
        # A small page, so the SDK's cursor follows `after` through many pages.
        cursor = AdAccount(f"act_{account.customer_id}", api=api).get_insights(fields=FIELDS,
                                                                               params=_params("adset", 7))
        for row in cursor:
            key, values = _as_loaded(account.customer_id, row)
            assert key not in seen
            seen[key] = values
    assert seen == loaded and len(seen) > 7 * len(fake.ACCOUNTS)


def test_the_sdk_runs_a_report_asynchronously(api: FacebookAdsApi, loaded: dict[tuple, tuple]) -> None:
    seen = {}
    for account in fake.ACCOUNTS:
        job = AdAccount(f"act_{account.customer_id}", api=api).get_insights_async(
            fields=FIELDS, params=_params("adset", 500))
        deadline = time.monotonic() + 10
        while True:
            job = job.api_get()
            if job[AdReportRun.Field.async_status] == "Job Completed":
                break
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert job[AdReportRun.Field.async_percent_completion] == 100
        for row in job.get_result(params={"limit": 11}):
            key, values = _as_loaded(account.customer_id, row)
            seen[key] = values
    assert seen == loaded


def test_the_sdk_reads_account_level_totals_that_the_ad_sets_add_up_to(
        api: FacebookAdsApi, loaded: dict[tuple, tuple]) -> None:
    sums: dict[tuple, list] = {}
    for (account_id, _, day), (_, *values) in loaded.items():
        total = sums.setdefault((account_id, day), [0] * 5)
        for i, value in enumerate(values):
            total[i] += value
    seen = {}
    fields = [AdsInsights.Field.account_id, AdsInsights.Field.spend, AdsInsights.Field.impressions,
              AdsInsights.Field.clicks, AdsInsights.Field.actions, AdsInsights.Field.action_values]
    for account in fake.ACCOUNTS:
        cursor = AdAccount(f"act_{account.customer_id}", api=api).get_insights(
            fields=fields, params=_params(AdsInsights.Level.account, 4))
        for row in cursor:
            assert row["account_id"] == account.customer_id and "campaign_id" not in row
            actions = {a["action_type"]: Decimal(a["value"]) for a in row.get("actions", [])}
            values = {a["action_type"]: Decimal(a["value"]) for a in row.get("action_values", [])}
            seen[(account.customer_id, date.fromisoformat(row["date_start"]))] = [
                Decimal(row["spend"]), int(row["impressions"]), int(row["clicks"]),
                actions.get("omni_purchase", 0) + actions.get("lead", 0), values.get("omni_purchase", 0)]
    assert seen == sums and len(seen) == 9 * len(fake.ACCOUNTS)


def test_the_sdk_reads_metas_error_bodies(api: FacebookAdsApi, server: SandboxServer) -> None:
    with pytest.raises(FacebookRequestError) as info:
        AdAccount("act_999", api=api).api_get(fields=["name"])
    assert info.value.api_error_code() == 100 and info.value.api_error_subcode() == 33
    assert info.value.api_error_type() == "GraphMethodException"
    server.state.faults.push("facebook_ads", "throttle_user")
    with pytest.raises(FacebookRequestError) as info:
        AdAccount(f"act_{fake.ACCOUNTS[0].customer_id}", api=api).api_get(fields=["name"])
    assert (info.value.api_error_code(), info.value.api_error_subcode()) == (17, 2446079)
    assert "X-Business-Use-Case-Usage" in info.value.http_headers()
