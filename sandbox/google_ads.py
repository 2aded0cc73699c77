"""Fake of the Google Ads API v26 REST transport: `googleAds:searchStream` and `googleAds:search`.

Answers GAQL over `customer`, `campaign`, `ad_group` and `ad_group_ad` from the world, in the proto3 JSON mapping
(lowerCamelCase, int64 as strings, doubles as numbers, enums as names). Metrics `FROM customer` are the
account's own totals (`ads.account_day`); in an unreconciled world the campaign and ad group rows leave
out a campaign day those totals still count. Errors use Google's documented shape:
`{"error": {code, message, status, details: [GoogleAdsFailure]}}`, wrapped in the stream's JSON array
where searchStream would wrap it.

Its slice of the world is the accounts below (`PLATFORM`): their campaigns' paid clicks feed
web analytics and the CRM as Google cpc and display traffic.

Faults (`req.fault`): rate_limit, stream_rate_limit, unavailable, expired_token, and, to exercise a
client's record checks, malformed_cost, missing_date and unset_conversions.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sandbox import google_oauth
from sandbox.core import Fake, Request, Response, SandboxState, TableTotals, source_env
from sandbox.world import World, ads
from sandbox.world.ads import (
    Account,
    AdMetrics,
    AdPlatform,
    AdTotal,
    Attribution,
    Campaign,
    add_to_total,
    normalize_campaign,
    sum_totals,
    total_metrics,
)
from sandbox.world.core import DayKey, day_key

VENDOR = "google_ads"
API_VERSION = "v26"
DEVELOPER_TOKEN = "sandbox-developer-token"
# The manager account the sandbox's source settings go through.
MANAGER_CUSTOMER_ID = "9999999999"
FAILURE_TYPE = f"type.googleapis.com/google.ads.googleads.{API_VERSION}.errors.GoogleAdsFailure"
# Google's sizes. Tests shrink them to exercise a client's handling of several batches or pages.
STREAM_BATCH_ROWS = 10_000
SEARCH_PAGE_ROWS = 10_000
RETRY_DELAY = "0.200s"

_STATUS_MESSAGES = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request is missing required authentication credential. Expected OAuth 2 access "
                             "token, login cookie or other valid authentication credential."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    429: ("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
}


# --- its slice of the world -------------------------------------------------------------------------
def _campaign(cid: str, name: str, channel: str, imps: int, ctr: float, cpc: float, cvr: float, value: float,
              ad_groups: int = 3, utm: str | None = None, status: str = "ENABLED") -> Campaign:
    return Campaign(cid, name, utm or normalize_campaign(name), channel, status, imps, ctr, cpc, cvr, value, ad_groups)


ACCOUNTS: tuple[Account, ...] = (
    Account("1234567890", "Acme Outdoor US", "USD", "America/New_York", (
        _campaign("20000000001", "Brand | Search | US", "SEARCH", 4200, 0.085, 0.65, 0.060, 95.0),
        _campaign("20000000002", "Generic Tents | Search | US", "SEARCH", 9800, 0.042, 1.35, 0.028, 140.0),
        _campaign("20000000003", "Summer Sale | US", "PERFORMANCE_MAX", 15000, 0.018, 0.80, 0.015, 120.0),
        # Its name does not normalise to its utm_campaign: the overrides mapping joins it.
        _campaign("20000000004", "Q4 Remarketing - Display", "DISPLAY", 30000, 0.006, 0.45, 0.010, 80.0,
                  utm="remarketing_q4"),
    )),
    Account("2345678901", "Acme Outdoor DE", "EUR", "Europe/Berlin", (
        _campaign("20000000011", "Brand | Search | DE", "SEARCH", 2600, 0.080, 0.55, 0.055, 90.0),
        _campaign("20000000012", "Wanderschuhe | Search | DE", "SEARCH", 7000, 0.038, 1.10, 0.025, 110.0),
        _campaign("20000000013", "Herbst Video | DE", "VIDEO", 22000, 0.004, 0.30, 0.004, 60.0, ad_groups=2),
    )),
    Account("3456789012", "Acme Outdoor UK", "GBP", "Europe/London", (
        _campaign("20000000021", "Brand | Search | UK", "SEARCH", 2100, 0.082, 0.60, 0.058, 85.0),
        _campaign("20000000022", "Camping Gear | Shopping | UK", "SHOPPING", 8800, 0.022, 0.50, 0.020, 70.0),
    )),
)

# Channel types whose clicks arrive as cpc (search results and shopping); the rest as display.
_CPC_CHANNELS = ("SEARCH", "SHOPPING", "PERFORMANCE_MAX")
_CHANNEL_GROUPS = {"SEARCH": "Paid Search", "SHOPPING": "Paid Shopping", "PERFORMANCE_MAX": "Cross-network",
                   "DISPLAY": "Display", "VIDEO": "Paid Video"}


def attribution(campaign: Campaign) -> Attribution:
    """A campaign's clicks as GA4's default channel grouping and HubSpot's original source see them."""
    cpc = campaign.channel_type in _CPC_CHANNELS
    analytics_source = "PAID_SEARCH" if cpc else "PAID_SOCIAL" if campaign.channel_type == "VIDEO" \
        else "OTHER_CAMPAIGNS"
    return Attribution("google", "cpc" if cpc else "display", _CHANNEL_GROUPS[campaign.channel_type],
                       analytics_source)


PLATFORM = AdPlatform(VENDOR, ACCOUNTS, attribution)


