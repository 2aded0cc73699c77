"""LinkedIn Ads (Marketing API): ad accounts, campaign groups, campaigns, creatives, and daily adAnalytics
by campaign, by creative and by account (the account's own totals, that campaign rows are reconciled
against).

Settings come through dlt injection: `SOURCES__LINKEDIN_ADS__<KEY>` and
`SOURCES__LINKEDIN_ADS__CREDENTIALS__ACCESS_TOKEN`. Calling the source validates them and does no I/O.
Each account's campaign groups, campaigns and creatives are read once (cursor-paged search finders) and
shared: they load their tables and size the analytics calls. adAnalytics does not page and caps an answer
at 15,000 elements, so each account's window is read in chunks of at most `chunk_days` days and at most
15,000 / (its campaigns or creatives) days; a chunk LinkedIn still finds too large is halved until it fits.

The industry's vocabulary, applied in staging: a campaign group is a campaign, a LinkedIn campaign is an
ad group, a creative is an ad. `campaign_stats` (pivot CAMPAIGN) is therefore ad-group level; the staging
model `linkedin_ads__campaign_stats` sums it per campaign group and day.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.configuration import configspec
from dlt.extract.resource import DltResource

from connectors.common import progress
from connectors.common import settings as check
from connectors.common.credentials import AccessTokenCredentials
from connectors.common.errors import ConfigurationError
from connectors.common.prefetch import BATCH_ROWS, batched_tables, ordered_map
from connectors.common.spec import FreshnessRule, Mode, QuarantineRule, Setting, SourceSpec
from connectors.common.tables import Table
from connectors.common.window import DateWindow
from connectors.linkedin_ads.helpers import (
    Catalog,
    LinkedInApi,
    Quarantine,
    account_table,
    days_per_call,
    entity_table,
    stats_table,
)
from connectors.linkedin_ads.settings import (
    ACCOUNT_URN,
    ACCOUNTS,
    CAMPAIGN_GROUPS,
    CAMPAIGNS,
    CREATIVES,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_CHUNK_DAYS,
    DEFAULT_CONCURRENT_REQUESTS,
    DEFAULT_LOOKBACK_DAYS,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    QUARANTINE,
    SOURCE,
    STATS_TABLES,
    TABLES,
)

__all__ = ["SPEC", "LinkedInAdsCredentials", "linkedin_ads_source"]


@configspec
class LinkedInAdsCredentials(AccessTokenCredentials):
    """A member's OAuth 2.0 access token with the r_ads and r_ads_reporting scopes."""


def _api_version(value: Any) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    year, month, release = text[:4], text[4:6], text[6:]
    if not (len(text) in (6, 9) and (year + month).isdigit() and 1 <= int(month or 0) <= 12
            and (not release or (release[0] == "." and release[1:].isdigit()))):
        raise ConfigurationError(SOURCE, "api_version", "must be a LinkedIn-Version, YYYYMM or YYYYMM.RR (e.g. 202603)")
    return text


# Entity tables: what each account's finder reads, loaded by `entity_table`.
_FINDERS = {CAMPAIGN_GROUPS.name: "campaign_groups", CAMPAIGNS.name: "campaigns", CREATIVES.name: "creatives"}
# Which catalog list sizes each pivot's calls: one row per entity and day at most. Pivot ACCOUNT answers
# one row a day for the one account asked about.
_SIZED_BY = {"CAMPAIGN": "campaigns", "CREATIVE": "creatives"}


@dlt.source(name=SOURCE, section=SOURCE)
def linkedin_ads_source(
    account_ids: str | list[str] | None = dlt.config.value,
    base_url: str = DEFAULT_BASE_URL,
    api_version: str = DEFAULT_API_VERSION,
    credentials: LinkedInAdsCredentials = dlt.secrets.value,
    start_date: str | None = None,
    end_date: str | None = None,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    chunk_days: int = DEFAULT_CHUNK_DAYS,
    page_size: int = DEFAULT_PAGE_SIZE,
    concurrent_requests: int = DEFAULT_CONCURRENT_REQUESTS,
) -> Sequence[DltResource]:
    ids = check.id_list(SOURCE, "account_ids", account_ids, example="507000001 or urn:li:sponsoredAccount:507000001",
                        prefix=ACCOUNT_URN)
    version = _api_version(api_version)
    window = check.date_window(SOURCE, start_date, end_date, lookback_days)
    chunk_days = check.days(SOURCE, "chunk_days", chunk_days, minimum=1)
    page_size = check.whole_number(SOURCE, "page_size", page_size, 1, MAX_PAGE_SIZE)
    concurrency = check.concurrency(SOURCE, concurrent_requests)
    token = check.secret(SOURCE, "credentials.access_token",
                         credentials if isinstance(credentials, str) else getattr(credentials, "access_token", None))
    api = LinkedInApi(check.url(SOURCE, "base_url", base_url), token, version, page_size)
    catalog = Catalog(api)
    quarantine = Quarantine()
    resources = [_accounts(api, ids, concurrency)]
    resources += [_entities(table, catalog, ids) for table in (CAMPAIGN_GROUPS, CAMPAIGNS, CREATIVES)]
    analytics = _analytics(api, catalog, ids, window, chunk_days, concurrency, quarantine)
    resources += [_routed(analytics, table, window) for table in (*STATS_TABLES.values(), QUARANTINE)]
    return resources


def _counted(table: pa.Table) -> pa.Table:
    progress.add_rows(SOURCE, table.num_rows)
    return table


