"""GA4 Data API plumbing: credentials and runReport paging.

Choices made against the documented behaviour of `properties.runReport`:
- `keepEmptyRows` stays false: a row whose metrics are all zero carries nothing, and the
  delete-insert on (property, day) removes a combination that fell to zero on a re-read.
- Pages follow `offset`/`limit` until `rowCount` (the report's total; absent when zero) is
  reached, with an explicit `orderBys` over every dimension so that offsets are stable. A
  `rowCount` that moves while paging means GA4 is still processing recent days; the next run's
  lookback repairs any gap.
- `(other)` rows (high-cardinality roll-ups, flagged by `metadata.dataLossFromOtherRow`) are kept:
  they hold real sessions, so totals match the GA4 UI. We warn, since detail is lost upstream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, Optional

from dlt.common.configuration import configspec
from dlt.common.configuration.specs import CredentialsConfiguration
from dlt.common.typing import TSecretStrValue

from connectors.common import paging
from connectors.common.errors import VendorError
from connectors.common.google_errors import GoogleErrors
from connectors.common.google_oauth import GoogleOAuth
from connectors.common.http import VendorClient
from connectors.common.window import DateWindow
from connectors.google_analytics import settings as s

log = logging.getLogger("funnelhouse.connectors.google_analytics")


@configspec
class GoogleAnalyticsCredentials(CredentialsConfiguration):
    """An OAuth client and a refresh token with the analytics.readonly scope.

    Fields are optional to dlt so that a missing one reaches the source's settings check, which names it.
    """

    client_id: Optional[TSecretStrValue] = None  # noqa: UP045 - dlt reads optionality from typing.Optional
    client_secret: Optional[TSecretStrValue] = None  # noqa: UP045
    refresh_token: Optional[TSecretStrValue] = None  # noqa: UP045


# --- HTTP ----------------------------------------------------------------------------------


def make_client(base_url: str, token_url: str, credentials: Mapping[str, str]) -> VendorClient:
    """`credentials`: client_id, client_secret and refresh_token."""
    oauth = GoogleOAuth(
        s.SOURCE, token_url, credentials["client_id"], credentials["client_secret"], credentials["refresh_token"],
    )
    return VendorClient(s.SOURCE, base_url, auth=oauth, errors=GoogleErrors())


def report_request(window: DateWindow, offset: int, limit: int, report: s.Report = s.TRAFFIC) -> dict[str, Any]:
    return {
        "dateRanges": [{"startDate": window.start.isoformat(), "endDate": window.end.isoformat()}],
        "dimensions": [{"name": name} for name in report.dimensions],
        "metrics": [{"name": name} for name in report.metrics],
        # int64 fields travel as strings in Google's JSON mapping.
        "offset": str(offset),
        "limit": str(limit),
        "orderBys": [{"dimension": {"dimensionName": name, "orderType": "ALPHANUMERIC"}}
                     for name in report.dimensions],
        "keepEmptyRows": False,
    }


def report_pages(
    client: VendorClient, property_id: str, window: DateWindow, page_size: int, report: s.Report = s.TRAFFIC
) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """(offset of the page's first row, response body) for each page of one property's report."""
    pages = paging.offset_pages(
        client, f"properties/{property_id}:runReport",
        lambda offset, limit: {"json_body": report_request(window, offset, limit, report)},
        limit=page_size, items=lambda body: _rows(body, property_id), total=lambda body: _row_count(body, property_id),
    )
    for offset, body in pages:
        if offset == 0:
            _warn_about_metadata(property_id, window, body.get("metadata") or {})
        yield offset, body


def _rows(body: Any, property_id: str) -> list[Any]:
    if not isinstance(body, Mapping):
        raise VendorError(s.SOURCE, f"property {property_id}: runReport answered with no JSON object")
    return body.get("rows") or []


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