# --- ads: each ad group's ads split its numbers (ads.split_ad_day), with their landing pages ----------
# The ad type each channel serves. Only some types carry a name; shopping product ads have no final
# URL (the product feed's link is the landing page).
_AD_TYPES = {"SEARCH": "RESPONSIVE_SEARCH_AD", "SHOPPING": "SHOPPING_PRODUCT_AD", "PERFORMANCE_MAX": "RESPONSIVE_DISPLAY_AD",
             "DISPLAY": "IMAGE_AD", "VIDEO": "VIDEO_RESPONSIVE_AD"}
_NAMED_AD_TYPES = ("IMAGE_AD",)
SITE = {"USD": "https://www.acme-outdoor.example/us", "EUR": "https://www.acme-outdoor.example/de",
        "GBP": "https://www.acme-outdoor.example/uk"}


def ad_type(campaign: Campaign) -> str:
    return _AD_TYPES[campaign.channel_type]


def ad_display_name(campaign: Campaign, ad_group_index: int, ad_index: int) -> str | None:
    """The ad's name, or None for the types that have none (Google then leaves `ad.name` out)."""
    if ad_type(campaign) not in _NAMED_AD_TYPES:
        return None
    return ads.ad_name(ads.ad_group_name(campaign, ad_group_index), ad_index)


def _tags(campaign: Campaign, content: str | None = None) -> str:
    who = attribution(campaign)
    tags = f"utm_source={who.source}&utm_medium={who.medium}&utm_campaign={campaign.utm_campaign}"
    return tags + (f"&utm_content={content}" if content else "")


def campaign_url_suffix(campaign: Campaign) -> str | None:
    """Search campaigns tag their clicks with a campaign-level final URL suffix."""
    return _tags(campaign) if campaign.channel_type == "SEARCH" else None


def ad_url_suffix(campaign: Campaign, ad_id: str, ad_index: int) -> str | None:
    """A search campaign's second ad overrides its campaign's suffix with its own, naming the ad."""
    return _tags(campaign, ad_id) if campaign.channel_type == "SEARCH" and ad_index == 2 else None


def final_urls(account: Account, campaign: Campaign, ad_id: str, ad_index: int) -> list[str]:
    """The ad's final URLs: none for shopping product ads; the tags in the URL itself where no suffix
    carries them (display, video and Performance Max ads)."""
    if ad_type(campaign) == "SHOPPING_PRODUCT_AD":
        return []
    page = f"{SITE[account.currency_code]}/{campaign.utm_campaign.replace('_', '-')}/"
    if campaign.channel_type == "SEARCH":
        return [page]
    return [f"{page}?{_tags(campaign, ad_id)}"]


def tracking_url_template(campaign: Campaign) -> str | None:
    """Display and video clicks go through a click tracker, which redirects to the landing page."""
    return "https://clicks.acme-outdoor.example/r?u={lpurl}" if campaign.channel_type in ("DISPLAY", "VIDEO") else None


def ad_days(world: World, account: Account, campaign: Campaign, ad_group_id: str, ad_index: int,
            keys: Iterable[DayKey]) -> Iterator[tuple[DayKey, ads.AdDay]]:
    """The days one ad (1-based among its ad group's) served: its share of each ad group day."""
    for key, values in ads.ad_group_days(world, account, campaign, ad_group_id, keys):
        part = ads.split_ad_day(values, ad_group_id, key)[ad_index - 1]
        if part is not None:
            yield key, part


class QueryError(Exception):
    def __init__(self, code: str, message: str, trigger: str | None = None):
        self.code, self.message, self.trigger = code, message, trigger
        super().__init__(message)


# --- error bodies ----------------------------------------------------------------------------------
def failure(http_status: int, group: str, code: str, message: str, trigger: str | None = None,
            details: dict | None = None) -> dict:
    status, top_message = _STATUS_MESSAGES[http_status]
    error: dict[str, Any] = {"errorCode": {group: code}, "message": message}
    if trigger is not None:
        error["trigger"] = {"stringValue": trigger}
    if details:
        error["details"] = details
    return {"error": {"code": http_status, "message": top_message, "status": status, "details": [
        {"@type": FAILURE_TYPE, "errors": [error], "requestId": _request_id()}]}}


def _request_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()[:22]


def _rate_limited() -> dict:
    return failure(429, "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED",
                   "Too many requests. Retry in 0.2 seconds.",
                   details={"quotaErrorDetails": {"rateScope": "DEVELOPER", "rateName": "Number of operations "
                            "for basic access", "retryDelay": RETRY_DELAY}})


# --- field catalogue -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ctx:
    account: Account
    campaign: Campaign | None = None
    ad_group: tuple[str, int] | None = None  # (id, 1-based index)
    ad: tuple[str, int] | None = None  # (id, 1-based index within its ad group)
    day: date | None = None
    metrics: AdMetrics | None = None


INT64, DOUBLE, STRING, ENUM, BOOL, DATE = "int64", "double", "string", "enum", "bool", "date"
REPEATED_STRING = "repeated string"


@dataclass(frozen=True)
class FieldDef:
    resource: str
    kind: str
    get: Callable[[Ctx, World], Any]


def _m(name: str) -> Callable[[Ctx, World], Any]:
    return lambda ctx, world: getattr(ctx.metrics, name)


