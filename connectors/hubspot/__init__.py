"""HubSpot CRM source: contacts, deals, their contact associations, and a quarantine of bad values.

The first run (no cursor state) or `full_refresh=True` reads the list endpoints. Later runs read
only what changed, through the search API filtered on the last-modified property and reaching back
`lookback_days` before the stored cursor (search indexing lags writes by seconds to minutes, and a
record can be modified while a run pages). Re-read records merge on their id.

Calling the source does no I/O; all HTTP happens while its resources are iterated.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.configuration.specs import configspec
from dlt.extract import DltResource

from connectors.common import progress
from connectors.common import settings as check
from connectors.common.credentials import AccessTokenCredentials
from connectors.common.prefetch import BATCH_ROWS, batched_tables
from connectors.common.spec import FreshnessRule, Mode, QuarantineRule, Setting, SourceSpec
from connectors.hubspot.helpers import HubspotApi
from connectors.hubspot.settings import (
    CONTACT_PROPERTIES,
    CONTACTS,
    CONTACTS_TABLE,
    DEAL_CONTACTS_TABLE,
    DEAL_PROPERTIES,
    DEALS,
    DEALS_TABLE,
    DEFAULT_BASE_URL,
    DEFAULT_CONCURRENT_REQUESTS,
    LIST_PAGE_MAX,
    MODIFIED_PROPERTY,
    QUARANTINE_TABLE,
    SEARCH_PAGE_MAX,
    SOURCE,
    TABLES,
)
from connectors.hubspot.tables import Quarantine, contacts_table, deal_contacts_table, deals_table

log = logging.getLogger("funnelhouse.connectors.hubspot")

__all__ = ["SPEC", "HubspotCredentials", "hubspot_source"]


@configspec
class HubspotCredentials(AccessTokenCredentials):
    """A private app access token, sent as `Authorization: Bearer`."""


def _changed_pages(api: HubspotApi, object_type: str, properties: Sequence[str], modified: Any,
                   full_refresh: bool, page_size: int, search_page_size: int,
                   associations: Sequence[str] = (), prefetch: bool = False,
                   ) -> Iterator[tuple[bool, list[dict[str, Any]]]]:
    """Pages of records to load, each flagged with whether it came from the list endpoint."""
    if full_refresh or modified.start_value is None:
        if full_refresh:
            # dlt would drop rows older than the stored cursor; a full refresh wants every row.
            modified.start_value = None
        log.info("%s: %s: full read through the list endpoint", SOURCE, object_type)
        for page in api.list_pages(object_type, properties, page_size, associations, prefetch=prefetch):
            yield True, page
        return
    since: datetime = modified.start_value
    log.info("%s: %s: reading changes since %s through the search API", SOURCE, object_type, since.isoformat())
    for page in api.search_modified_since(object_type, since, properties, search_page_size):
        yield False, page


# Defaults that show dlt the cursor column; the source passes copies carrying the lookback as lag.
_CONTACTS_CURSOR = dlt.sources.incremental(MODIFIED_PROPERTY[CONTACTS])
_DEALS_CURSOR = dlt.sources.incremental(MODIFIED_PROPERTY[DEALS])


def _contacts(api: HubspotApi, full_refresh: bool, page_size: int, search_page_size: int, prefetch: bool,
              modified: dlt.sources.incremental[datetime] = _CONTACTS_CURSOR) -> Iterator[pa.Table]:
    def tables() -> Iterator[pa.Table]:
        for _, page in _changed_pages(api, CONTACTS, CONTACT_PROPERTIES, modified, full_refresh, page_size,
                                      search_page_size, prefetch=prefetch):
            table = contacts_table(page)
            progress.add_rows(SOURCE, table.num_rows)
            yield table

    yield from batched_tables(tables(), BATCH_ROWS)


def _deals(api: HubspotApi, full_refresh: bool, page_size: int, search_page_size: int, prefetch: bool,
           quarantine: Quarantine, listed_contacts: dict[str, list[str]],
           modified: dlt.sources.incremental[datetime] = _DEALS_CURSOR) -> Iterator[pa.Table]:
    def tables() -> Iterator[pa.Table]:
        for from_list, page in _changed_pages(api, DEALS, DEAL_PROPERTIES, modified, full_refresh, page_size,
                                              search_page_size, associations=(CONTACTS,), prefetch=prefetch):
            if from_list:
                for record in page:
                    block = ((record.get("associations") or {}).get(CONTACTS)) or {}
                    # A block with more pages is left for the batch endpoint to read in full.
                    if not (block.get("paging") or {}).get("next"):
                        listed_contacts[str(record["id"])] = [str(a["id"]) for a in block.get("results") or []]
            table = deals_table(page, quarantine)
            progress.add_rows(SOURCE, table.num_rows)
            yield table

    yield from batched_tables(tables(), BATCH_ROWS)


@dlt.source(name=SOURCE, section=SOURCE)
def hubspot_source(
    base_url: str = DEFAULT_BASE_URL,
    credentials: HubspotCredentials = dlt.secrets.value,
    full_refresh: bool = False,
    lookback_days: int = 1,
    page_size: int = 100,
    search_page_size: int = SEARCH_PAGE_MAX,
    concurrent_requests: int = DEFAULT_CONCURRENT_REQUESTS,
) -> Sequence[DltResource]:
    """HubSpot CRM contacts, deals and deal-contact associations into `raw_hubspot`.

    `page_size` is the list endpoint's page (at most 100), `search_page_size` the search API's
    (at most 200). `lookback_days` re-reads that many days before the stored cursor.
    `concurrent_requests` above 1 fetches the next list page while the current one is decoded.
    """
    base_url = check.url(SOURCE, "base_url", base_url)
    # A plain string stands for the token (SOURCES__HUBSPOT__CREDENTIALS=<token>).
    token = check.secret(SOURCE, "credentials.access_token",
                         credentials if isinstance(credentials, str) else getattr(credentials, "access_token", None))
    full_refresh = check.boolean(SOURCE, "full_refresh", full_refresh)
    lookback_days = check.days(SOURCE, "lookback_days", lookback_days)
    page_size = check.whole_number(SOURCE, "page_size", page_size, 1, LIST_PAGE_MAX)
    search_page_size = check.whole_number(SOURCE, "search_page_size", search_page_size, 1, SEARCH_PAGE_MAX)
    prefetch = check.concurrency(SOURCE, concurrent_requests) > 1
    api = HubspotApi(base_url, token)
    lag = float(lookback_days * 86_400) or None
    quarantine = Quarantine()
    # Contact ids that arrived inline with listed deals; deals read through search have none.
    listed_contacts: dict[str, list[str]] = {}

    contacts = dlt.resource(_contacts, **CONTACTS_TABLE.resource_hints())(
        api, full_refresh, page_size, search_page_size, prefetch,
      modified=dlt.sources.incremental(MODIFIED_PROPERTY[CONTACTS], lag=lag))

    deals = dlt.resource(_deals, **DEALS_TABLE.resource_hints())(
        api, full_refresh, page_size, search_page_size, prefetch, quarantine, listed_contacts,
      modified=dlt.sources.incremental(MODIFIED_PROPERTY[DEALS], lag=lag))

    @dlt.transformer(data_from=deals, **DEAL_CONTACTS_TABLE.resource_hints())
    def deal_contacts(deals_page: pa.Table) -> Iterator[pa.Table]:
        # Runs on the deals that survived the incremental filter, so each loaded deal's set is replaced.
        deal_ids = deals_page.column("id").to_pylist()
        known = {d: listed_contacts.pop(d) for d in deal_ids if d in listed_contacts}
        missing = [d for d in deal_ids if d not in known]
        if missing:
            known.update(api.deal_contact_ids(missing))
        table = deal_contacts_table([(d, c) for d, cs in known.items() for c in cs])
        if table.num_rows:
            progress.add_rows(SOURCE, table.num_rows)
            yield table

    @dlt.transformer(data_from=deals, **QUARANTINE_TABLE.resource_hints())
    def quarantined(deals_page: pa.Table) -> Iterator[pa.Table]:
        table = quarantine.take(deals_page.column("id").to_pylist())
        if table is None and not quarantine.table_announced:
            # An empty table once, so the raw table exists (and staging can read it) before anything is bad.
            table = quarantine.empty()
        if table is not None:
            quarantine.table_announced = True
            yield table

    return contacts, deals, deal_contacts, quarantined


SPEC = SourceSpec(
    name=SOURCE,
    label="HubSpot",
    domain="crm",
    mode=Mode.CURSOR,
    source=hubspot_source,
    tables=TABLES,
    settings=(
        Setting("base_url", "API root", default=DEFAULT_BASE_URL),
        Setting("credentials.access_token", "private app token (scopes crm.objects.contacts.read, "
                "crm.objects.deals.read)", required=True, secret=True),
        Setting("concurrent_requests", "1-8: above 1, the next list page is fetched while the current one is "
                "decoded", default=DEFAULT_CONCURRENT_REQUESTS),
        Setting("lookback_days", "days re-read before the stored cursor", default=1),
        Setting("full_refresh", "read every record through the list endpoints", default=False),
    ),
    fake="sandbox.hubspot",
    freshness=FreshnessRule("contacts", "updated_at"),
    quarantine=QuarantineRule(),
    description="CRM v3 contacts (with their first- and latest-touch analytics properties) and deals with their contact "
                "associations. The first run (or `full_refresh`) reads the list endpoints; later runs are "
                "incremental on last-modified through the search API, restarting below its 10,000-result "
                "ceiling, with associations from the v4 batch endpoint. A deal whose amount is not a number "
                "loads with a NULL amount and a row in `raw_hubspot.quarantine` naming the record and field.",
    needs=("fx",),
)
