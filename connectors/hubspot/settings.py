"""HubSpot fields, keys, table shapes and the API limits the connector plans around."""

from __future__ import annotations

from connectors.common.http import RetryPolicy
from connectors.common.tables import Column, Table

SOURCE = "hubspot"
DEFAULT_BASE_URL = "https://api.hubapi.com"

CONTACTS = "contacts"
DEALS = "deals"

CONTACT_PROPERTIES = (
    "email", "firstname", "lastname", "createdate", "lastmodifieddate",
    "hs_analytics_source", "hs_analytics_source_data_1", "hs_analytics_source_data_2", "hs_analytics_first_url",
    # The latest session's source ("Latest traffic source" and its drill-downs, with its date) and
    # the last page seen: the contact's last touch.
    "hs_latest_source", "hs_latest_source_data_1", "hs_latest_source_data_2", "hs_latest_source_timestamp",
    "hs_analytics_last_url",
    "lifecyclestage", *(f"hs_lifecyclestage_{stage}_date" for stage in (
        "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")),
)
# When the contact first entered each of these lifecycle stages (set by HubSpot, kept if the stage moves back).
LIFECYCLE_DATE_PROPERTIES = CONTACT_PROPERTIES[-4:]
DEAL_PROPERTIES = (
    "dealname", "amount", "deal_currency_code", "dealstage", "pipeline", "createdate", "closedate",
    "hs_lastmodifieddate", "hs_is_closed", "hs_is_closed_won",
)
# The last-modified property differs per object; search filters and sorts on it.
MODIFIED_PROPERTY = {CONTACTS: "lastmodifieddate", DEALS: "hs_lastmodifieddate"}

# Documented limits.
LIST_PAGE_MAX = 100
SEARCH_PAGE_MAX = 200
# A search query serves at most this many results; paging past it is a 400.
SEARCH_RESULT_CEILING = 10_000
# Search has its own per-second limit (5/s per account today, 4/s before): stay under the older one.
SEARCH_REQUESTS_PER_SECOND = 4.0
ASSOCIATION_BATCH_MAX = 100
# List pages are cursor-paged, so at most the next one can be in flight: 2 means one ahead, well
# inside the burst limit (100+ requests per 10 s); 1 turns prefetching off.
DEFAULT_CONCURRENT_REQUESTS = 2

# A TEN_SECONDLY_ROLLING 429 clears within ten seconds: six attempts with doubling backoff reach past it.
RETRY_POLICY = RetryPolicy()

def _columns(*specs: tuple[str, str] | tuple[str, str, bool]) -> tuple[Column, ...]:
    return tuple(Column(name, kind, *rest) for name, kind, *rest in specs)


CONTACTS_TABLE = Table(
    CONTACTS,
    _columns(
        ("id", "text", False), ("email", "text"), ("firstname", "text"), ("lastname", "text"),
        ("createdate", "timestamp"), ("lastmodifieddate", "timestamp"), ("hs_analytics_source", "text"),
        ("hs_analytics_source_data_1", "text"), ("hs_analytics_source_data_2", "text"),
        ("hs_analytics_first_url", "text"), ("archived", "bool"), ("lifecyclestage", "text"),
        *((name, "timestamp") for name in LIFECYCLE_DATE_PROPERTIES), ("hs_latest_source", "text"),
        ("hs_latest_source_data_1", "text"), ("hs_latest_source_data_2", "text"),
        ("hs_latest_source_timestamp", "timestamp"), ("hs_analytics_last_url", "text"),
    ),
    primary_key=("id",),
    description="CRM v3 contacts with their first- and latest-touch analytics properties, lifecycle stage and "
                "the dates they entered its stages.",
)

DEALS_TABLE = Table(
    DEALS,
    _columns(
        ("id", "text", False), ("dealname", "text"), ("amount", "decimal(38,6)"), ("deal_currency_code", "text"),
        ("dealstage", "text"), ("pipeline", "text"), ("createdate", "timestamp"), ("closedate", "timestamp"),
        ("hs_lastmodifieddate", "timestamp"), ("hs_is_closed", "bool"), ("hs_is_closed_won", "bool"),
        ("archived", "bool"),
    ),
    primary_key=("id",),
    description="CRM v3 deals; an amount that is not a number loads as NULL and is quarantined.",
)

DEAL_CONTACTS_TABLE = Table(
    "deal_contacts",
    _columns(("deal_id", "text", False), ("contact_id", "text", False)),
    primary_key=("deal_id", "contact_id"),
    # A re-read deal replaces its whole set of contacts.
    merge_key=("deal_id",),
    description="Which contacts each deal is associated with (v4 associations).",
)

QUARANTINE_TABLE = Table(
    "quarantine",
    _columns(
        ("source_table", "text", False), ("record_id", "text", False), ("field", "text", False),
        ("raw_value", "text"), ("error", "text"), ("quarantined_at", "timestamp", False),
    ),
    primary_key=("source_table", "record_id", "field", "quarantined_at"),
    disposition="append",
    description="Values set aside as unreadable, naming the record and field.",
)

TABLES = (CONTACTS_TABLE, DEALS_TABLE, DEAL_CONTACTS_TABLE, QUARANTINE_TABLE)