FIELDS: dict[str, FieldDef] = {
    "customer.resource_name": FieldDef("customer", STRING, lambda c, w: f"customers/{c.account.customer_id}"),
    "customer.id": FieldDef("customer", INT64, lambda c, w: int(c.account.customer_id)),
    "customer.descriptive_name": FieldDef("customer", STRING, lambda c, w: c.account.name),
    "customer.currency_code": FieldDef("customer", STRING, lambda c, w: c.account.currency_code),
    "customer.time_zone": FieldDef("customer", STRING, lambda c, w: c.account.time_zone),
    "customer.status": FieldDef("customer", ENUM, lambda c, w: "ENABLED"),
    "customer.manager": FieldDef("customer", BOOL, lambda c, w: False),
    "campaign.resource_name": FieldDef(
        "campaign", STRING, lambda c, w: f"customers/{c.account.customer_id}/campaigns/{c.campaign.campaign_id}"),
    "campaign.id": FieldDef("campaign", INT64, lambda c, w: int(c.campaign.campaign_id)),
    "campaign.name": FieldDef("campaign", STRING, lambda c, w: c.campaign.name),
    "campaign.status": FieldDef("campaign", ENUM, lambda c, w: c.campaign.status),
    "campaign.advertising_channel_type": FieldDef("campaign", ENUM, lambda c, w: c.campaign.channel_type),
    "ad_group.resource_name": FieldDef(
        "ad_group", STRING, lambda c, w: f"customers/{c.account.customer_id}/adGroups/{c.ad_group[0]}"),
    # The world's ad group ids carry leading zeros; served verbatim so they join back to the world.
    "ad_group.id": FieldDef("ad_group", INT64, lambda c, w: c.ad_group[0]),
    "ad_group.name": FieldDef("ad_group", STRING, lambda c, w: ads.ad_group_name(c.campaign, c.ad_group[1])),
    "ad_group.status": FieldDef("ad_group", ENUM, lambda c, w: "ENABLED"),
    "ad_group.campaign": FieldDef(
        "ad_group", STRING, lambda c, w: f"customers/{c.account.customer_id}/campaigns/{c.campaign.campaign_id}"),
    "ad_group.final_url_suffix": FieldDef("ad_group", STRING, lambda c, w: None),
    "campaign.final_url_suffix": FieldDef("campaign", STRING, lambda c, w: campaign_url_suffix(c.campaign)),
    "ad_group_ad.resource_name": FieldDef(
        "ad_group_ad", STRING, lambda c, w: f"customers/{c.account.customer_id}/adGroupAds/{c.ad_group[0]}~{c.ad[0]}"),
    "ad_group_ad.status": FieldDef("ad_group_ad", ENUM, lambda c, w: "ENABLED"),
    "ad_group_ad.ad_group": FieldDef(
        "ad_group_ad", STRING, lambda c, w: f"customers/{c.account.customer_id}/adGroups/{c.ad_group[0]}"),
    "ad_group_ad.ad.id": FieldDef("ad_group_ad", INT64, lambda c, w: c.ad[0]),
    "ad_group_ad.ad.name": FieldDef("ad_group_ad", STRING, lambda c, w: ad_display_name(c.campaign, c.ad_group[1],
                                                                                           c.ad[1])),
    "ad_group_ad.ad.type": FieldDef("ad_group_ad", ENUM, lambda c, w: ad_type(c.campaign)),
    "ad_group_ad.ad.final_urls": FieldDef("ad_group_ad", REPEATED_STRING,
                                          lambda c, w: final_urls(c.account, c.campaign, c.ad[0], c.ad[1])),
    "ad_group_ad.ad.tracking_url_template": FieldDef("ad_group_ad", STRING, lambda c, w: tracking_url_template(c.campaign)),
    "ad_group_ad.ad.final_url_suffix": FieldDef("ad_group_ad", STRING,
                                                lambda c, w: ad_url_suffix(c.campaign, c.ad[0], c.ad[1])),
    "segments.date": FieldDef("segments", DATE, lambda c, w: c.day),
    "metrics.impressions": FieldDef("metrics", INT64, _m("impressions")),
    "metrics.clicks": FieldDef("metrics", INT64, _m("clicks")),
    "metrics.cost_micros": FieldDef("metrics", INT64, _m("cost_micros")),
    "metrics.conversions": FieldDef("metrics", DOUBLE, _m("conversions")),
    "metrics.conversions_value": FieldDef("metrics", DOUBLE, _m("conversions_value")),
    "metrics.ctr": FieldDef("metrics", DOUBLE, lambda c, w: c.metrics.clicks / c.metrics.impressions
                            if c.metrics.impressions else 0.0),
    "metrics.average_cpc": FieldDef("metrics", DOUBLE, lambda c, w: c.metrics.cost_micros / c.metrics.clicks
                                    if c.metrics.clicks else 0.0),
}

# What each FROM resource may select besides its own fields (its attributed resources).
_COMPATIBLE = {
    "customer": {"customer", "metrics", "segments"},
    "campaign": {"campaign", "customer", "metrics", "segments"},
    "ad_group": {"ad_group", "campaign", "customer", "metrics", "segments"},
    "ad_group_ad": {"ad_group_ad", "ad_group", "campaign", "customer", "metrics", "segments"},
}
_IGNORED_PARAMETERS = {"include_drafts", "omit_unselected_resource_names"}


def _camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(w.capitalize() for w in rest)


