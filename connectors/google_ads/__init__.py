"""Google Ads: customers, ads with their landing pages, and daily account, campaign, ad group and ad stats, read
with GAQL over REST searchStream.

Settings come through dlt injection, so the environment names are `SOURCES__GOOGLE_ADS__<KEY>` and
`SOURCES__GOOGLE_ADS__CREDENTIALS__<KEY>`. Calling the source validates them and does no I/O; each
resource fetches lazily, one searchStream per customer and date chunk, a few in flight at once
(`concurrent_requests`), their Arrow tables batched in order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

import dlt
import pyarrow as pa
from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue
from dlt.extract.resource import DltResource

from connectors.common import progress
from connectors.common import settings as check
from connectors.common.prefetch import BATCH_ROWS, batched_tables, ordered_map
from connectors.common.spec import FreshnessRule, Mode, Setting, SourceSpec
from connectors.common.window import DateWindow
from connectors.google_ads.helpers import GoogleAdsApi
from connectors.google_ads.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_CHUNK_DAYS,
    DEFAULT_CONCURRENT_REQUESTS,
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_TOKEN_URL,
    REPORTS,
    SOURCE,
    Report,
)

__all__ = ["SPEC", "GoogleAdsCredentials", "google_ads_source"]


@configspec
class GoogleAdsCredentials(CredentialsConfiguration):
    developer_token: TSecretStrValue = None
    client_id: TSecretStrValue = None
    client_secret: TSecretStrValue = None
    refresh_token: TSecretStrValue = None


@dlt.source(name=SOURCE, section=SOURCE)
def google_ads_source(
    # Optional so a missing value reaches our validation and fails as a ConfigurationError.
    customer_ids: str | list[str] | None = dlt.config.value,
    login_customer_id: str | None = None,
    base_url: str = DEFAULT_BASE_URL,
    token_url: str = DEFAULT_TOKEN_URL,
    credentials: GoogleAdsCredentials = dlt.secrets.value,
    start_date: str | None = None,
    end_date: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    concurrent_requests: int = DEFAULT_CONCURRENT_REQUESTS,
) -> Sequence[DltResource]:
    ids = check.id_list(SOURCE, "customer_ids", customer_ids, example="123-456-7890", dashes=True)
    login_id = check.optional_id(SOURCE, "login_customer_id", login_customer_id, example="123-456-7890",
                                 dashes=True)
    window = check.date_window(SOURCE, start_date, end_date, lookback_days)
    chunk_days = check.days(SOURCE, "chunk_days", chunk_days, minimum=1)
    concurrency = check.concurrency(SOURCE, concurrent_requests)
    secrets = check.secrets(SOURCE, credentials, ("developer_token", "client_id", "client_secret", "refresh_token"))
    api = GoogleAdsApi(check.url(SOURCE, "base_url", base_url), check.url(SOURCE, "token_url", token_url),
                       login_customer_id=login_id, **secrets)
    return [_resource(report, api, ids, window, chunk_days, concurrency) for report in REPORTS]


def _resource(report: Report, api: GoogleAdsApi, customer_ids: list[str], window: DateWindow, chunk_days: int,
              concurrency: int) -> DltResource:
    calls = [(customer_id, start, end) for customer_id in customer_ids
             for start, end in (window.chunks(chunk_days) if report.dated else [(None, None)])]

    def fetch_one(call: tuple[str, date | None, date | None]) -> pa.Table:
        table = api.fetch_table(report, *call)
        progress.add_rows(SOURCE, table.num_rows)
        return table

    def fetch() -> Iterator[pa.Table]:
        tables = (t for t in ordered_map(fetch_one, calls, concurrency) if t.num_rows)
        yield from batched_tables(tables, BATCH_ROWS)

    return dlt.resource(fetch, **report.table.resource_hints(window=window))


SPEC = SourceSpec(
    name=SOURCE,
    label="Google Ads",
    domain="ads",
    mode=Mode.WINDOWED,
    source=google_ads_source,
    tables=tuple(report.table for report in REPORTS),
    settings=(
        Setting("base_url", "API root, with its version", default=DEFAULT_BASE_URL),
        Setting("token_url", "OAuth token endpoint", default=DEFAULT_TOKEN_URL),
        Setting("customer_ids", "comma list of customer ids, dashes allowed", required=True),
        Setting("login_customer_id", "manager account id, when access goes through one"),
        Setting("credentials.developer_token", "developer token", required=True, secret=True),
        Setting("credentials.client_id", "OAuth client id", required=True, secret=True),
        Setting("credentials.client_secret", "OAuth client secret", required=True, secret=True),
        Setting("credentials.refresh_token", "refresh token with the adwords scope", required=True, secret=True),
        Setting("concurrent_requests", "1-8: calls in flight while earlier responses are decoded",
                default=DEFAULT_CONCURRENT_REQUESTS),
    ),
    fake="sandbox.google_ads",
    lookback_days=DEFAULT_LOOKBACK_DAYS,
    freshness=FreshnessRule("campaign_stats", "date_day"),
    description="Campaign-, ad-group- and ad-level (`FROM ad_group_ad`) daily metrics (`cost_micros`, impressions, "
                "clicks, conversions, conversions_value), the same metrics at account level (`FROM customer`, the "
                "totals campaign rows are reconciled against), every ad's first final URL, tracking template and "
                "final URL suffixes, and each customer's currency and time zone through REST "
                "`customers/{id}/googleAds:searchStream`, one call per customer per 31-day chunk. Follows the "
                "proto3 JSON mapping (lowerCamelCase, int64 as strings, unset fields absent); micros become "
                "currency units exactly.",
    needs=("fx",),
)