def _accounts(api: LinkedInApi, ids: list[str], concurrency: int) -> DltResource:
    def fetch() -> Iterator[pa.Table]:
        yield from ordered_map(lambda account_id: _counted(account_table(ACCOUNTS, account_id,
                                                                         api.ad_account(account_id))),
                               ids, concurrency)

    return dlt.resource(fetch, **ACCOUNTS.resource_hints())


def _entities(table: Table, catalog: Catalog, ids: list[str]) -> DltResource:
    def fetch() -> Iterator[pa.Table]:
        for account_id in ids:
            yield _counted(entity_table(table, account_id, catalog.elements(_FINDERS[table.name], account_id)))

    return dlt.resource(fetch, **table.resource_hints())


@dataclass(frozen=True)
class _Batch:
    """A table for one of the analytics tables, on its way from the shared analytics reader."""

    table: str
    data: pa.Table


def _analytics(api: LinkedInApi, catalog: Catalog, ids: list[str], window: DateWindow, chunk_days: int,
               concurrency: int, quarantine: Quarantine) -> DltResource:
    """Reads adAnalytics for each pivot, and hands each page to the table it fills: the stats tables and
    the quarantine of the values they set aside. Not loaded itself (its transformers are)."""

    def calls(pivot: str) -> Iterator[tuple[str, date, date]]:
        for account_id in ids:
            sized_by = _SIZED_BY.get(pivot)
            entities = len(catalog.elements(sized_by, account_id)) if sized_by else 1
            for start, end in window.chunks(days_per_call(entities, chunk_days, api.element_cap)):
                yield account_id, start, end

    def fetch() -> Iterator[_Batch]:
        # An empty quarantine first, so the raw table exists (and staging can read it) before anything is bad.
        yield _Batch(QUARANTINE.name, QUARANTINE.empty())
        for pivot, table in STATS_TABLES.items():
            def fetch_one(call: tuple[str, date, date], pivot: str = pivot) -> pa.Table:
                account_id, start, end = call
                window = DateWindow(start, end)
                tables = [stats_table(pivot, account_id, answer, quarantine, window)
                          for answer in api.analytics_split(pivot, account_id, start, end)]
                return _counted(tables[0] if len(tables) == 1 else pa.concat_tables(tables))

            tables = (t for t in ordered_map(fetch_one, calls(pivot), concurrency) if t.num_rows)
            for batch in batched_tables(tables, BATCH_ROWS):
                yield _Batch(table.name, batch)
            rows = quarantine.take()
            if rows is not None:
                yield _Batch(QUARANTINE.name, _counted(rows))

    return dlt.resource(fetch, name="_analytics", selected=False)


def _routed(analytics: DltResource, table: Table, window: DateWindow) -> DltResource:
    def route(batch: _Batch) -> Iterator[pa.Table]:
        if batch.table == table.name:
            yield batch.data

    return dlt.transformer(route, data_from=analytics, **table.resource_hints(window=window))


SPEC = SourceSpec(
    name=SOURCE,
    label="LinkedIn Ads",
    domain="ads",
    mode=Mode.WINDOWED,
    source=linkedin_ads_source,
    tables=TABLES,
    settings=(
        Setting("base_url", "API root; paths are /rest/... under it (the version travels in a header)",
                default=DEFAULT_BASE_URL),
        Setting("account_ids", "comma list of numeric sponsored ad account ids (urn:li:sponsoredAccount: "
                "prefixes are stripped)", required=True),
        Setting("credentials.access_token", "OAuth 2.0 access token with the r_ads and r_ads_reporting scopes",
                required=True, secret=True),
        Setting("api_version", "Marketing API version sent as LinkedIn-Version (YYYYMM)", default=DEFAULT_API_VERSION),
        Setting("chunk_days", "most days per adAnalytics call (fewer when campaigns x days could pass 15,000 rows)",
                default=DEFAULT_CHUNK_DAYS),
        Setting("page_size", f"search finders' pageSize (1-{MAX_PAGE_SIZE})", default=DEFAULT_PAGE_SIZE),
        Setting("concurrent_requests", "1-8: calls in flight while earlier responses are decoded",
                default=DEFAULT_CONCURRENT_REQUESTS),
    ),
    fake="sandbox.linkedin_ads",
    lookback_days=DEFAULT_LOOKBACK_DAYS,
    freshness=FreshnessRule("campaign_stats", "date_day"),
    quarantine=QuarantineRule(),
    description="Each ad account's name and currency (`/rest/adAccounts/{id}`; LinkedIn reports days in UTC), "
                "its campaign groups, campaigns and creatives (cursor-paged search finders), and daily "
                "`/rest/adAnalytics?q=analytics` by CAMPAIGN, by CREATIVE and by ACCOUNT (impressions, clicks, "
                "`costInLocalCurrency`, `externalWebsiteConversions`, `conversionValueInLocalCurrency`; the "
                "account's own totals are what campaign rows are reconciled against), "
                "Rest.li 2.0 with `LinkedIn-Version`. adAnalytics does not page and caps an answer at 15,000 "
                "elements, so windows are split. Mapped as the industry does: campaign group = campaign, "
                "campaign = ad group, creative = ad. The 30-day lookback follows LinkedIn's default 30-day "
                "post-click conversion window (and its later removal of invalid clicks). A metric that is "
                "not a number loads as NULL with a row in `raw_linkedin_ads.quarantine` naming the record "
                "and field.",
    needs=("fx",),
)
