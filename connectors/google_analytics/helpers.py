"""GA4 Data API plumbing: credentials, settings checks and runReport paging.

Choices made against the documented behaviour of `properties.runReport`:
- `keepEmptyRows` stays false: a row whose metrics are all zero carries nothing, and the
  delete-insert on (property, day) removes a combination that fell to zero on a re-read.
- Pages follow `offset`/`limit` until `rowCount` (the report's total; absent when zero) is
  reached, with an explicit `orderBys` over every dimension so that offsets are stable.
- `(other)` rows (high-cardinality roll-ups, flagged by `metadata.dataLossFromOtherRow`) are kept:
  they hold real sessions, so totals match the GA4 UI. We warn, since detail is lost upstream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any, Optional

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue

from connectors.common.errors import ConfigurationError, VendorError
from connectors.common.google_oauth import GoogleOAuth
from connectors.common.http import VendorClient
from connectors.common.window import DateWindow, parse_date
from connectors.google_analytics import settings as s

log = logging.getLogger("funnelhouse.connectors.google_analytics")


@configspec
class GoogleAnalyticsCredentials(CredentialsConfiguration):
    """An OAuth client and a refresh token with the analytics.readonly scope.

    Fields are optional to dlt so that a missing one reaches `check_credentials`, which names it.
    """

    client_id: Optional[TSecretStrValue] = None  # noqa: UP045 - dlt reads optionality from typing.Optional
    client_secret: Optional[TSecretStrValue] = None  # noqa: UP045
    refresh_token: Optional[TSecretStrValue] = None  # noqa: UP045


# --- settings ------------------------------------------------------------------------------


def parse_property_ids(value: Any) -> list[str]:
    """`123,456`, `["123", 456]` or `properties/123` into digit strings, order kept, no repeats."""
    if value is None or value == "" or value == []:
        raise ConfigurationError(s.SOURCE, "property_ids", "is missing: give one or more GA4 property ids")
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else (
        [value] if isinstance(value, int) else value
    )
    ids: list[str] = []
    for item in items:
        text = str(item).strip()
        text = text.removeprefix("properties/")
        if not text:
            continue
        if not text.isdigit():
            raise ConfigurationError(s.SOURCE, "property_ids", "must be numeric GA4 property ids (e.g. 123456789)")
        if text not in ids:
            ids.append(text)
    if not ids:
        raise ConfigurationError(s.SOURCE, "property_ids", "is missing: give one or more GA4 property ids")
    return ids


def check_credentials(credentials: GoogleAnalyticsCredentials | None) -> GoogleAnalyticsCredentials:
    for key in ("client_id", "client_secret", "refresh_token"):
        if credentials is None or not getattr(credentials, key, None):
            raise ConfigurationError(s.SOURCE, f"credentials.{key}", "is missing")
    assert credentials is not None
    return credentials


def check_url(key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise ConfigurationError(s.SOURCE, key, "must be an http(s) URL")
    return value.rstrip("/")


def check_page_size(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= s.MAX_PAGE_SIZE:
        raise ConfigurationError(s.SOURCE, "page_size", f"must be an integer from 1 to {s.MAX_PAGE_SIZE}")
    return size


def check_lookback(value: Any) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        days = -1
    if days < 0:
        raise ConfigurationError(s.SOURCE, "lookback_days", "must be an integer >= 0")
    return days


def check_date(key: str, value: Any) -> date | None:
    try:
        return parse_date(value)
    except (TypeError, ValueError):
        raise ConfigurationError(s.SOURCE, key, "must be a date as YYYY-MM-DD") from None


# --- HTTP ----------------------------------------------------------------------------------


def make_client(base_url: str, token_url: str, credentials: GoogleAnalyticsCredentials) -> VendorClient:
    oauth = GoogleOAuth(
        s.SOURCE, token_url, credentials.client_id, credentials.client_secret, credentials.refresh_token,
    )
    return VendorClient(s.SOURCE, base_url, auth=oauth)


def report_request(window: DateWindow, offset: int, limit: int) -> dict[str, Any]:
    return {
        "dateRanges": [{"startDate": window.start.isoformat(), "endDate": window.end.isoformat()}],
        "dimensions": [{"name": name} for name in s.DIMENSIONS],
        "metrics": [{"name": name} for name in s.METRICS],
        # int64 fields travel as strings in Google's JSON mapping.
        "offset": str(offset),
        "limit": str(limit),
        "orderBys": [{"dimension": {"dimensionName": name, "orderType": "ALPHANUMERIC"}} for name in s.DIMENSIONS],
        "keepEmptyRows": False,
    }


def report_pages(
    client: VendorClient, property_id: str, window: DateWindow, page_size: int
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(offset of the page's first row, response body) for each page of one property's report."""
    offset = 0
    total: int | None = None
    while True:
        body = client.post(f"properties/{property_id}:runReport", json_body=report_request(window, offset, page_size))
        if not isinstance(body, Mapping):
            raise VendorError(s.SOURCE, f"property {property_id}: runReport answered with no JSON object")
        rows = body.get("rows") or []
        row_count = _row_count(body, property_id)
        if total is None:
            _warn_about_metadata(property_id, window, body.get("metadata") or {})
        elif row_count != total:
            # GA4 is still processing recent days; the lookback of the next run repairs any gap.
            log.warning("%s: property %s report changed from %d to %d rows while paging",
                        s.SOURCE, property_id, total, row_count)
        total = row_count
        if rows:
            yield offset, body
        offset += len(rows)
        if offset >= total:
            return
        if not rows:
            log.warning("%s: property %s stopped at row %d of %d", s.SOURCE, property_id, offset, total)
            return


def _row_count(body: Mapping[str, Any], property_id: str) -> int:
    value = body.get("rowCount", 0)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise VendorError(s.SOURCE, f"property {property_id}: rowCount is not a number") from None


def _warn_about_metadata(property_id: str, window: DateWindow, metadata: Mapping[str, Any]) -> None:
    span = f"{window.start}..{window.end}"
    if metadata.get("dataLossFromOtherRow"):
        log.warning("%s: property %s %s: GA4 rolled some rows into '(other)' (high cardinality); "
                    "totals are complete, detail is not", s.SOURCE, property_id, span)
    if metadata.get("samplingMetadatas"):
        log.warning("%s: property %s %s: GA4 sampled this report", s.SOURCE, property_id, span)
    if metadata.get("subjectToThresholding"):
        log.warning("%s: property %s %s: GA4 applied thresholding to this report", s.SOURCE, property_id, span)
