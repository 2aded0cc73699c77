"""What the GA4 connector asks for and how it lands: report fields, table name, columns, keys."""

from __future__ import annotations

from typing import Any

SOURCE = "google_analytics"
TABLE = "traffic_daily"

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

REVENUE_PRECISION = 38
REVENUE_SCALE = 6

COLUMNS: dict[str, dict[str, Any]] = {
    "property_id": {"data_type": "text", "nullable": False},
    "date_day": {"data_type": "date", "nullable": False},
    "session_source": {"data_type": "text", "nullable": False},
    "session_medium": {"data_type": "text", "nullable": False},
    "session_campaign_name": {"data_type": "text", "nullable": False},
    "session_default_channel_group": {"data_type": "text", "nullable": False},
    "sessions": {"data_type": "bigint", "nullable": True},
    "total_users": {"data_type": "bigint", "nullable": True},
    "new_users": {"data_type": "bigint", "nullable": True},
    "engaged_sessions": {"data_type": "bigint", "nullable": True},
    "key_events": {"data_type": "double", "nullable": True},
    "total_revenue": {
        "data_type": "decimal", "precision": REVENUE_PRECISION, "scale": REVENUE_SCALE, "nullable": True,
    },
    "currency_code": {"data_type": "text", "nullable": True},
    "time_zone": {"data_type": "text", "nullable": True},
}

PRIMARY_KEY = (
    "property_id", "date_day", "session_source", "session_medium", "session_campaign_name",
    "session_default_channel_group",
)
# Re-fetching a day replaces the whole day, so rows GA4 no longer reports for it disappear too.
MERGE_KEY = ("property_id", "date_day")
WRITE_DISPOSITION = {"disposition": "merge", "strategy": "delete-insert"}
