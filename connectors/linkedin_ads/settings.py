"""What the LinkedIn Ads connector reads: the Marketing API's constants and the raw tables.

From LinkedIn's Marketing API documentation (learn.microsoft.com/linkedin/marketing, versions 2024-2026):
- Versioned ("rest") APIs live under `https://api.linkedin.com/rest/`; the version travels in the
  `LinkedIn-Version: YYYYMM` header, never in the path, so the base URL is the API root and every path
  starts with `/rest/`. Every call also sends `X-Restli-Protocol-Version: 2.0.0`: query values use
  Rest.li 2.0 syntax (`List(...)`, `(key:value,...)`) with URNs URL-encoded inside them.
- Search finders of adAccounts, adCampaignGroups, adCampaigns and creatives page by cursor since 202401:
  `pageSize` (default 100, at most 1,000) and `pageToken` = the previous page's `metadata.nextPageToken`;
  no `nextPageToken` means the last page. More than 1,000 results without paging is a 400.
- `adAnalytics?q=analytics` (one pivot) does not page and answers at most 15,000 elements; it accepts at
  most 20 `fields`. Days are UTC days (LinkedIn accounts have no time zone). Rows with no activity are
  left out ("an empty response is returned if there's no activity").
- Money (`costInLocalCurrency`, `conversionValueInLocalCurrency`) is a decimal string in the account's
  currency; counts are JSON numbers.
"""

from __future__ import annotations

from connectors.common.tables import Column, Table

SOURCE = "linkedin_ads"
DEFAULT_BASE_URL = "https://api.linkedin.com"
# The newest Marketing version the documentation describes when this was written (li-lms-2026-03).
# LinkedIn supports each monthly version for about a year; set `api_version` to move on.
DEFAULT_API_VERSION = "202603"
RESTLI_PROTOCOL_VERSION = "2.0.0"
# LinkedIn's default post-click conversion window is 30 days: a conversion can still be attributed to
# a day of the last 30, and LinkedIn also removes invalid (fraudulent) clicks after the fact.
DEFAULT_LOOKBACK_DAYS = 30
# Days per adAnalytics call at most; fewer when the account has so many campaigns or creatives that a
# call could exceed ELEMENT_CAP rows (see helpers.days_per_call).
DEFAULT_CHUNK_DAYS = 31
ELEMENT_CAP = 15_000
MAX_FIELDS = 20
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1_000
DEFAULT_CONCURRENT_REQUESTS = 3
# Money parsed from decimal strings is kept to this many decimal places (a picounit: any digit beyond it
# is binary floating-point noise, never a currency amount).
MONEY_SCALE = 12
MONEY = f"decimal(38,{MONEY_SCALE})"

# Statuses searched for, so archived and finished entities (which still have stats) are read too.
CAMPAIGN_GROUP_STATUSES = ("ACTIVE", "ARCHIVED", "CANCELED", "DRAFT", "PAUSED", "PENDING_DELETION", "REMOVED")
CAMPAIGN_STATUSES = ("ACTIVE", "PAUSED", "ARCHIVED", "COMPLETED", "CANCELED", "DRAFT", "PENDING_DELETION",
                     "REMOVED")

ACCOUNT_URN = "urn:li:sponsoredAccount:"
CAMPAIGN_GROUP_URN = "urn:li:sponsoredCampaignGroup:"
CAMPAIGN_URN = "urn:li:sponsoredCampaign:"
CREATIVE_URN = "urn:li:sponsoredCreative:"

# adAnalytics metrics: the JSON field, the raw column, and how it travels.
COUNT, MONEY_STRING = "count", "money"
METRICS: tuple[tuple[str, str, str], ...] = (
    ("impressions", "impressions", COUNT),
    ("clicks", "clicks", COUNT),
    ("costInLocalCurrency", "cost_in_local_currency", MONEY_STRING),
    ("externalWebsiteConversions", "external_website_conversions", COUNT),
    ("conversionValueInLocalCurrency", "conversion_value_in_local_currency", MONEY_STRING),
)
ANALYTICS_FIELDS = (*(field for field, _, _ in METRICS), "dateRange", "pivotValues")

_METRIC_COLUMNS = (
    Column("impressions", "bigint"),
    Column("clicks", "bigint"),
    Column("cost_in_local_currency", MONEY, description="costInLocalCurrency, exact"),
    Column("external_website_conversions", "bigint"),
    Column("conversion_value_in_local_currency", MONEY, description="conversionValueInLocalCurrency, exact"),
)

