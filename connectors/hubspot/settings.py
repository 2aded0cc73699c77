"""HubSpot fields, keys, table shapes and the API limits the connector plans around."""

from __future__ import annotations

import pyarrow as pa
from dlt.common.schema.typing import TTableSchemaColumns

from connectors.common.http import RetryPolicy

SOURCE = "hubspot"
DEFAULT_BASE_URL = "https://api.hubapi.com"

CONTACTS = "contacts"
DEALS = "deals"

CONTACT_PROPERTIES = (
    "email", "firstname", "lastname", "createdate", "lastmodifieddate",
    "hs_analytics_source", "hs_analytics_source_data_1", "hs_analytics_source_data_2", "hs_analytics_first_url",
)
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

UTC_TIMESTAMP = pa.timestamp("us", tz="UTC")
AMOUNT = pa.decimal128(38, 6)

CONTACTS_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("email", pa.string()),
    pa.field("firstname", pa.string()),
    pa.field("lastname", pa.string()),
    pa.field("createdate", UTC_TIMESTAMP),
    pa.field("lastmodifieddate", UTC_TIMESTAMP),
    pa.field("hs_analytics_source", pa.string()),
    pa.field("hs_analytics_source_data_1", pa.string()),
    pa.field("hs_analytics_source_data_2", pa.string()),
    pa.field("hs_analytics_first_url", pa.string()),
    pa.field("archived", pa.bool_()),
])

DEALS_SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("dealname", pa.string()),
    pa.field("amount", AMOUNT),
    pa.field("deal_currency_code", pa.string()),
    pa.field("dealstage", pa.string()),
    pa.field("pipeline", pa.string()),
    pa.field("createdate", UTC_TIMESTAMP),
    pa.field("closedate", UTC_TIMESTAMP),
    pa.field("hs_lastmodifieddate", UTC_TIMESTAMP),
    pa.field("hs_is_closed", pa.bool_()),
    pa.field("hs_is_closed_won", pa.bool_()),
    pa.field("archived", pa.bool_()),
])

DEAL_CONTACTS_SCHEMA = pa.schema([
    pa.field("deal_id", pa.string(), nullable=False),
    pa.field("contact_id", pa.string(), nullable=False),
])

QUARANTINE_SCHEMA = pa.schema([
    pa.field("source_table", pa.string(), nullable=False),
    pa.field("record_id", pa.string(), nullable=False),
    pa.field("field", pa.string(), nullable=False),
    pa.field("raw_value", pa.string()),
    pa.field("error", pa.string()),
    pa.field("quarantined_at", UTC_TIMESTAMP, nullable=False),
])


def columns_from(schema: pa.Schema) -> TTableSchemaColumns:
    """dlt column hints that say exactly what the Arrow schema says, so both agree."""
    columns: TTableSchemaColumns = {}
    for f in schema:
        hint: dict = {"name": f.name, "nullable": f.nullable}
        if pa.types.is_string(f.type):
            hint["data_type"] = "text"
        elif pa.types.is_boolean(f.type):
            hint["data_type"] = "bool"
        elif pa.types.is_timestamp(f.type):
            hint.update(data_type="timestamp", timezone=True, precision=6)
        elif pa.types.is_decimal(f.type):
            hint.update(data_type="decimal", precision=f.type.precision, scale=f.type.scale)
        else:
            raise TypeError(f"no dlt type for {f.type}")
        columns[f.name] = hint  # type: ignore[assignment]
    return columns


CONTACTS_COLUMNS = columns_from(CONTACTS_SCHEMA)
DEALS_COLUMNS = columns_from(DEALS_SCHEMA)
DEAL_CONTACTS_COLUMNS = columns_from(DEAL_CONTACTS_SCHEMA)
QUARANTINE_COLUMNS = columns_from(QUARANTINE_SCHEMA)