# --- GAQL ------------------------------------------------------------------------------------------
_QUERY = re.compile(
    r"^\s*SELECT\s+(?P<select>.+?)\s+FROM\s+(?P<resource>\S+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
    r"(?:\s+LIMIT\s+(?P<limit>\S+))?(?:\s+PARAMETERS\s+(?P<params>.+?))?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_LITERAL = r"'[^']*'|\"[^\"]*\""
_CONDITION = re.compile(
    rf"\s*(?P<field>[a-z][a-z0-9_.]*)\s+(?:"
    rf"(?P<between>BETWEEN)\s+(?P<lo>{_LITERAL})\s+AND\s+(?P<hi>{_LITERAL})"
    rf"|(?P<during>DURING)\s+(?P<range>[A-Z0-9_]+)"
    rf"|(?P<op>NOT\s+IN|IN|!=|>=|<=|=|>|<)\s*(?P<value>\([^)]*\)|{_LITERAL}|[A-Za-z0-9_.\-]+))"
    rf"\s*(?:AND\b|$)",
    re.IGNORECASE,
)
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass
class Condition:
    field: str
    op: str
    value: Any  # a str, a list of str, or a (lo, hi) pair for BETWEEN/DURING


@dataclass
class Query:
    select: list[str]
    resource: str
    conditions: list[Condition]
    order: list[tuple[str, bool]]  # (field, descending)
    limit: int | None


def parse_gaql(text: str) -> Query:
    if not re.match(r"^\s*SELECT\b", text or "", re.IGNORECASE):
        raise QueryError("EXPECTED_SELECT", "SELECT is missing at the beginning of query.")
    match = _QUERY.match(text)
    if not match:
        raise QueryError("EXPECTED_FROM", "Missing FROM clause.")
    resource = match["resource"]
    if resource not in _COMPATIBLE:
        raise QueryError("BAD_RESOURCE_TYPE_IN_FROM_CLAUSE",
                         f"Invalid resource type was specified in the FROM clause: '{resource}'.", resource)
    select = [f.strip() for f in match["select"].split(",")]
    for name in select:
        _check_field(name, resource, "SELECT")
    conditions = _parse_where(match["where"] or "", resource)
    order = []
    for part in filter(None, (p.strip() for p in (match["order"] or "").split(","))):
        name, _, direction = part.partition(" ")
        _check_field(name, resource, "ORDER BY")
        order.append((name, direction.strip().upper() == "DESC"))
    limit = None
    if match["limit"]:
        if not match["limit"].isdigit():
            raise QueryError("BAD_LIMIT_VALUE", "Limit value is invalid.", match["limit"])
        limit = int(match["limit"])
        if limit < 1:
            raise QueryError("LIMIT_VALUE_TOO_LOW", "The value passed to the limit clause is too low.")
    for param in filter(None, (p.strip() for p in (match["params"] or "").split(","))):
        if param.split("=")[0].strip() not in _IGNORED_PARAMETERS:
            raise QueryError("BAD_PARAMETER_NAME", "Parameter unknown or not supported.", param)
    if "segments.date" in select and not _date_bounds(conditions)[2]:
        raise QueryError("EXPECTED_FILTERS_ON_DATE_RANGE",
                         "A finite date range must be specified when segments.date is selected.")
    return Query(select, resource, conditions, order, limit)


def _check_field(name: str, resource: str, clause: str) -> None:
    if not _FIELD_NAME.match(name):
        raise QueryError("BAD_FIELD_NAME", f"Field name is invalid: '{name}'.", name)
    if name not in FIELDS:
        raise QueryError("UNRECOGNIZED_FIELD", f"Unrecognized field in the query: '{name}'.", name)
    if FIELDS[name].resource not in _COMPATIBLE[resource]:
        raise QueryError(f"PROHIBITED_RESOURCE_TYPE_IN_{'WHERE' if clause == 'WHERE' else 'SELECT'}_CLAUSE",
                         f"'{name}' cannot be used in the {clause} clause of a query FROM {resource}.", name)


def _parse_where(where: str, resource: str) -> list[Condition]:
    conditions: list[Condition] = []
    pos = 0
    while pos < len(where):
        match = _CONDITION.match(where, pos)
        if not match or match.end() == pos:
            raise QueryError("UNEXPECTED_INPUT", "Query has an unexpected extra part.", where[pos:].strip())
        pos = match.end()
        name = match["field"]
        _check_field(name, resource, "WHERE")
        if match["between"]:
            conditions.append(Condition(name, "BETWEEN", (_unquote(match["lo"]), _unquote(match["hi"]))))
        elif match["during"]:
            if name != "segments.date":
                raise QueryError("OPERATOR_FIELD_MISMATCH", "DURING applies only to date segments.", name)
            conditions.append(Condition(name, "BETWEEN", _during(match["range"].upper())))
        else:
            op = re.sub(r"\s+", " ", match["op"].upper())
            raw = match["value"]
            if op in ("IN", "NOT IN"):
                if not raw.startswith("("):
                    raise QueryError("EXPECTED_LIST", "The operator requires a list.", raw)
                value: Any = [_unquote(v.strip()) for v in raw[1:-1].split(",") if v.strip()]
                if not value:
                    raise QueryError("PROHIBITED_EMPTY_LIST_IN_CONDITION", "A condition has an empty list.")
            else:
                if raw.startswith("("):
                    raise QueryError("EXPECTED_SINGLE_VALUE", "The operator expects a single value.", raw)
                value = _unquote(raw)
            conditions.append(Condition(name, op, value))
    for cond in conditions:
        if cond.field == "segments.date":
            for value in cond.value if cond.op == "BETWEEN" else [cond.value]:
                _parse_day(value, cond.op)
    return conditions


