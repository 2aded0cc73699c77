"""What the Google Ads connector reads: endpoints, GAQL fields, table keys and column types."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pyarrow as pa

from connectors.common.tables import Column, Table

SOURCE = "google_ads"
DEFAULT_BASE_URL = "https://googleads.googleapis.com/v26"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_LOOKBACK_DAYS = 30
# Google rejects date-segmented queries wider than a month in some reports; 31 also bounds memory.
DEFAULT_CHUNK_DAYS = 31
# searchStream calls in flight at once. Google Ads meters operations, not connections; a few
# parallel reports per customer is what its client libraries do too. 1 turns prefetching off.
DEFAULT_CONCURRENT_REQUESTS = 3

# How a proto3-JSON value is decoded. int64 arrives as a string, doubles as numbers, enums as names.
ID = "id"  # int64 identifier, kept as text so no engine can round or reformat it
TEXT = "text"
ENUM = "enum"
DATE = "date"
INT64 = "int64"
DOUBLE = "double"

# The warehouse type each kind lands as.
_TYPES = {ID: "text", TEXT: "text", ENUM: "text", DATE: "date", INT64: "bigint", DOUBLE: "double"}
SPEND = "decimal(38,6)"
SPEND_TYPE = pa.decimal128(38, 6)


@dataclass(frozen=True)
class Field:
    column: str
    gaql: str  # snake_case name as written in GAQL; the response uses its lowerCamelCase path
    kind: str
    # Metrics are proto3 `optional`: absent means zero. Attributes that are absent are a bad record.
    metric: bool = False

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(_camel(part) for part in self.gaql.split("."))

    @property
    def json_name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Report:
    """One raw table filled from one GAQL resource."""

    table_name: str
    resource: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    merge_key: tuple[str, ...] = ()
    dated: bool = False  # segmented by segments.date, so fetched per date chunk
    with_spend: bool = False  # adds spend = cost_micros / 1e6 as an exact decimal
    description: str = ""

    def query(self, start: str | None = None, end: str | None = None) -> str:
        sql = f"SELECT {', '.join(f.gaql for f in self.fields)} FROM {self.resource}"
        if self.dated:
            sql += f" WHERE segments.date BETWEEN '{start}' AND '{end}'"
        return sql

    @property
    def customer_from_row(self) -> bool:
        return any(f.column == "customer_id" for f in self.fields)

    def table(self) -> Table:
        return self._table

    @cached_property
    def _table(self) -> Table:
        """The raw table this report fills. Stats rows do not select customer.id: the customer we
        asked about is the natural key, added to every row."""
        columns = [] if self.customer_from_row else [Column("customer_id", "text", nullable=False)]
        for f in self.fields:
            # Ids and dates are keys: the decoder rejects a row without them, so they are never null.
            required = f.column in self.primary_key or f.kind in (ID, DATE)
            columns.append(Column(f.column, _TYPES[f.kind], nullable=not required))
            if self.with_spend and f.column == "cost_micros":
                columns.append(Column("spend", SPEND))
        return Table(self.table_name, tuple(columns), primary_key=self.primary_key, merge_key=self.merge_key,
                     date_column="date_day" if self.dated else None, description=self.description)

    def arrow_schema(self) -> pa.Schema:
        return self.table().arrow_schema()


_METRICS = (
    Field("impressions", "metrics.impressions", INT64, metric=True),
    Field("clicks", "metrics.clicks", INT64, metric=True),
    Field("cost_micros", "metrics.cost_micros", INT64, metric=True),
    Field("conversions", "metrics.conversions", DOUBLE, metric=True),
    Field("conversions_value", "metrics.conversions_value", DOUBLE, metric=True),
)

CUSTOMERS = Report(
    table_name="customers",
    resource="customer",
    fields=(
        Field("customer_id", "customer.id", ID),
        Field("descriptive_name", "customer.descriptive_name", TEXT),
        Field("currency_code", "customer.currency_code", TEXT),
        Field("time_zone", "customer.time_zone", TEXT),
    ),
    primary_key=("customer_id",),
    description="Each customer (account): its name, currency and time zone.",
)

CAMPAIGN_STATS = Report(
    table_name="campaign_stats",
    resource="campaign",
    fields=(
        Field("campaign_id", "campaign.id", ID),
        Field("campaign_name", "campaign.name", TEXT),
        Field("campaign_status", "campaign.status", ENUM),
        Field("advertising_channel_type", "campaign.advertising_channel_type", ENUM),
        Field("date_day", "segments.date", DATE),
        *_METRICS,
    ),
    primary_key=("customer_id", "campaign_id", "date_day"),
    merge_key=("customer_id", "date_day"),
    dated=True,
    with_spend=True,
    description="Campaign metrics per day; spend converted exactly from cost_micros.",
)

AD_GROUP_STATS = Report(
    table_name="ad_group_stats",
    resource="ad_group",
    fields=(
        Field("campaign_id", "campaign.id", ID),
        Field("ad_group_id", "ad_group.id", ID),
        Field("ad_group_name", "ad_group.name", TEXT),
        Field("ad_group_status", "ad_group.status", ENUM),
        Field("date_day", "segments.date", DATE),
        *_METRICS,
    ),
    primary_key=("customer_id", "ad_group_id", "date_day"),
    merge_key=("customer_id", "date_day"),
    dated=True,
    with_spend=True,
    description="Ad group metrics per day; spend converted exactly from cost_micros.",
)

REPORTS = (CUSTOMERS, CAMPAIGN_STATS, AD_GROUP_STATS)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)
