"""What the GA4 connector asks for and how it lands: report fields, the raw table, API limits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from connectors.common.tables import Column, Table

SOURCE = "google_analytics"

DEFAULT_BASE_URL = "https://analyticsdata.googleapis.com/v1beta"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_LOOKBACK_DAYS = 30
DEFAULT_PAGE_SIZE = 100_000
# runReport returns at most this many rows per request, whatever `limit` asks for.
MAX_PAGE_SIZE = 250_000

# GA4 API name -> warehouse column, in request order. `date` must stay first: its value is the day.
DIMENSIONS: dict[str, str] = {
    "date": "date_day",
    "sessionSource": "session_source",
    "sessionMedium": "session_medium",
    "sessionCampaignName": "session_campaign_name",
    "sessionDefaultChannelGroup": "session_default_channel_group",
}
METRICS: dict[str, str] = {
    "sessions": "sessions",
    "totalUsers": "total_users",
    "newUsers": "new_users",
    "engagedSessions": "engaged_sessions",
    "keyEvents": "key_events",
    "totalRevenue": "total_revenue",
}

TRAFFIC_DAILY = Table(
    "traffic_daily",
    (
        Column("property_id", "text", False),
        Column("date_day", "date", False),
        Column("session_source", "text", False),
        Column("session_medium", "text", False),
        Column("session_campaign_name", "text", False),
        Column("session_default_channel_group", "text", False),
        Column("sessions", "bigint"),
        Column("total_users", "bigint"),
        Column("new_users", "bigint"),
        Column("engaged_sessions", "bigint"),
        Column("key_events", "double"),
        Column("total_revenue", "decimal(38,6)"),
        Column("currency_code", "text"),
        Column("time_zone", "text"),
    ),
    primary_key=(
        "property_id", "date_day", "session_source", "session_medium", "session_campaign_name",
        "session_default_channel_group",
    ),
    # Re-fetching a day replaces the whole day, so rows GA4 no longer reports for it disappear too.
    merge_key=("property_id", "date_day"),
    # Not unique per load: pages are offsets into a report GA4 recomputes per page, so a row it adds
    # while recent days still process pushes a page's last row onto the next page as well (see
    # helpers.py); dlt's merge keeps one.
    date_column="date_day",
    description="Daily sessions, users, key events and revenue by session source, medium, campaign and channel group.",
)


# --- contact sessions ------------------------------------------------------------------------------
# A site that knows who its visitor is sets a user property to the CRM's contact id; registered as a
# user-scoped custom dimension, GA4 reports it as `customUser:<parameter>`. User property names are
# 1 to 24 letters, digits and underscores, starting with a letter; the prefixes below are Google's.
CONTACT_DIMENSION_PREFIX = "customUser:"
CONTACT_PARAMETER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,23}")
RESERVED_PARAMETER_PREFIXES = ("firebase_", "google_", "ga_")
# What GA4 reports for a session whose user never had the property set: not a contact, so no touch.
NOT_SET = "(not set)"

CONTACT_SESSIONS = Table(
    "contact_sessions",
    (
        Column("property_id", "text", False),
        Column("date_day", "date", False),
        Column("contact_source", "text", False, "The CRM source whose contact ids the custom dimension holds."),
        Column("contact_id", "text", False, "The custom dimension's value: the CRM's contact id."),
        Column("session_source", "text", False),
        Column("session_medium", "text", False),
        Column("session_campaign_name", "text", False),
        Column("sessions", "bigint"),
    ),
    primary_key=("property_id", "date_day", "contact_id", "session_source", "session_medium",
                 "session_campaign_name"),
    # As traffic_daily: a re-read day replaces the whole day, and pages may repeat a row.
    merge_key=("property_id", "date_day"),
    date_column="date_day",
    description="Daily sessions of the visitors GA4 knows as CRM contacts (a user-scoped custom dimension "
                "holding the contact id), by session source, medium and campaign.",
)


@dataclass(frozen=True)
class Report:
    """One runReport: its dimensions and metrics (GA4 API name -> warehouse column, `date` first) and
    the raw table its rows land in. Columns of the table that no field fills come from `constants`
    or the response's metadata (currency_code, time_zone)."""

    table: Table
    dimensions: dict[str, str]
    metrics: dict[str, str]
    constants: dict[str, str] = field(default_factory=dict)
    # A dimension's column whose rows are dropped where GA4 reports it as (not set).
    drop_not_set: str | None = None


TRAFFIC = Report(TRAFFIC_DAILY, DIMENSIONS, METRICS)


def contact_report(dimension: str, contact_source: str) -> Report:
    """The contact sessions report for a checked custom dimension's API name."""
    return Report(
        CONTACT_SESSIONS,
        {"date": "date_day", dimension: "contact_id", "sessionSource": "session_source",
         "sessionMedium": "session_medium", "sessionCampaignName": "session_campaign_name"},
        {"sessions": "sessions"},
        constants={"contact_source": contact_source},
        drop_not_set="contact_id",
    )
