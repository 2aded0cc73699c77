"""GA4 (Google Analytics Data API v1beta) as a dlt source: daily traffic by session source/medium/campaign."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from connectors.common import progress
from connectors.common import settings as check
from connectors.common.spec import FreshnessRule, Mode, Setting, SourceSpec
from connectors.common.window import check_batch
from connectors.google_analytics import settings as s
from connectors.google_analytics.helpers import GoogleAnalyticsCredentials, make_client, report_pages
from connectors.google_analytics.rows import page_to_table

__all__ = ["SPEC", "GoogleAnalyticsCredentials", "google_analytics_source"]


@dlt.source(name=s.SOURCE, section=s.SOURCE)
def google_analytics_source(
    # Optional so that a missing setting reaches our check and is reported by its key.
    property_ids: str | list[str] | None = dlt.config.value,
    base_url: str = s.DEFAULT_BASE_URL,
    token_url: str = s.DEFAULT_TOKEN_URL,
    credentials: GoogleAnalyticsCredentials | None = dlt.secrets.value,
    start_date: str | date | None = None,
    end_date: str | date | None = None,
    lookback_days: int = s.DEFAULT_LOOKBACK_DAYS,
    page_size: int = s.DEFAULT_PAGE_SIZE,
) -> DltResource:
    """Validates settings and builds the resource; no request is made until the resource runs."""
    ids = check.id_list(s.SOURCE, "property_ids", property_ids, example="123456789", prefix="properties/")
    secrets = check.secrets(s.SOURCE, credentials, ("client_id", "client_secret", "refresh_token"))
    base = check.url(s.SOURCE, "base_url", base_url)
    token = check.url(s.SOURCE, "token_url", token_url)
    start, end, lookback = check.window_settings(s.SOURCE, start_date, end_date, lookback_days)
    size = check.whole_number(s.SOURCE, "page_size", page_size, 1, s.MAX_PAGE_SIZE)

    @dlt.resource(**s.TRAFFIC_DAILY.resource_hints())
    def traffic_daily() -> Iterator[pa.Table]:
        # The window is resolved when the run starts, not when the source was built.
        window = check.date_window(s.SOURCE, start, end, lookback)
        client = make_client(base, token, secrets)
        for property_id in ids:
            for first_row, body in report_pages(client, property_id, window, size):
                table = check_batch(s.SOURCE, s.TRAFFIC_DAILY, page_to_table(property_id, first_row, body), window)
                progress.add_rows(s.SOURCE, table.num_rows)
                yield table

    return traffic_daily


SPEC = SourceSpec(
    name=s.SOURCE,
    label="Google Analytics 4",
    domain="web_analytics",
    mode=Mode.WINDOWED,
    source=google_analytics_source,
    tables=(s.TRAFFIC_DAILY,),
    settings=(
        Setting("base_url", "API root, with its version", default=s.DEFAULT_BASE_URL),
        Setting("token_url", "OAuth token endpoint", default=s.DEFAULT_TOKEN_URL),
        Setting("property_ids", "comma list of GA4 property ids", required=True),
        Setting("credentials.client_id", "OAuth client id", required=True, secret=True),
        Setting("credentials.client_secret", "OAuth client secret", required=True, secret=True),
        Setting("credentials.refresh_token", "refresh token with the analytics.readonly scope", required=True,
                secret=True),
    ),
    fake="sandbox.google_analytics",
    lookback_days=s.DEFAULT_LOOKBACK_DAYS,
    freshness=FreshnessRule("traffic_daily", "date_day"),
    description="`properties/{id}:runReport` by date x sessionSource x sessionMedium x sessionCampaignName x "
                "sessionDefaultChannelGroup; sessions, totalUsers, newUsers, engagedSessions, keyEvents, "
                "totalRevenue; paged with offset/limit until `rowCount`.",
)
