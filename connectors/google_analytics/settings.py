"""What the GA4 connector asks for and how it lands: report fields, the raw table, API limits."""

from __future__ import annotations

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