def _unquote(value: str) -> str:
    return value[1:-1] if value[:1] in ("'", '"') and value[-1:] == value[:1] else value


# DURING literals as (days back to the first day, days back to the last day) from the world's today.
_DURING = {"TODAY": (0, 0), "YESTERDAY": (1, 1), "LAST_7_DAYS": (7, 1), "LAST_14_DAYS": (14, 1),
           "LAST_30_DAYS": (30, 1)}


def _during(literal: str) -> tuple[str, str]:
    if literal not in _DURING:
        raise QueryError("INVALID_VALUE_WITH_DURING_OPERATOR",
                         "The value passed to the DURING operator is not a Date range literal.", literal)
    return (f"@{literal}:0", f"@{literal}:1")


def _parse_day(value: Any, op: str, today: date | None = None) -> date:
    if isinstance(value, str) and value.startswith("@"):
        literal, end = value[1:].split(":")
        days_back = _DURING[literal][int(end)]
        return (today or date.today()) - timedelta(days=days_back)
    try:
        if not re.match(r"^\d{4}-\d{2}-\d{2}$", str(value)):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        code = "INVALID_VALUE_WITH_BETWEEN_OPERATOR" if op == "BETWEEN" else "INVALID_DATE_FORMAT"
        raise QueryError(code, "Invalid date format. Expected 'YYYY-MM-DD'.", str(value)) from None


def _date_bounds(conditions: list[Condition], today: date | None = None) -> tuple[date | None, date | None, bool]:
    """The finite [lo, hi] the date conditions allow, and whether both ends are bounded."""
    lo: date | None = None
    hi: date | None = None
    for cond in conditions:
        if cond.field != "segments.date":
            continue
        if cond.op == "BETWEEN":
            pairs = [(">=", cond.value[0]), ("<=", cond.value[1])]
        elif cond.op in ("=", ">=", "<=", ">", "<"):
            pairs = [(cond.op, cond.value)]
        else:
            continue
        for op, raw in pairs:
            day = _parse_day(raw, cond.op, today)
            if op in ("=", ">=", ">"):
                start = day + timedelta(days=1) if op == ">" else day
                lo = start if lo is None else max(lo, start)
            if op in ("=", "<=", "<"):
                end = day - timedelta(days=1) if op == "<" else day
                hi = end if hi is None else min(hi, end)
    return lo, hi, lo is not None and hi is not None


# --- evaluation ------------------------------------------------------------------------------------
def _query_days(world: World, query: Query) -> list[date]:
    """The days of history the date conditions leave, as bounds (a date filter is not a row filter)."""
    lo, hi, _ = _date_bounds(query.conditions, world.today)
    if lo and hi and lo > hi:
        raise QueryError("DATE_RANGE_TOO_NARROW", "Filters on date have a start date after end date.")
    first, last = world.start, world.today - timedelta(days=1)
    return _days(max(lo or first, first), min(hi or last, last))


def run_query(world: World, account: Account, query: Query) -> list[dict[str, Any]]:
    """Rows as flat {gaql field: python value}, filtered, ordered and limited."""
    days = _query_days(world, query)
    referenced = set(query.select) | {c.field for c in query.conditions} | {f for f, _ in query.order}
    with_stats = any(FIELDS[f].resource in ("metrics", "segments") for f in referenced)
    # A date filter alone bounds the days summed; only selecting (or ordering by) the date splits rows.
    by_day = "segments.date" in query.select or any(f == "segments.date" for f, _ in query.order)
    filters = [c for c in query.conditions if by_day or c.field != "segments.date"]
    rows = []
    for ctx in _entities(world, account, query.resource):
        if not with_stats:
            rows.append(ctx)
        elif by_day:
            for day in days:
                metrics = _stats(world, ctx, [day])
                if metrics is not None:
                    rows.append(replace(ctx, day=day, metrics=metrics))
        else:
            metrics = _stats(world, ctx, days)
            if metrics is not None:
                rows.append(replace(ctx, metrics=metrics))
    flat = [{name: FIELDS[name].get(ctx, world) for name in referenced} for ctx in rows]
    flat = [row for row in flat if all(_matches(row[c.field], c, world.today) for c in filters)]
    for name, descending in reversed(query.order):
        flat.sort(key=lambda row, n=name: row[n], reverse=descending)
    return flat[: query.limit] if query.limit else flat


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _entities(world: World, account: Account, resource: str) -> Iterable[Ctx]:
    if resource == "customer":
        yield Ctx(account)
        return
    for campaign in account.campaigns:
        if resource == "campaign":
            yield Ctx(account, campaign)
            continue
        for index, ad_group_id in enumerate(ads.ad_group_ids(world, campaign), start=1):
            if resource == "ad_group":
                yield Ctx(account, campaign, (ad_group_id, index))
                continue
            for ad_index, ad_id in enumerate(ads.ad_ids(ad_group_id), start=1):
                yield Ctx(account, campaign, (ad_group_id, index), (ad_id, ad_index))


