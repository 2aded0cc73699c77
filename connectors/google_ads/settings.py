"""What the Google Ads connector reads: endpoints, the raw tables, and the GAQL fields that fill them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from connectors.common.tables import Column, Table
from warehouse import types

SOURCE = "google_ads"
DEFAULT_BASE_URL = "https://googleads.googleapis.com/v26"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_LOOKBACK_DAYS = 30
# Google rejects date-segmented queries wider than a month in some reports; 31 also bounds memory.
DEFAULT_CHUNK_DAYS = 31
# searchStream calls in flight at once. Google Ads meters operations, not connections; a few
# parallel reports per customer is what its client libraries do too. 1 turns prefetching off.
DEFAULT_CONCURRENT_REQUESTS = 3

# What proto3 JSON sends beyond what the column's type says. Any other field is read as its type.
ID = "id"  # an int64 identifier: digits as a string, kept as text so no engine can round or reformat it
ENUM = "enum"  # an enum name; proto3 leaves out the zero value, which Google Ads names UNSPECIFIED
# A repeated string (`final_urls`): its first element as text. proto3 leaves an empty list out.
FIRST = "first"
# The column types a plain field can be read into (see the decoders in helpers.py).
READ_AS = ("text", "date", "bigint", "double")

# Stats rows do not select customer.id: the customer we asked about is the natural key, added to every row.
CUSTOMER_COLUMN = "customer_id"
# spend = cost_micros / 1e6 as an exact decimal, added to tables that declare it.
SPEND_COLUMN = "spend"
MICROS_COLUMN = "cost_micros"


@dataclass(frozen=True)
class Field:
    column: str
    gaql: str  # snake_case name as written in GAQL; the response uses its lowerCamelCase path
    kind: str | None = None  # ID, ENUM, or None: read as the column's declared type
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
    """One raw table filled from one GAQL resource. The table says the shape; the fields say where each
    column comes from in the response."""

    table: Table
    resource: str
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        problems = list(self._disagreements())
        if problems:
            raise ValueError(f"report {self.table.name}: {'; '.join(problems)}")

    def _disagreements(self) -> Iterator[str]:
        """Where the fields and the table do not describe the same rows."""
        declared = set(self.table.column_names)
        filled = {f.column for f in self.fields}
        added = (declared & {SPEND_COLUMN}) | ({CUSTOMER_COLUMN} - filled)
        yield from (f"column {c!r} is not declared" for c in sorted(filled - declared))
        yield from (f"column {c!r} is filled by no field" for c in self.table.column_names if c not in filled | added)
        for f in self.fields:
            if f.column not in declared:
                continue
            column = self.table.column(f.column)
            if f.kind in (ID, ENUM, FIRST) and column.type != "text":
                yield f"{f.gaql} is an {f.kind}, which lands as text, not {column.type}"
            if f.kind is None and column.type not in READ_AS:
                yield f"{f.gaql}: no proto3 reading into {column.type}"
            # Only plain text may be absent: ids and dates are required, metrics default to zero.
            if f.kind in (None, FIRST) and column.type == "text" and not column.nullable:
                yield f"{f.gaql} may be absent, so column {f.column!r} must be nullable"
        if SPEND_COLUMN in added:
            kind, _, scale = types.parse(self.table.column(SPEND_COLUMN).type)
            if MICROS_COLUMN not in filled or kind != "decimal" or scale != 6:
                yield f"{SPEND_COLUMN!r} needs a {MICROS_COLUMN!r} field and a decimal(p,6) type"
        if self.table.date_column and self.table.date_column not in {
                f.column for f in self.fields if f.gaql == "segments.date"}:
            yield f"date column {self.table.date_column!r} must come from segments.date"

    @property
    def table_name(self) -> str:
        return self.table.name

    @property
    def dated(self) -> bool:
        """Segmented by segments.date, so fetched per date chunk."""
        return self.table.date_column is not None

    @property
    def with_spend(self) -> bool:
        return SPEND_COLUMN in self.table.column_names

    @property
    def customer_from_row(self) -> bool:
        return any(f.column == CUSTOMER_COLUMN for f in self.fields)

    @cached_property
    def decoded(self) -> tuple[tuple[Field, str], ...]:
        """Each field with how it is read: ID, ENUM, FIRST, or its column's type (text, date, bigint, double)."""
        return tuple((f, f.kind or self.table.column(f.column).type) for f in self.fields)

    def query(self, start: str | None = None, end: str | None = None) -> str:
        sql = f"SELECT {', '.join(f.gaql for f in self.fields)} FROM {self.resource}"
        if self.dated:
            sql += f" WHERE segments.date BETWEEN '{start}' AND '{end}'"
        return sql