ACCOUNTS = Table(
    "accounts",
    (
        Column("account_id", "text", nullable=False),
        Column("name", "text"),
        Column("currency", "text"),
        Column("status", "text"),
        Column("type", "text"),
    ),
    primary_key=("account_id",),
    description="Each ad account (`/rest/adAccounts/{id}`): name and currency. LinkedIn reports in UTC.",
)

CAMPAIGN_GROUPS = Table(
    "campaign_groups",
    (
        Column("account_id", "text", nullable=False),
        Column("campaign_group_id", "text", nullable=False),
        Column("name", "text"),
        Column("status", "text"),
    ),
    primary_key=("account_id", "campaign_group_id"),
    # Each run reads every campaign group of an account: the account's set is replaced whole.
    merge_key=("account_id",),
    description="Campaign groups (the industry's campaigns), every status.",
)

CAMPAIGNS = Table(
    "campaigns",
    (
        Column("account_id", "text", nullable=False),
        Column("campaign_id", "text", nullable=False),
        Column("campaign_group_id", "text"),
        Column("name", "text"),
        Column("status", "text"),
        Column("type", "text"),
    ),
    primary_key=("account_id", "campaign_id"),
    merge_key=("account_id",),
    description="Campaigns (the industry's ad groups) with their campaign group, every status.",
)

CREATIVES = Table(
    "creatives",
    (
        Column("account_id", "text", nullable=False),
        Column("creative_id", "text", nullable=False),
        Column("campaign_id", "text"),
        Column("name", "text"),
        Column("intended_status", "text"),
        Column("landing_page", "text", description="content.textAd or content.spotlight landingPage; NULL for "
                                                   "sponsored content, whose post holds the link."),
    ),
    primary_key=("account_id", "creative_id"),
    merge_key=("account_id",),
    description="Creatives (the industry's ads) with their campaign and, where the creative names one, its "
                "landing page.",
)

# The adAnalytics tables below are unique per load: an answer holds one element per pivot value and
# day of its dateRange and is not paged; a load makes one call per account (ids deduplicated) and
# range, the ranges (and the halves of one split at the element cap) do not overlap, and every row is
# checked to lie in its call's range. The entity tables above come from search finders paged by
# cursor over lists that can change between pages, so they keep dlt's deduplication.
CAMPAIGN_STATS = Table(
    "campaign_stats",
    (
        Column("account_id", "text", nullable=False),
        Column("campaign_id", "text", nullable=False),
        Column("date_day", "date", nullable=False),
        *_METRIC_COLUMNS,
    ),
    primary_key=("account_id", "campaign_id", "date_day"),
    merge_key=("account_id", "date_day"),
    unique_per_load=True,
    date_column="date_day",
    description="adAnalytics, pivot CAMPAIGN, DAILY: one row per campaign and UTC day it delivered.",
)

CREATIVE_STATS = Table(
    "creative_stats",
    (
        Column("account_id", "text", nullable=False),
        Column("creative_id", "text", nullable=False),
        Column("date_day", "date", nullable=False),
        *_METRIC_COLUMNS,
    ),
    primary_key=("account_id", "creative_id", "date_day"),
    merge_key=("account_id", "date_day"),
    unique_per_load=True,
    date_column="date_day",
    description="adAnalytics, pivot CREATIVE, DAILY: one row per creative and UTC day it delivered.",
)

ACCOUNT_STATS = Table(
    "account_stats",
    (
        Column("account_id", "text", nullable=False),
        Column("date_day", "date", nullable=False),
        *_METRIC_COLUMNS,
    ),
    primary_key=("account_id", "date_day"),
    merge_key=("account_id", "date_day"),
    unique_per_load=True,
    date_column="date_day",
    description="adAnalytics, pivot ACCOUNT, DAILY: the account's own totals per UTC day it delivered, what "
                "campaign_stats is reconciled against.",
)

QUARANTINE = Table(
    "quarantine",
    (
        Column("source_table", "text", nullable=False),
        Column("record_id", "text", nullable=False),
        Column("field", "text", nullable=False),
        Column("raw_value", "text"),
        Column("error", "text"),
        Column("quarantined_at", "timestamp", nullable=False),
    ),
    primary_key=("source_table", "record_id", "field", "quarantined_at"),
    disposition="append",
    description="Metric values set aside as unreadable (loaded as NULL), naming the record and field.",
)

ENTITY_TABLES = (ACCOUNTS, CAMPAIGN_GROUPS, CAMPAIGNS, CREATIVES)
STATS_TABLES = {"CAMPAIGN": CAMPAIGN_STATS, "CREATIVE": CREATIVE_STATS, "ACCOUNT": ACCOUNT_STATS}
TABLES = (*ENTITY_TABLES, CAMPAIGN_STATS, CREATIVE_STATS, ACCOUNT_STATS, QUARANTINE)