def _stats(world: World, ctx: Ctx, days: list[date]) -> AdMetrics | None:
    """Sum of the ad group days under ctx; None when nothing served (Google omits such rows). The
    customer's own totals count every campaign day, even one its campaign and ad group rows leave out."""
    if ctx.ad:
        total = None
        for _, values in ad_days(world, ctx.account, ctx.campaign, ctx.ad_group[0], ctx.ad[1],
                                 map(day_key, _reported(world, ctx.campaign, days))):
            total = add_to_total(total, values)
    elif ctx.ad_group:
        total = None
        for _, values in ads.ad_group_days(world, ctx.account, ctx.campaign, ctx.ad_group[0],
                                           map(day_key, _reported(world, ctx.campaign, days))):
            total = add_to_total(total, values)
    elif ctx.campaign:
        total = sum_totals(ads.campaign_day(world, ctx.account, ctx.campaign, day)
                           for day in _reported(world, ctx.campaign, days))
    else:
        total = sum_totals(ads.account_day(world, ctx.account, day) for day in days)
    return None if total is None else total_metrics(total)


def _reported(world: World, campaign: Campaign, days: list[date]) -> list[date]:
    """The days a campaign's (and its ad groups') rows report: not those the world leaves out."""
    return [day for day in days if not ads.omitted(world, campaign, day)]


def _matches(value: Any, cond: Condition, today: date) -> bool:
    if cond.op == "BETWEEN":
        lo, hi = (_parse_day(v, "BETWEEN", today) for v in cond.value)
        return value is not None and lo <= value <= hi
    if cond.op in ("IN", "NOT IN"):
        inside = any(_equal(value, v) for v in cond.value)
        return inside if cond.op == "IN" else not inside
    if cond.op == "=":
        return _equal(value, cond.value)
    if cond.op == "!=":
        return not _equal(value, cond.value)
    left, right = _comparable(value, cond.value)
    return {">": left > right, "<": left < right, ">=": left >= right, "<=": left <= right}[cond.op]


def _comparable(value: Any, literal: str) -> tuple[Any, Any]:
    if isinstance(value, date):
        return value, date.fromisoformat(literal)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return value, float(literal)
        except ValueError:
            raise QueryError("BAD_NUMBER", "Encountered number can not be parsed.", literal) from None
    return str(value), literal


def _equal(value: Any, literal: str) -> bool:
    left, right = _comparable(value, literal)
    return left == right


# --- fast path -------------------------------------------------------------------------------------
# Benchmarks read millions of ad group days through searchStream. For the shape they and the
# connector use (stats by day, bounded by date alone, unordered) rows are formatted straight to JSON
# text from a template made once per customer, campaign or ad group, skipping run_query's per-row
# dicts. The output is byte for byte what run_query + render_row + json.dumps give; that path stays
# the reference and serves every other query.

# The values that change from row to row, in this order; every other field is constant per entity.
_PER_ROW = ("segments.date", "metrics.impressions", "metrics.clicks", "metrics.cost_micros",
            "metrics.conversions", "metrics.conversions_value", "metrics.ctr", "metrics.average_cpc")
# How json.dumps(_encode(value)) writes each per-row kind: int64 as a quoted decimal, doubles as repr.
_SLOT = {INT64: '"%d"', DOUBLE: "%r", DATE: '"%s"'}
_DATE_BOUNDS = {"BETWEEN", "=", ">=", "<=", ">", "<"}


def _fast_path(query: Query) -> bool:
    return ("segments.date" in query.select and not query.order
            and all(c.field == "segments.date" and c.op in _DATE_BOUNDS for c in query.conditions))


def _row_format(world: World, ctx: Ctx, select: list[str]) -> tuple[str, Callable[[tuple], Any]]:
    """A %-format of one entity's rows (nested as render_row nests them) and what fills its slots."""
    tree: dict[str, Any] = {}
    for name in select:
        *parents, leaf = _path(name)
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = name
    slots: list[int] = []

    def text(node: dict[str, Any]) -> str:
        members = []
        for key, value in node.items():
            if isinstance(value, dict):
                members.append(f"{json.dumps(key)}: {text(value)}")
                continue
            definition = FIELDS[value]
            if value in _PER_ROW:
                slots.append(_PER_ROW.index(value))
                members.append(f"{json.dumps(key)}: {_SLOT[definition.kind]}")
                continue
            constant = definition.get(ctx, world)
            if not _unset(constant):
                encoded = json.dumps(_encode(constant, definition.kind)).replace("%", "%%")
                members.append(f"{json.dumps(key)}: {encoded}")
        return "{" + ", ".join(members) + "}"

    return text(tree), itemgetter(*slots)


def _entity_days(world: World, ctx: Ctx, keys: list[DayKey]) -> Iterable[tuple[DayKey, tuple]]:
    if ctx.campaign:
        keys = [key for key in keys if not ads.omitted(world, ctx.campaign, key.day)]
    if ctx.ad:
        return ad_days(world, ctx.account, ctx.campaign, ctx.ad_group[0], ctx.ad[1], keys)
    if ctx.ad_group:
        return ads.ad_group_days(world, ctx.account, ctx.campaign, ctx.ad_group[0], keys)
    out = []
    for key in keys:
        total = (ads.campaign_day(world, ctx.account, ctx.campaign, key.day) if ctx.campaign
                 else ads.account_day(world, ctx.account, key.day))
        if total is not None:
            m = total_metrics(total)
            out.append((key, (m.impressions, m.clicks, m.cost_micros, m.conversions, m.conversions_value)))
    return out