_METRIC_COLUMNS = (
    Column("impressions", "bigint"),
    Column("clicks", "bigint"),
    Column("cost_micros", "bigint"),
    Column("spend", "decimal(38,6)"),
    Column("conversions", "double"),
    Column("conversions_value", "double"),
)
_METRICS = (
    Field("impressions", "metrics.impressions", metric=True),
    Field("clicks", "metrics.clicks", metric=True),
    Field("cost_micros", "metrics.cost_micros", metric=True),
    Field("conversions", "metrics.conversions", metric=True),
    Field("conversions_value", "metrics.conversions_value", metric=True),
)

CUSTOMERS = Report(
    Table(
        "customers",
        (
            Column("customer_id", "text", nullable=False),
            Column("descriptive_name", "text"),
            Column("currency_code", "text"),
            Column("time_zone", "text"),
        ),
        primary_key=("customer_id",),
        description="Each customer (account): its name, currency and time zone.",
    ),
    resource="customer",
    fields=(
        Field("customer_id", "customer.id", ID),
        Field("descriptive_name", "customer.descriptive_name"),
        Field("currency_code", "customer.currency_code"),
        Field("time_zone", "customer.time_zone"),
    ),
)

# The dated reports below are unique per load: a GAQL row is one resource (a campaign, an ad group,
# the customer) for one `segments.date`, the only segment selected; a load makes one call per
# customer (ids deduplicated) and date chunk, the chunks do not overlap, every row is checked to lie
# in its own chunk, and a searchStream answer is one response, retried whole.
CAMPAIGN_STATS = Report(
    Table(
        "campaign_stats",
        (
            Column("customer_id", "text", nullable=False),
            Column("campaign_id", "text", nullable=False),
            Column("campaign_name", "text"),
            Column("campaign_status", "text"),
            Column("advertising_channel_type", "text"),
            Column("date_day", "date", nullable=False),
            *_METRIC_COLUMNS,
        ),
        primary_key=("customer_id", "campaign_id", "date_day"),
        merge_key=("customer_id", "date_day"),
        unique_per_load=True,
        date_column="date_day",
        description="Campaign metrics per day; spend converted exactly from cost_micros.",
    ),
    resource="campaign",
    fields=(
        Field("campaign_id", "campaign.id", ID),
        Field("campaign_name", "campaign.name"),
        Field("campaign_status", "campaign.status", ENUM),
        Field("advertising_channel_type", "campaign.advertising_channel_type", ENUM),
        Field("date_day", "segments.date"),
        *_METRICS,
    ),
)

AD_GROUP_STATS = Report(
    Table(
        "ad_group_stats",
        (
            Column("customer_id", "text", nullable=False),
            Column("campaign_id", "text", nullable=False),
            Column("ad_group_id", "text", nullable=False),
            Column("ad_group_name", "text"),
            Column("ad_group_status", "text"),
            Column("date_day", "date", nullable=False),
            *_METRIC_COLUMNS,
        ),
        primary_key=("customer_id", "ad_group_id", "date_day"),
        merge_key=("customer_id", "date_day"),
        unique_per_load=True,
        date_column="date_day",
        description="Ad group metrics per day; spend converted exactly from cost_micros.",
    ),
    resource="ad_group",
    fields=(
        Field("campaign_id", "campaign.id", ID),
        Field("ad_group_id", "ad_group.id", ID),
        Field("ad_group_name", "ad_group.name"),
        Field("ad_group_status", "ad_group.status", ENUM),
        Field("date_day", "segments.date"),
        *_METRICS,
    ),
)

