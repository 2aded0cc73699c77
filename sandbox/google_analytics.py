"""Fake of the Google Analytics Data API v1beta `properties.runReport`, serving the world's web traffic.

Follows the documented wire format: proto3 JSON (int64 `offset`/`limit` as strings or numbers,
every dimension and metric value a string, empty fields left out, so `rows` and `rowCount` are
absent for an empty report), `metricHeaders[].type`, `metadata.currencyCode/timeZone`, rows with all
metrics zero dropped unless `keepEmptyRows`, a `dateRange` dimension appended when several date
ranges are asked for, and `$alt=json;enum-encoding=int` (what Google's REST clients send) answered
with numeric enums. Features the sandbox does not model (filters, aggregations, cohorts) are
refused with a 400 rather than silently ignored.

The property has one custom dimension registered: the user-scoped `customUser:crm_contact_id`, the
HubSpot contact id the site sets as a user property once a visitor is known. Reported with it, the
day's sessions split by contact, `(not set)` for visitors not known (sessions is the only metric
the sandbox models by contact). Any other custom dimension is not a valid dimension, as in GA4.

Faults: `rate_limit` (429 RESOURCE_EXHAUSTED; GA4 documents no RetryInfo, so none is sent),
`unavailable` (503), `expired_token` (401), and for connector tests `malformed_metric` (a
non-numeric `sessions` value in the page's first row) and `other_row` (per day, all but the two
largest rows rolled into one `(other)` row, with `metadata.dataLossFromOtherRow`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sandbox import google_oauth
from sandbox.core import Fake, Request, Response, SandboxState, TableTotals, source_env
from sandbox.world import World, ads, web

VENDOR = "google_analytics"
API_VERSION = "v1beta"
PROPERTY_ID = "345678901"
CURRENCY = "USD"
TIME_ZONE = "America/New_York"
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 250_000
MAX_DATE_RANGES = 4
OTHER = "(other)"
OTHER_ROW_KEEP = 2

DIMENSIONS = ("date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionDefaultChannelGroup")
# The user property the site sets to the HubSpot contact id, registered as a custom dimension.
CONTACT_PARAMETER = "crm_contact_id"
CONTACT_DIMENSION = f"customUser:{CONTACT_PARAMETER}"
CONTACT_SOURCE = "hubspot"
METRIC_TYPES = {
    "sessions": "TYPE_INTEGER",
    "totalUsers": "TYPE_INTEGER",
    "newUsers": "TYPE_INTEGER",
    "engagedSessions": "TYPE_INTEGER",
    "keyEvents": "TYPE_FLOAT",
    "totalRevenue": "TYPE_CURRENCY",
}
METRIC_TYPE_NUMBERS = {"TYPE_INTEGER": 1, "TYPE_FLOAT": 2, "TYPE_CURRENCY": 9}
ORDER_TYPES = {0: "ORDER_TYPE_UNSPECIFIED", 1: "ALPHANUMERIC", 2: "CASE_INSENSITIVE_ALPHANUMERIC", 3: "NUMERIC"}
UNSUPPORTED = ("dimensionFilter", "metricFilter", "metricAggregations", "cohortSpec", "comparisons",
               "returnPropertyQuota", "conversionSpec")
SCHEMA_URL = "https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema"


class _Invalid(Exception):
    """A request GA4 answers with 400 INVALID_ARGUMENT."""


def _error(code: int, status: str, message: str) -> Response:
    return Response(code, {"error": {"code": code, "message": message, "status": status}})


def run_report(req: Request, state: SandboxState) -> Response:
    denied = google_oauth.check_bearer(req, state)
    if denied is not None:
        return denied
    if req.fault == "rate_limit":
        return _error(429, "RESOURCE_EXHAUSTED", "Exhausted concurrent requests quota.")
    if req.fault == "unavailable":
        return _error(503, "UNAVAILABLE", "The service is currently unavailable.")
    property_id = req.arg("property") or ""
    if not property_id.isdigit():
        return _error(400, "INVALID_ARGUMENT", f"Invalid property ID: {property_id}. A numeric Property ID is "
                      "required. To learn more about Property ID, see "
                      "https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.")
    if property_id != PROPERTY_ID:
        return _error(403, "PERMISSION_DENIED", "User does not have sufficient permissions for this property. "
                      "To learn more about Property ID, see "
                      "https://developers.google.com/analytics/devguides/reporting/data/v1/property-id.")
    try:
        spec = req.json() or {}
    except ValueError:
        return _error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
    try:
        body = _report(spec, state, req.fault)
    except _Invalid as exc:
        return _error(400, "INVALID_ARGUMENT", str(exc))
    if "enum-encoding=int" in (req.arg("$alt") or ""):
        for header in body["metricHeaders"]:
            header["type"] = METRIC_TYPE_NUMBERS[header["type"]]
    return Response(200, body)


def _report(spec: dict[str, Any], state: SandboxState, fault: str | None) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise _Invalid("Invalid JSON payload received. Expected an object.")
    for key in UNSUPPORTED:
        if spec.get(key):
            raise _Invalid(f"The sandbox does not implement '{key}'.")
    currency = spec.get("currencyCode") or CURRENCY
    if currency != CURRENCY:
        raise _Invalid(f"The sandbox reports in {CURRENCY} only.")
    dims = _names(spec.get("dimensions"), "name", (*DIMENSIONS, CONTACT_DIMENSION), "dimension")
    mets = _names(spec.get("metrics"), "name", METRIC_TYPES, "metric")
    if not mets and not dims:
        raise _Invalid("At least one dimension or metric must be specified.")
    if CONTACT_DIMENSION in dims and set(mets) - {"sessions"}:
        raise _Invalid(f"The sandbox reports only sessions by {CONTACT_DIMENSION}.")
    ranges = _date_ranges(spec.get("dateRanges"), state.world.today)
    if len(ranges) > 1:
        dims = [*dims, "dateRange"]
    offset = _int64(spec.get("offset"), "offset")
    limit = _int64(spec.get("limit"), "limit") or DEFAULT_LIMIT
    # Documented: the API returns at most 250,000 rows per request, however many are asked for.
    limit = min(limit, MAX_LIMIT)

    rows = _rows(state.world, ranges, dims, mets)
    if fault == "other_row" and "date" in dims:
        rows = _roll_into_other(rows, dims, mets)
    if not spec.get("keepEmptyRows"):
        rows = [row for row in rows if any(row[1][m] for m in mets)]
    _sort(rows, spec.get("orderBys") or [], dims, mets)
    page = rows[offset:offset + limit]

    body: dict[str, Any] = {
        "dimensionHeaders": [{"name": d} for d in dims],
        "metricHeaders": [{"name": m, "type": METRIC_TYPES[m]} for m in mets],
    }
    if page:
        body["rows"] = [{
            "dimensionValues": [{"value": v} for v in key],
            "metricValues": [{"value": _format(values[m], METRIC_TYPES[m])} for m in mets],
        } for key, values in page]
        if fault == "malformed_metric" and "sessions" in mets:
            body["rows"][0]["metricValues"][mets.index("sessions")]["value"] = "n/a"
    if rows:
        body["rowCount"] = len(rows)
    metadata: dict[str, Any] = {"currencyCode": currency, "timeZone": TIME_ZONE}
    if fault == "other_row":
        metadata = {"dataLossFromOtherRow": True, **metadata}
    body["metadata"] = metadata
    body["kind"] = "analyticsData#runReport"
    return body


def _names(items: Any, key: str, known: Any, kind: str) -> list[str]:
    names = []
    for item in items or []:
        name = item.get(key) if isinstance(item, dict) else None
        if name not in known:
            raise _Invalid(f"Field {name} is not a valid {kind}. For a list of valid dimensions and metrics, "
                           f"see {SCHEMA_URL} ")
        if item.get("expression") or (item.get("dimensionExpression")):
            raise _Invalid(f"The sandbox does not implement expressions ({name}).")
        if name in names:
            raise _Invalid(f"Duplicate {kind} name: {name}.")
        names.append(name)
    return names


def _relative_day(text: Any, today: date, field: str) -> date:
    if not isinstance(text, str) or not text:
        raise _Invalid(f"Field {field} is required. Dates use the format YYYY-MM-DD, NdaysAgo, yesterday or today.")
    if text == "today":
        return today
    if text == "yesterday":
        return today - timedelta(days=1)
    match = re.fullmatch(r"(\d+)daysAgo", text)
    if match:
        return today - timedelta(days=int(match.group(1)))
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else _bad_date(text, field)
    except ValueError:
        return _bad_date(text, field)


def _bad_date(text: str, field: str) -> date:
    raise _Invalid(f"Invalid {field}: {text}. Dates use the format YYYY-MM-DD, NdaysAgo, yesterday or today.")


def _date_ranges(items: Any, today: date) -> list[tuple[str, date, date]]:
    if not items:
        raise _Invalid("Date ranges must be specified for a non-cohort report.")
    if len(items) > MAX_DATE_RANGES:
        raise _Invalid(f"Requests are limited to {MAX_DATE_RANGES} date ranges.")
    ranges = []
    for i, item in enumerate(items):
        start = _relative_day(item.get("startDate"), today, "startDate")
        end = _relative_day(item.get("endDate"), today, "endDate")
        if start > end:
            raise _Invalid(f"Invalid date range: startDate {start} is after endDate {end}.")
        name = item.get("name") or f"date_range_{i}"
        ranges.append((name, start, end))
    return ranges


def _int64(value: Any, field: str) -> int:
    if value is None or value == "":
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _Invalid(f"Invalid value at '{field}' (TYPE_INT64), \"{value}\"") from None
    if number < 0:
        raise _Invalid(f"{field} must be non-negative.")
    return number


Row = tuple[tuple[str, ...], dict[str, float]]


def _rows(world: World, ranges: list[tuple[str, date, date]], dims: list[str], mets: list[str]) -> list[Row]:
    """World rows grouped by the requested dimensions, metrics summed within each group."""
    groups: dict[tuple[str, ...], dict[str, float]] = {}
    by_contact = CONTACT_DIMENSION in dims
    for name, start, end in ranges:
        day = start
        while day <= end:
            for source in (web.contact_rows(world, day) if by_contact else web.rows(world, day)):
                values = {**source, "date": day.strftime("%Y%m%d"), "dateRange": name}
                if by_contact:
                    values[CONTACT_DIMENSION] = source["contact"]
                key = tuple(str(values[d]) for d in dims)
                sums = groups.setdefault(key, dict.fromkeys(mets, 0))
                for m in mets:
                    sums[m] += source[m]
            day += timedelta(days=1)
    return list(groups.items())


def _roll_into_other(rows: list[Row], dims: list[str], mets: list[str]) -> list[Row]:
    by_day: dict[str, list[Row]] = {}
    at = dims.index("date")
    for row in rows:
        by_day.setdefault(row[0][at], []).append(row)
    out: list[Row] = []
    for day, day_rows in by_day.items():
        day_rows.sort(key=lambda r: (-r[1].get(mets[0], 0) if mets else 0, r[0]))
        out.extend(day_rows[:OTHER_ROW_KEEP])
        rest = day_rows[OTHER_ROW_KEEP:]
        if rest:
            key = tuple(day if d == "date" else OTHER for d in dims)
            out.append((key, {m: sum(r[1][m] for r in rest) for m in mets}))
    return out


def _sort(rows: list[Row], order_bys: list[Any], dims: list[str], mets: list[str]) -> None:
    """Default order: dimensions left to right. `orderBys` are applied last-key-first (stable)."""
    rows.sort(key=lambda row: row[0])
    for order in reversed(order_bys):
        key, desc = _order_key(order, dims, mets)
        rows.sort(key=key, reverse=desc)


def _order_key(order: Any, dims: list[str], mets: list[str]) -> tuple[Callable[[Row], Any], bool]:
    if not isinstance(order, dict):
        raise _Invalid("Invalid orderBys entry.")
    desc = bool(order.get("desc"))
    if "metric" in order:
        name = (order["metric"] or {}).get("metricName")
        if name not in mets:
            raise _Invalid(f"Field {name} in orderBys is not in the request's metrics.")
        return (lambda row: row[1][name]), desc
    if "dimension" in order:
        spec = order["dimension"] or {}
        name = spec.get("dimensionName")
        if name not in dims:
            raise _Invalid(f"Field {name} in orderBys is not in the request's dimensions.")
        at = dims.index(name)
        order_type = spec.get("orderType", "ALPHANUMERIC")
        order_type = ORDER_TYPES.get(order_type, order_type) if isinstance(order_type, int) else order_type
        if order_type == "CASE_INSENSITIVE_ALPHANUMERIC":
            return (lambda row: row[0][at].lower()), desc
        if order_type == "NUMERIC":
            return (lambda row: _numeric(row[0][at])), desc
        if order_type in ("ALPHANUMERIC", "ORDER_TYPE_UNSPECIFIED"):
            return (lambda row: row[0][at]), desc
        raise _Invalid(f"Invalid value at 'order_bys.dimension.order_type', \"{order_type}\"")
    raise _Invalid("The sandbox only orders by dimension or metric.")


def _numeric(text: str) -> tuple[int, float]:
    try:
        return (1, float(text))
    except ValueError:
        return (0, 0.0)


def _format(value: float, metric_type: str) -> str:
    if metric_type == "TYPE_INTEGER":
        return str(int(value))
    value = round(value, 2) if metric_type == "TYPE_CURRENCY" else value
    if float(value).is_integer():
        return str(int(value))
    return json.dumps(float(value))


# --- what the sandbox needs of this fake -----------------------------------------------------------
# The contact sessions report the connector asks for, with the contact second.
CONTACT_ROW_DIMENSIONS = ("date", CONTACT_DIMENSION, "sessionSource", "sessionMedium", "sessionCampaignName")
# The raw columns the connector loads each metric into.
METRIC_COLUMNS = {"sessions": "sessions", "totalUsers": "total_users", "newUsers": "new_users",
                  "engagedSessions": "engaged_sessions", "keyEvents": "key_events", "totalRevenue": "total_revenue"}


def _env(sandbox_url: str) -> dict[str, str]:
    return source_env(VENDOR, {
        "base_url": f"{sandbox_url}/{API_VERSION}",
        "token_url": google_oauth.token_url(sandbox_url),
        "property_ids": PROPERTY_ID,
        "contact_id_dimension": CONTACT_DIMENSION,
        "contact_source": CONTACT_SOURCE,
        **google_oauth.CLIENT_SETTINGS,
    })


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """What the connector loads for the days start to end: the report by every dimension, less the
    rows whose metrics are all zero, each value as the wire writes it."""
    rows = [values for _, values in _rows(world, [("", start, end)], list(DIMENSIONS), list(METRIC_TYPES))
            if any(values.values())]
    sums: dict[str, int | Decimal] = {}
    for metric, column in METRIC_COLUMNS.items():
        total = sum((Decimal(_format(values[metric], METRIC_TYPES[metric])) for values in rows), Decimal(0))
        sums[column] = int(total) if METRIC_TYPES[metric] == "TYPE_INTEGER" else total
    # By contact: the known contacts' rows only, (not set) left out by the connector.
    by_contact = [values for key, values in _rows(world, [("", start, end)], [*CONTACT_ROW_DIMENSIONS], ["sessions"])
                  if key[1] != web.NOT_SET and values["sessions"]]
    return {"traffic_daily": {"rows": len(rows), "sums": sums},
            "contact_sessions": {"rows": len(by_contact), "sums": {"sessions": sum(int(v["sessions"]) for v in by_contact)}}}


def _warm(world: World) -> None:
    ads.warm(world)
    web.contact_visits(world, world.today)


FAKE = Fake(
    vendor=VENDOR,
    routes=(("POST", rf"/{API_VERSION}/properties/(?P<property>[^/:]+):runReport", run_report),),
    retryable=("rate_limit", "unavailable", "expired_token"),
    env=_env,
    # Reports are summed from every ad platform's campaign days, and split by the CRM's contacts.
    warm=_warm,
    requires=(google_oauth.FAKE,),
    expected_totals=expected_totals,
)
