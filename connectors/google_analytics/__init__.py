"""GA4 (Google Analytics Data API v1beta) as a dlt source: daily traffic by session source/medium/campaign,
and, where the site tags known visitors with their CRM contact id, those contacts' sessions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import dlt
import pyarrow as pa
from dlt.sources import DltResource

from connectors.common import progress
from connectors.common import settings as check
from connectors.common.errors import ConfigurationError
from connectors.common.http import VendorClient
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
    contact_id_dimension: str | None = None,
    contact_source: str | None = None,
) -> tuple[DltResource, DltResource]:
    """Validates settings and builds the resources; no request is made until a resource runs.
    contact_sessions is always declared, and selected only when a contact id dimension is set."""
    ids = check.id_list(s.SOURCE, "property_ids", property_ids, example="123456789", prefix="properties/")
    secrets = check.secrets(s.SOURCE, credentials, ("client_id", "client_secret", "refresh_token"))
    base = check.url(s.SOURCE, "base_url", base_url)
    token = check.url(s.SOURCE, "token_url", token_url)
    start, end, lookback = check.window_settings(s.SOURCE, start_date, end_date, lookback_days)
    size = check.whole_number(s.SOURCE, "page_size", page_size, 1, s.MAX_PAGE_SIZE)
    contacts = _contact_report(contact_id_dimension, contact_source)

    clients: list[VendorClient] = []

    def read(report: s.Report) -> Iterator[pa.Table]:
        # The window is resolved when the run starts, not when the source was built.
        window = check.date_window(s.SOURCE, start, end, lookback)
        # One client, so one access token, for both reports of a run.
        clients[:] = clients or [make_client(base, token, secrets)]
        for property_id in ids:
            for first_row, body in report_pages(clients[0], property_id, window, size, report):
                table = check_batch(s.SOURCE, report.table, page_to_table(property_id, first_row, body, report), window)
                if table.num_rows:  # a page of (not set) contacts only leaves nothing
                    progress.add_rows(s.SOURCE, table.num_rows)
                    yield table

    @dlt.resource(**s.TRAFFIC_DAILY.resource_hints())
    def traffic_daily() -> Iterator[pa.Table]:
        yield from read(s.TRAFFIC)

    # Unselected, a run neither requests the report nor creates the table: staging reads an empty
    # stand-in, as for any raw table never loaded.
    @dlt.resource(**s.CONTACT_SESSIONS.resource_hints(), selected=contacts is not None)
    def contact_sessions() -> Iterator[pa.Table]:
        if contacts is not None:
            yield from read(contacts)

    return traffic_daily, contact_sessions


def _contact_report(dimension: str | None, contact_source: str | None) -> s.Report | None:
    """The contact sessions report, or None when no contact id dimension is set."""
    dimension = (dimension or "").strip()
    contact_source = (contact_source or "").strip()
    if not dimension:
        if contact_source:
            raise ConfigurationError(s.SOURCE, "contact_id_dimension", "is required with contact_source")
        return None
    parameter = dimension.removeprefix(s.CONTACT_DIMENSION_PREFIX)
    if (not dimension.startswith(s.CONTACT_DIMENSION_PREFIX) or not s.CONTACT_PARAMETER.fullmatch(parameter)
            or parameter.lower().startswith(s.RESERVED_PARAMETER_PREFIXES)):
        raise ConfigurationError(s.SOURCE, "contact_id_dimension", "must be a user-scoped custom dimension's API "
                                 "name: customUser:<user property>, 1 to 24 letters, digits or _ from a letter")
    if not contact_source:
        raise ConfigurationError(s.SOURCE, "contact_source", "is required with contact_id_dimension: the CRM "
                                 "source whose contact ids it holds (e.g. hubspot)")
    # Looked up when the source is built: the registry imports every connector, this one included.
    from connectors import registry

    if contact_source not in registry.specs() or registry.spec(contact_source).domain != "crm":
        crms = ", ".join(name for name, spec in registry.specs().items() if spec.domain == "crm")
        raise ConfigurationError(s.SOURCE, "contact_source", f"must name a CRM source ({crms})")
    return s.contact_report(dimension, contact_source)


SPEC = SourceSpec(
    name=s.SOURCE,
    label="Google Analytics 4",
    domain="web_analytics",
    mode=Mode.WINDOWED,
    source=google_analytics_source,
    tables=(s.TRAFFIC_DAILY, s.CONTACT_SESSIONS),
    settings=(
        Setting("base_url", "API root, with its version", default=s.DEFAULT_BASE_URL),
        Setting("token_url", "OAuth token endpoint", default=s.DEFAULT_TOKEN_URL),
        Setting("property_ids", "comma list of GA4 property ids", required=True),
        Setting("credentials.client_id", "OAuth client id", required=True, secret=True),
        Setting("credentials.client_secret", "OAuth client secret", required=True, secret=True),
        Setting("credentials.refresh_token", "refresh token with the analytics.readonly scope", required=True,
                secret=True),
        Setting("contact_id_dimension", "API name of the user-scoped custom dimension holding the visitor's CRM "
                "contact id, e.g. customUser:crm_contact_id; unset, contact_sessions is not read"),
        Setting("contact_source", "the CRM source whose contact ids that dimension holds, e.g. hubspot"),
    ),
    fake="sandbox.google_analytics",
    lookback_days=s.DEFAULT_LOOKBACK_DAYS,
    freshness=FreshnessRule("traffic_daily", "date_day"),
    description="`properties/{id}:runReport` by date x sessionSource x sessionMedium x sessionCampaignName x "
                "sessionDefaultChannelGroup; sessions, totalUsers, newUsers, engagedSessions, keyEvents, "
                "totalRevenue; paged with offset/limit until `rowCount`. With `contact_id_dimension` set, also by date x "
                "the contact id dimension x sessionSource x sessionMedium x sessionCampaignName; sessions, "
                "(not set) contacts left out: each known contact's sessions, attribution touches.",
)