# The customer resource with metrics is the account-level report: every campaign of the customer, whatever
# its status (the API, unlike the UI, filters out no removed entity), so its days are what the campaign
# rows of the same days must add up to.
ACCOUNT_STATS = Report(
    Table(
        "account_stats",
        (
            Column("customer_id", "text", nullable=False),
            Column("date_day", "date", nullable=False),
            *_METRIC_COLUMNS,
        ),
        primary_key=("customer_id", "date_day"),
        merge_key=("customer_id", "date_day"),
        unique_per_load=True,
        date_column="date_day",
        description="The customer's own daily totals (GAQL FROM customer): what campaign_stats is reconciled "
                    "against; spend converted exactly from cost_micros.",
    ),
    resource="customer",
    fields=(
        Field("date_day", "segments.date"),
        *_METRICS,
    ),
)

# Ads are ad_group_ad rows: an ad within its ad group, keyed `{ad_group_id}~{ad_id}` by Google. Most ad
# types (responsive search and display ads among them) have no name: `ad.name` is then absent, and
# staging names the ad by its type and id. Unique per load as the reports above are.
_AD_KEY_FIELDS = (
    Field("campaign_id", "campaign.id", ID),
    Field("ad_group_id", "ad_group.id", ID),
    Field("ad_id", "ad_group_ad.ad.id", ID),
    Field("ad_name", "ad_group_ad.ad.name"),
    Field("ad_type", "ad_group_ad.ad.type", ENUM),
    Field("ad_status", "ad_group_ad.status", ENUM),
)
_AD_KEY_COLUMNS = (
    Column("customer_id", "text", nullable=False),
    Column("campaign_id", "text", nullable=False),
    Column("ad_group_id", "text", nullable=False),
    Column("ad_id", "text", nullable=False),
    Column("ad_name", "text"),
    Column("ad_type", "text"),
    Column("ad_status", "text"),
)

AD_STATS = Report(
    Table(
        "ad_stats",
        (*_AD_KEY_COLUMNS, Column("date_day", "date", nullable=False), *_METRIC_COLUMNS),
        primary_key=("customer_id", "ad_group_id", "ad_id", "date_day"),
        merge_key=("customer_id", "date_day"),
        unique_per_load=True,
        date_column="date_day",
        description="Ad (ad_group_ad) metrics per day; spend converted exactly from cost_micros.",
    ),
    resource="ad_group_ad",
    fields=(*_AD_KEY_FIELDS, Field("date_day", "segments.date"), *_METRICS),
)

# Every ad as it stands, with where it sends a click. Google builds the landing page from the ad's
# first final URL and the most specific final URL suffix (the ad's, else its ad group's, else its
# campaign's); the tracking template only wraps that URL in a redirect, so it is kept as is.
ADS = Report(
    Table(
        "ads",
        (
            *_AD_KEY_COLUMNS,
            Column("final_url", "text", description="The first of the ad's final_urls."),
            Column("tracking_url_template", "text"),
            Column("final_url_suffix", "text"),
            Column("ad_group_final_url_suffix", "text"),
            Column("campaign_final_url_suffix", "text"),
        ),
        primary_key=("customer_id", "ad_group_id", "ad_id"),
        description="Each ad (ad_group_ad, whatever its status): its name, type, status, first final URL, "
                    "tracking template and the final URL suffixes of the ad, its ad group and its campaign.",
    ),
    resource="ad_group_ad",
    fields=(
        *_AD_KEY_FIELDS,
        Field("final_url", "ad_group_ad.ad.final_urls", FIRST),
        Field("tracking_url_template", "ad_group_ad.ad.tracking_url_template"),
        Field("final_url_suffix", "ad_group_ad.ad.final_url_suffix"),
        Field("ad_group_final_url_suffix", "ad_group.final_url_suffix"),
        Field("campaign_final_url_suffix", "campaign.final_url_suffix"),
    ),
)

REPORTS = (CUSTOMERS, CAMPAIGN_STATS, AD_GROUP_STATS, ACCOUNT_STATS, AD_STATS, ADS)


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(word.capitalize() for word in rest)