def _fast_rows(world: World, account: Account, query: Query) -> list[str]:
    keys = [day_key(day) for day in _query_days(world, query)]
    ratios = "metrics.ctr" in query.select or "metrics.average_cpc" in query.select
    limit = query.limit
    rows: list[str] = []
    append = rows.append
    for ctx in _entities(world, account, query.resource):
        template, fill = _row_format(world, ctx, query.select)
        for key, (impressions, clicks, cost_micros, conversions, conversions_value) in _entity_days(world, ctx, keys):
            ctr = cpc = 0.0
            if ratios:
                ctr = clicks / impressions if impressions else 0.0
                cpc = cost_micros / clicks if clicks else 0.0
            append(template % fill((key.iso, impressions, clicks, cost_micros, conversions, conversions_value,
                                    ctr, cpc)))
            if limit and len(rows) >= limit:
                return rows
    return rows


# --- rendering -------------------------------------------------------------------------------------
def render_row(row: dict[str, Any], select: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in select:
        definition = FIELDS[name]
        *parents, leaf = _path(name)
        target = out
        for part in parents:
            target = target.setdefault(part, {})
        # proto3 JSON leaves out an unset optional field and an empty repeated one.
        if not _unset(row[name]):
            target[leaf] = _encode(row[name], definition.kind)
    return out


def _path(name: str) -> list[str]:
    """`ad_group_ad.ad.final_urls` as the response nests it: adGroupAd, ad, finalUrls."""
    return [_camel(part) for part in name.split(".")]


def _unset(value: Any) -> bool:
    return value is None or value == []


def _encode(value: Any, kind: str) -> Any:
    if kind == INT64:
        return str(value)
    if kind == DOUBLE:
        return float(value)
    if kind == DATE:
        return value.isoformat()
    return value


def field_mask(select: list[str]) -> str:
    return ",".join(".".join(_camel(p) for p in name.split(".")) for name in select)


def _rows_with_fault(rows: list[dict], fault: str | None) -> list[dict]:
    if not rows:
        return rows
    if fault == "malformed_cost" and "costMicros" in rows[0].get("metrics", {}):
        rows[0]["metrics"]["costMicros"] = "12.5 EUR"
    elif fault == "missing_date" and "date" in rows[0].get("segments", {}):
        del rows[0]["segments"]["date"]
    elif fault == "unset_conversions":
        for row in rows:
            row.get("metrics", {}).pop("conversions", None)
            row.get("metrics", {}).pop("conversionsValue", None)
    return rows


# --- handlers --------------------------------------------------------------------------------------
@dataclass
class QueryLog:
    """This fake's state: what tests assert on, which customer was asked what under which manager."""

    queries: list[tuple[str, str, str | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _prepare(req: Request, state: SandboxState, stream: bool) -> tuple[Query, list[str]] | Response:
    """Shared by both methods: faults, auth, customer, query. A Response means answer it as is."""
    if req.fault in ("rate_limit", "stream_rate_limit"):
        body = _rate_limited()
        return Response(429, [body] if stream and req.fault == "stream_rate_limit" else body)
    if req.fault == "unavailable":
        return Response(503, {"error": {"code": 503, "message": "The service is currently unavailable.",
                                        "status": "UNAVAILABLE"}})
    denied = google_oauth.check_bearer(req, state)
    if denied is not None:
        return denied
    if req.headers.get("developer-token") != DEVELOPER_TOKEN:
        return Response(401, failure(401, "authenticationError", "DEVELOPER_TOKEN_INVALID",
                                     "The developer token is not valid."))
    login = req.headers.get("login-customer-id")
    if login is not None and not login.isdigit():
        return Response(400, failure(400, "headerError", "INVALID_LOGIN_CUSTOMER_ID",
                                     "The login customer ID could not be validated."))
    customer_id = req.arg("customer_id") or ""
    if not customer_id.isdigit():
        return Response(400, failure(400, "authenticationError", "CLIENT_CUSTOMER_ID_INVALID",
                                     "Client customer ID is not a number.", customer_id))
    account = PLATFORM.account(customer_id)
    if account is None:
        return Response(403, failure(403, "authenticationError", "CUSTOMER_NOT_FOUND",
                                     "No customer found for the provided customer id."))
    try:
        body = req.json() or {}
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return Response(400, failure(400, "requestError", "REQUIRED_FIELD_MISSING", "The query is required."))
    if "pageSize" in body:
        return Response(400, failure(400, "requestError", "PAGE_SIZE_NOT_SUPPORTED",
                                     "Setting the page size is not supported."))
    try:
        query = parse_gaql(body["query"])
        rows = _rows_json(state.world, account, query, req.fault)
    except QueryError as exc:
        return Response(400, failure(400, "queryError", exc.code, exc.message, exc.trigger))
    query_log = state.vendor(VENDOR)
    with query_log.lock:
        query_log.queries.append((customer_id, body["query"], login))
    return query, rows


_ROW_FAULTS = {"malformed_cost", "missing_date", "unset_conversions"}


def _rows_json(world: World, account: Account, query: Query, fault: str | None) -> list[str]:
    """Each result row as JSON text, as json.dumps writes it inside the response."""
    if fault not in _ROW_FAULTS and _fast_path(query):
        return _fast_rows(world, account, query)
    rows = _rows_with_fault([render_row(row, query.select) for row in run_query(world, account, query)], fault)
    return [json.dumps(row) for row in rows]


def _json_object(members: list[tuple[str, str]]) -> str:
    """A JSON object from (key, value already as JSON text), in json.dumps's layout."""
    return "{" + ", ".join(f"{json.dumps(key)}: {value}" for key, value in members) + "}"


def _results(rows: list[str]) -> str:
    return "[" + ", ".join(rows) + "]"


def search_stream(req: Request, state: SandboxState) -> Response:
    prepared = _prepare(req, state, stream=True)
    if isinstance(prepared, Response):
        return prepared
    query, rows = prepared
    trailer = [("fieldMask", json.dumps(field_mask(query.select))), ("requestId", json.dumps(_request_id()))]
    batches = [_json_object([("results", _results(rows[i:i + STREAM_BATCH_ROWS])), *trailer])
               for i in range(0, len(rows), STREAM_BATCH_ROWS)]
    return Response(200, _results(batches or [_json_object(trailer)]).encode())


def search(req: Request, state: SandboxState) -> Response:
    prepared = _prepare(req, state, stream=False)
    if isinstance(prepared, Response):
        return prepared
    query, rows = prepared
    body = req.json() or {}
    offset = 0
    if body.get("pageToken"):
        try:
            offset = int(json.loads(base64.urlsafe_b64decode(body["pageToken"]))["offset"])
        except (ValueError, KeyError, TypeError):
            return Response(400, failure(400, "requestError", "INVALID_PAGE_TOKEN", "Page token is invalid."))
    results = rows[offset:offset + SEARCH_PAGE_ROWS]
    page = [("results", _results(results))] if results else []
    page += [("fieldMask", json.dumps(field_mask(query.select))), ("requestId", json.dumps(_request_id()))]
    if offset + SEARCH_PAGE_ROWS < len(rows):
        token = json.dumps({"offset": offset + SEARCH_PAGE_ROWS}).encode()
        page.append(("nextPageToken", json.dumps(base64.urlsafe_b64encode(token).decode())))
    if (body.get("searchSettings") or {}).get("returnTotalResultsCount"):
        page.append(("totalResultsCount", json.dumps(str(len(rows)))))
    return Response(200, _json_object(page).encode())


# --- what the sandbox needs of this fake -----------------------------------------------------------
def _env(sandbox_url: str) -> dict[str, str]:
    return source_env(VENDOR, {
        "base_url": f"{sandbox_url}/{API_VERSION}",
        "token_url": google_oauth.token_url(sandbox_url),
        "customer_ids": ",".join(a.customer_id for a in ACCOUNTS),
        "login_customer_id": MANAGER_CUSTOMER_ID,
        "credentials.developer_token": DEVELOPER_TOKEN,
        **google_oauth.CLIENT_SETTINGS,
    })


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """What the connector loads for the days start to end: every customer, the campaign and ad group
    rows that served and were reported, each customer's own daily totals, and every ad (its rows split
    the ad group's numbers exactly)."""
    days = _days(start, end)
    campaign_rows = ad_group_rows = account_rows = ad_rows = ad_count = 0
    campaigns: AdTotal | None = None
    ad_groups: AdTotal | None = None
    accounts: AdTotal | None = None
    for account in ACCOUNTS:
        for day in days:
            total = ads.account_day(world, account, day)
            if total is not None:
                account_rows += 1
                accounts = sum_totals([accounts, total])
        for campaign in account.campaigns:
            reported = _reported(world, campaign, days)
            for day in reported:
                total = ads.campaign_day(world, account, campaign, day)
                if total is not None:
                    campaign_rows += 1
                    campaigns = sum_totals([campaigns, total])
            for ad_group_id in ads.ad_group_ids(world, campaign):
                ad_count += len(ads.ad_ids(ad_group_id))
                for key, values in ads.ad_group_days(world, account, campaign, ad_group_id, map(day_key, reported)):
                    ad_group_rows += 1
                    ad_groups = add_to_total(ad_groups, values)
                    ad_rows += sum(part is not None for part in ads.split_ad_day(values, ad_group_id, key))
    return {
        "customers": {"rows": len(ACCOUNTS), "sums": {}},
        "campaign_stats": {"rows": campaign_rows, "sums": _stat_sums(campaigns)},
        "ad_group_stats": {"rows": ad_group_rows, "sums": _stat_sums(ad_groups)},
        "account_stats": {"rows": account_rows, "sums": _stat_sums(accounts)},
        "ad_stats": {"rows": ad_rows, "sums": _stat_sums(ad_groups)},
        "ads": {"rows": ad_count, "sums": {}},
    }


def _stat_sums(total: AdTotal | None) -> dict[str, int | Decimal]:
    impressions, clicks, cost_micros, conversion_cents, value_cents = total or (0, 0, 0, 0, 0)
    return {"impressions": impressions, "clicks": clicks, "cost_micros": cost_micros,
            "spend": Decimal(cost_micros) / 10**6, "conversions": Decimal(conversion_cents) / 100,
            "conversions_value": Decimal(value_cents) / 100}


_CUSTOMER = rf"/{API_VERSION}/customers/(?P<customer_id>[^/]+)/googleAds"

FAKE = Fake(
    vendor=VENDOR,
    routes=(
        ("POST", _CUSTOMER + r":searchStream", search_stream),
        ("POST", _CUSTOMER + r":search", search),
    ),
    retryable=("rate_limit", "unavailable", "stream_rate_limit", "expired_token"),
    env=_env,
    state=QueryLog,
    warm=lambda world: ads.warm(world, ACCOUNTS),
    requires=(google_oauth.FAKE,),
    ad_platform=PLATFORM,
    expected_totals=expected_totals,
)
