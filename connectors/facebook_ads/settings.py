"""What the Meta (Facebook) Ads connector reads: the Graph API's defaults, the raw tables, and the
insights levels that fill them.

Sources (Meta for Developers, Marketing API):
- Versions: the Graph API changelog lists v26.0 (29 July 2026) as the latest; `facebook-business`
  26.0.x pins the same. The version is part of the path, so it is part of the base URL.
- Insights (`/act_{id}/insights`, reference "Ad Account Insights"): `level` account|campaign|adset|ad,
  `time_range={"since","until"}`, `time_increment=1` (one row per day, `date_start` = `date_stop`,
  days in the ad account's time zone), `fields`, `action_attribution_windows`, `limit`; every
  metric arrives as a numeric *string*; rows with nothing delivered are left out.
- Ads Action Stats: `actions` / `action_values` are lists of `{action_type, value}` (numeric
  strings), plus one key per requested attribution window. Meta reports one conversion under
  several action types at once: the pixel's (`offsite_conversion.fb_pixel_purchase`,
  `offsite_conversion.fb_pixel_lead`), and the aggregates Meta deduplicates across pixel,
  Conversions API, app, offline and on-Meta sources (`omni_purchase`, `purchase`, `lead`). Summing
  more than one of a family double counts, so the default counts `omni_purchase` and `lead` once each.
- Attribution: `action_attribution_windows` is sent explicitly (default `7d_click,1d_view`, what the
  Insights reference documents as the `default` option and Meta's default attribution setting), so
  the figures do not silently follow each ad set's own setting.
- Asynchronous jobs ("Insights API Asynchronous Jobs"): POST the same parameters to
  `/act_{id}/insights`, get `{"report_run_id"}`, poll `GET /{report_run_id}` until `async_status`
  is "Job Completed" (`async_percent_completion` 100), then page `GET /{report_run_id}/insights`.
- Paging ("Paginated Results"): cursor-based, `paging.cursors.after` and an absolute `paging.next`
  URL, absent on the last page.
- Account totals (level=account): one row per day with the account's own numbers, no object ids.
  An object's stats include every child's, whatever its status, while the account's insights at a
  finer level leave DELETED objects out unless filtered for (the docs' example is level=ad;
  "Storing and Retrieving Ad Objects"): the account row is what the campaign rows are held to.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.common.tables import Column, Table

SOURCE = "facebook_ads"
API_VERSION = "v26.0"
DEFAULT_BASE_URL = f"https://graph.facebook.com/{API_VERSION}"
# Meta restates insights (late conversions, invalid-activity credits) for up to 28 days.
DEFAULT_LOOKBACK_DAYS = 28
# Each insights report spans at most this many days: bounds Meta's data-per-call limit
# (error 100, subcode 1487534) and memory.
DEFAULT_CHUNK_DAYS = 31
# Reports spanning this many days or more run as asynchronous report runs, as Meta recommends for
# large reports; shorter ones (a daily run's recent days) are read directly.
DEFAULT_ASYNC_FROM_DAYS = 8
DEFAULT_POLL_SECONDS = 5
DEFAULT_POLL_TIMEOUT_SECONDS = 1800
# Rows per insights page (Meta's default is 25).
DEFAULT_PAGE_SIZE = 500
MAX_PAGE_SIZE = 5000
# Reports in flight at once, across accounts and date chunks of one level.
DEFAULT_CONCURRENT_REQUESTS = 3
# The longest throttle wait (X-Business-Use-Case-Usage estimated_time_to_regain_access, minutes per
# Meta's docs) the connector sits out; a longer one fails at once, saying how long Meta asked for.
DEFAULT_MAX_WAIT_SECONDS = 900

# Counted as conversions: the deduplicated purchase and lead totals, each once.
DEFAULT_CONVERSION_ACTION_TYPES = "omni_purchase,lead"
DEFAULT_ATTRIBUTION_WINDOWS = "7d_click,1d_view"
# The windows `action_attribution_windows` accepts (the Insights reference; facebook-business 26's
# AdsInsights.ActionAttributionWindows).
ATTRIBUTION_WINDOWS = (
    "1d_click", "1d_ev", "1d_sequenced", "1d_view", "28d_click", "28d_sequenced", "28d_view",
    "28d_view_all_conversions", "28d_view_first_conversion", "7d_click", "7d_sequenced", "7d_view",
    "7d_view_all_conversions", "7d_view_first_conversion", "custom", "dda", "default", "incrementality",
    "incrementality_all_conversions", "incrementality_first_conversion", "skan_click",
    "skan_click_second_postback", "skan_click_third_postback", "skan_view", "skan_view_second_postback",
    "skan_view_third_postback",
)

ACCOUNT_FIELDS = ("account_id", "name", "currency", "timezone_name", "account_status")

_METRIC_COLUMNS = (
    Column("spend", "decimal(38,6)", description="Amount spent, in the account's currency, exact."),
    Column("impressions", "bigint"),
    Column("clicks", "bigint", description="All clicks, as Meta's `clicks`."),
    Column("conversions", "decimal(38,6)",
           description="Sum of `actions` over the configured conversion action types."),
    Column("conversions_value", "decimal(38,6)",
           description="Sum of `action_values` over the same action types, in the account's currency."),
    Column("actions", "text", description="The row's `actions` list as Meta sent it (JSON)."),
    Column("action_values", "text", description="The row's `action_values` list as Meta sent it (JSON)."),
)
# Numbers Meta sends as strings, parsed into the column of the same name. A value that is not a
# number goes to the quarantine table and loads as NULL.
METRICS = ("spend", "impressions", "clicks")
# Meta omits the action lists (and sometimes a metric) when nothing happened: absent means zero.

ACCOUNTS_TABLE = Table(
    "accounts",
    (
        Column("account_id", "text", nullable=False, description="Ad account id, without `act_`."),
        Column("name", "text"),
        Column("currency", "text", description="ISO 4217 code of the account's currency."),
        Column("timezone_name", "text", description="IANA time zone the account's insights days follow."),
        Column("account_status", "bigint", description="1 active, 2 disabled, 3 unsettled, ..."),
    ),
    primary_key=("account_id",),
    description="Each ad account: its name, currency and time zone.",
)


def _stats_table(name: str, ids: tuple[Column, ...], key: str | None, description: str) -> Table:
    return Table(
        name,
        (
            Column("account_id", "text", nullable=False),
            *ids,
            Column("date_day", "date", nullable=False, description="`date_start`: the account-local day."),
            *_METRIC_COLUMNS,
        ),
        primary_key=("account_id", *([key] if key else []), "date_day"),
        # A re-read account day replaces that whole day, so reruns and overlapping windows never duplicate.
        merge_key=("account_id", "date_day"),
        # One row per key per load: each call is one account over one date chunk (account ids
        # without repeats, chunks that never overlap, every row checked to lie in its chunk), and
        # the connector keeps one row per key of each call's pages (helpers.fetch_level).
        unique_per_load=True,
        date_column="date_day",
        description=description,
    )


ACCOUNT_STATS_TABLE = _stats_table(
    "account_stats",
    (),
    None,
    "The account's own daily totals (level=account, time_increment=1), every campaign included, with "
    "the campaign level's attribution windows and action types: what the campaign rows must add up to.",
)
CAMPAIGN_STATS_TABLE = _stats_table(
    "campaign_stats",
    (Column("campaign_id", "text", nullable=False), Column("campaign_name", "text"),
     Column("campaign_status", "text", description="effective_status from the campaigns edge")),
    "campaign_id",
    "Campaign insights per day (level=campaign, time_increment=1).",
)
AD_GROUP_STATS_TABLE = _stats_table(
    "ad_group_stats",
    (Column("campaign_id", "text", nullable=False), Column("adset_id", "text", nullable=False),
     Column("adset_name", "text"), Column("adset_status", "text", description="effective_status from the adsets edge")),
    "adset_id",
    "Ad set insights per day (level=adset, time_increment=1).",
)
AD_STATS_TABLE = _stats_table(
    "ad_stats",
    (Column("campaign_id", "text", nullable=False), Column("adset_id", "text", nullable=False),
     Column("ad_id", "text", nullable=False), Column("ad_name", "text"),
     Column("ad_status", "text", description="effective_status from the ads edge")),
    "ad_id",
    "Ad insights per day (level=ad, time_increment=1).",
)

# Each ad with where a click on it lands: its creative's link and the `url_tags` Meta appends to it.
# The link is the object_story_spec's link_data.link (link and carousel ads), video_data's call to
# action link, or template_data.link (dynamic ads); an ad promoting an existing post carries none.
CREATIVE_FIELDS = ("id", "object_story_spec", "url_tags")
AD_FIELDS = ("id", "name", "campaign_id", "adset_id", "effective_status", f"creative{{{','.join(CREATIVE_FIELDS)}}}")
ADS_TABLE = Table(
    "ads",
    (
        Column("account_id", "text", nullable=False),
        Column("ad_id", "text", nullable=False),
        Column("ad_name", "text"),
        Column("campaign_id", "text"),
        Column("adset_id", "text"),
        Column("ad_status", "text", description="effective_status"),
        Column("creative_id", "text"),
        Column("link", "text", description="The creative's destination link (object_story_spec)."),
        Column("url_tags", "text", description="Query string parameters Meta appends to the link."),
    ),
    primary_key=("account_id", "ad_id"),
    description="Each ad of the account's ads edge, whatever its status, with its creative's link and url_tags.",
)

QUARANTINE_TABLE = Table(
    "quarantine",
    (
        Column("source_table", "text", nullable=False), Column("record_id", "text", nullable=False),
        Column("field", "text", nullable=False), Column("raw_value", "text"), Column("error", "text"),
        Column("quarantined_at", "timestamp", nullable=False),
    ),
    primary_key=("source_table", "record_id", "field", "quarantined_at"),
    disposition="append",
    description="Values set aside as unreadable (a spend that is not a number, ...), naming the record and field.",
)


@dataclass(frozen=True)
class Level:
    """One insights level and the raw table it fills."""

    level: str  # Meta's `level`: account, campaign, adset, ad
    table: Table
    # The id and name fields of the row's own object, its status column and its edge under the
    # account; None at account level, whose rows are the account's own.
    id_field: str | None
    name_field: str | None
    status_column: str | None
    edge: str | None
    # Ids of the objects above it, as insights fields.
    parents: tuple[str, ...]

    @property
    def id_fields(self) -> tuple[str, ...]:
        """The insights fields that identify a row's objects below the account, outermost first."""
        return (*self.parents, *([self.id_field] if self.id_field else []))

    @property
    def fields(self) -> tuple[str, ...]:
        own = (self.id_field, self.name_field) if self.id_field and self.name_field else ()
        return ("account_id", *self.parents, *own, "date_start", "date_stop", *METRICS, "actions", "action_values")


ACCOUNT = Level("account", ACCOUNT_STATS_TABLE, None, None, None, None, ())
CAMPAIGN = Level("campaign", CAMPAIGN_STATS_TABLE, "campaign_id", "campaign_name", "campaign_status",
                 "campaigns", ())
ADSET = Level("adset", AD_GROUP_STATS_TABLE, "adset_id", "adset_name", "adset_status", "adsets",
              ("campaign_id",))
AD = Level("ad", AD_STATS_TABLE, "ad_id", "ad_name", "ad_status", "ads", ("campaign_id", "adset_id"))
LEVELS = (ACCOUNT, CAMPAIGN, ADSET, AD)

TABLES = (ACCOUNTS_TABLE, ACCOUNT_STATS_TABLE, CAMPAIGN_STATS_TABLE, AD_GROUP_STATS_TABLE, AD_STATS_TABLE, ADS_TABLE,
          QUARANTINE_TABLE)
