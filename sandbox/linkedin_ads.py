"""Fake of LinkedIn's Marketing API (versioned `rest` APIs): ad accounts, the campaign group, campaign and
creative search finders, and `adAnalytics?q=analytics`.

Written from LinkedIn's documentation (learn.microsoft.com/linkedin/marketing: Reporting, Create and
Manage Campaign Groups / Campaigns / Creatives, Cursor Based Pagination, Rate Limiting, Rest.li protocol):
- every call needs `Authorization: Bearer`, `LinkedIn-Version: YYYYMM` (400 VERSION_MISSING without it,
  426 NONEXISTENT_VERSION for one that is not active) and `X-Restli-Protocol-Version: 2.0.0`;
- query values are Rest.li 2.0: `List(a,b)`, records `(k:v,...)`, reserved characters inside values (so a
  URN's colons) percent-encoded; anything else is 400 "Invalid query parameters passed to request";
- search finders page by cursor: `pageSize` (default 100, at most 1,000), `metadata.nextPageToken`,
  absent on the last page; adCampaigns requires search criteria;
- adAnalytics does not page, answers at most ELEMENT_CAP elements (400 "Request would return too many
  entities" past it), takes at most 20 `fields`, leaves out entity-days with no activity, reports UTC
  days, and returns money as decimal strings, counts as numbers;
- errors are `{"status", "serviceErrorCode", "code", "message"}`; throttling is 429 (no wait hint).

Its slice of the world (`PLATFORM`): one EUR account. Its campaign groups are the world's campaigns, its
campaigns the world's ad groups (ids as JSON numbers, so the world's ids are chosen without leading
zeros) and its creatives the world's ads. `externalWebsiteConversions` is a whole number, as LinkedIn
counts it: the world's conversions rounded half up per row. Pivot ACCOUNT is the account's own total
(`ads.account_day`); in an unreconciled world the finer pivots leave out a campaign group's day that it
still counts.

Faults (`req.fault`): rate_limit (429), daily_limit (429 naming a DAY limit), server_error (500),
unavailable (503), expired_token (401), forbidden (403), and, to exercise a client's record checks,
malformed_cost and missing_date_range, which wait for the next adAnalytics answer if they fall on
another call.
"""

from __future__ import annotations

import base64
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import orjson

from sandbox.core import Fake, Request, Response, SandboxState, TableTotals, source_env
from sandbox.world import World, ads
from sandbox.world.ads import Account, AdDay, AdPlatform, Attribution, Campaign, normalize_campaign
from sandbox.world.core import DayKey, day_key

VENDOR = "linkedin_ads"
# A member access token: the sandbox's own, published on purpose.
ACCESS_TOKEN = "AQX-sandbox-linkedin-member-token-0000000000"
RESTLI_PROTOCOL_VERSION = "2.0.0"
# Versions from the cursor-paging era on are served (202401: search finders moved to pageToken).
OLDEST_VERSION = 202401
# LinkedIn's limits. Tests shrink them to reach them with a small world.
ELEMENT_CAP = 15_000
MAX_FIELDS = 20
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1_000
BAD_COST = "12,50 EUR"

ACCOUNT_URN = "urn:li:sponsoredAccount:"
CAMPAIGN_GROUP_URN = "urn:li:sponsoredCampaignGroup:"
CAMPAIGN_URN = "urn:li:sponsoredCampaign:"
CREATIVE_URN = "urn:li:sponsoredCreative:"


# --- its slice of the world -------------------------------------------------------------------------
def _campaign(cid: str, name: str, imps: int, ctr: float, cpc: float, cvr: float, value: float,
              ad_groups: int) -> Campaign:
    # `channel_type` is the type of its LinkedIn campaigns (the world's ad groups).
    return Campaign(cid, name, normalize_campaign(name), "SPONSORED_UPDATES", "ACTIVE", imps, ctr, cpc, cvr,
                    value, ad_groups)


# B2B on LinkedIn: few impressions, a high cost per click. Ids end in digits without a leading zero, so
# the world's ad group and ad ids derived from them read as JSON numbers unchanged.
ACCOUNTS: tuple[Account, ...] = (
    Account("507000001", "Acme Outdoor B2B", "EUR", "UTC", (
        # The cross-platform campaign: the same name (and campaign key) as on Google Ads and Meta.
        _campaign("600001101", "Summer Sale | US", 3200, 0.0065, 6.40, 0.060, 180.0, ad_groups=3),
        _campaign("600001102", "Team Outfitting | EU", 2400, 0.0075, 8.20, 0.080, 420.0, ad_groups=2),
    )),
)


def attribution(campaign: Campaign) -> Attribution:
    """LinkedIn clicks as tagged by its ads' UTMs, GA4's default channel grouping and HubSpot see them."""
    return Attribution("linkedin", "paid_social", "Paid Social", "PAID_SOCIAL")


PLATFORM = AdPlatform(VENDOR, ACCOUNTS, attribution)


# --- the world as LinkedIn entities -----------------------------------------------------------------
@dataclass(frozen=True)
class LinkedInCampaign:
    """A LinkedIn campaign: one of the world's ad groups."""

    campaign_id: str
    name: str
    group: Campaign


@dataclass(frozen=True)
class Creative:
    creative_id: str
    name: str
    campaign: LinkedInCampaign
    index: int  # 0-based among its campaign's creatives, as split_ad_day orders them


def linkedin_campaigns(world: World, account: Account) -> list[LinkedInCampaign]:
    return [LinkedInCampaign(ad_group_id, ads.ad_group_name(group, i), group)
            for group in account.campaigns
            for i, ad_group_id in enumerate(ads.ad_group_ids(world, group), start=1)]


def creatives(world: World, account: Account) -> list[Creative]:
    return [Creative(ad_id, ads.ad_name(campaign.name, i), campaign, i - 1)
            for campaign in linkedin_campaigns(world, account)
            for i, ad_id in enumerate(ads.ad_ids(campaign.campaign_id), start=1)]


def creative_content(creative: Creative) -> dict[str, Any]:
    """A campaign's first creative is sponsored content (a reference to a post, whose landing page the
    Creatives API does not give); its second a text ad, which names its landing page."""
    if creative.index == 0:
        return {"reference": f"urn:li:share:7{creative.creative_id}"}
    who = attribution(creative.campaign.group)
    page = (f"https://www.acme-outdoor.example/b2b/{creative.campaign.group.utm_campaign.replace('_', '-')}/"
            f"?utm_source={who.source}&utm_medium={who.medium}&utm_campaign={creative.campaign.group.utm_campaign}")
    return {"textAd": {"headline": creative.campaign.group.name[:25], "description": creative.name[:75],
                       "landingPage": page}}


def _whole_conversions(conversions: float) -> int:
    """LinkedIn counts conversions: the world's hundredths, rounded half up."""
    return (round(conversions * 100) + 50) // 100


@dataclass(frozen=True)
class Row:
    """One entity-day as adAnalytics reports it, in exact units."""

    urn: str
    day: date
    impressions: int
    clicks: int
    cost_cents: int
    conversions: int
    value_cents: int


def _row(urn: str, key: DayKey, values: AdDay) -> Row:
    impressions, clicks, cost_micros, conversions, conversions_value = values
    return Row(urn, key.day, impressions, clicks, cost_micros // 10_000, _whole_conversions(conversions),
               round(conversions_value * 100))


def _reported(world: World, group: Campaign, keys: list[DayKey]) -> list[DayKey]:
    """The days a campaign group's rows (and its campaigns' and creatives') report: not those the world
    leaves out of every pivot finer than the account."""
    return [key for key in keys if not ads.omitted(world, group, key.day)]


def campaign_rows(world: World, account: Account, keys: list[DayKey],
                  wanted: Callable[[LinkedInCampaign], bool] = lambda c: True) -> Iterator[Row]:
    for campaign in linkedin_campaigns(world, account):
        if wanted(campaign):
            for key, values in ads.ad_group_days(world, account, campaign.group, campaign.campaign_id,
                                                 _reported(world, campaign.group, keys)):
                yield _row(f"{CAMPAIGN_URN}{campaign.campaign_id}", key, values)


def creative_rows(world: World, account: Account, keys: list[DayKey],
                  wanted: Callable[[LinkedInCampaign], bool] = lambda c: True) -> Iterator[Row]:
    for campaign in linkedin_campaigns(world, account):
        if not wanted(campaign):
            continue
        ad_ids = ads.ad_ids(campaign.campaign_id)
        for key, values in ads.ad_group_days(world, account, campaign.group, campaign.campaign_id,
                                             _reported(world, campaign.group, keys)):
            for ad_id, part in zip(ad_ids, ads.split_ad_day(values, campaign.campaign_id, key, len(ad_ids)),
                                   strict=True):
                if part is not None:
                    yield _row(f"{CREATIVE_URN}{ad_id}", key, part)


def group_rows(world: World, account: Account, keys: list[DayKey],
               wanted: Callable[[LinkedInCampaign], bool] = lambda c: True) -> Iterator[Row]:
    """Pivot CAMPAIGN_GROUP: its campaigns' rows summed per day."""
    sums: dict[tuple[str, date], list[int]] = {}
    for campaign in linkedin_campaigns(world, account):
        if not wanted(campaign):
            continue
        for key, values in ads.ad_group_days(world, account, campaign.group, campaign.campaign_id,
                                             _reported(world, campaign.group, keys)):
            row = _row("", key, values)
            acc = sums.setdefault((campaign.group.campaign_id, key.day), [0, 0, 0, 0, 0])
            for i, v in enumerate((row.impressions, row.clicks, row.cost_cents, row.conversions, row.value_cents)):
                acc[i] += v
    for (group_id, day), v in sorted(sums.items(), key=lambda item: (item[0][1], item[0][0])):
        yield Row(f"{CAMPAIGN_GROUP_URN}{group_id}", day, *v)


def account_rows(world: World, account: Account, keys: list[DayKey]) -> Iterator[Row]:
    """Pivot ACCOUNT: the account's own day (`ads.account_day`), every campaign counted, even one the finer
    pivots leave out. LinkedIn counts conversions whole, per campaign and day: the account's are the sum of
    those counts (what its CAMPAIGN pivot gives), not its hundredths rounded once."""
    conversions: dict[date, int] = {}
    for campaign in linkedin_campaigns(world, account):
        for key, values in ads.ad_group_days(world, account, campaign.group, campaign.campaign_id, keys):
            conversions[key.day] = conversions.get(key.day, 0) + _whole_conversions(values[3])
    for key in keys:
        total = ads.account_day(world, account, key.day)
        if total is not None:
            impressions, clicks, cost_micros, _, value_cents = total
            yield Row(f"{ACCOUNT_URN}{account.customer_id}", key.day, impressions, clicks, cost_micros // 10_000,
                      conversions[key.day], value_cents)


# --- Rest.li 2.0 -------------------------------------------------------------------------------------
class RestliError(ValueError):
    pass


def parse_restli(text: str) -> Any:
    """A Rest.li 2.0 URL value, as sent (still percent-encoded): List(...) -> list, (k:v,...) -> dict,
    anything else a string, decoded. A reserved character where a value should be is an error."""
    value, pos = _value(text, 0)
    if pos != len(text):
        raise RestliError(f"unexpected {text[pos]!r} at {pos}")
    return value


def _value(text: str, pos: int) -> tuple[Any, int]:
    if text.startswith("List(", pos):
        items: list[Any] = []
        pos += 5
        if text.startswith(")", pos):
            return items, pos + 1
        while True:
            item, pos = _value(text, pos)
            items.append(item)
            if text.startswith(",", pos):
                pos += 1
            elif text.startswith(")", pos):
                return items, pos + 1
            else:
                raise RestliError(f"expected ',' or ')' at {pos}")
    if text.startswith("(", pos):
        record: dict[str, Any] = {}
        pos += 1
        if text.startswith(")", pos):
            return record, pos + 1
        while True:
            key, pos = _literal(text, pos)
            if not text.startswith(":", pos):
                raise RestliError(f"expected ':' at {pos}")
            record[key], pos = _value(text, pos + 1)
            if text.startswith(",", pos):
                pos += 1
            elif text.startswith(")", pos):
                return record, pos + 1
            else:
                raise RestliError(f"expected ',' or ')' at {pos}")
    return _literal(text, pos)


def _literal(text: str, pos: int) -> tuple[str, int]:
    end = pos
    while end < len(text) and text[end] not in "(),:'":
        end += 1
    if end < len(text) and text[end] in "('":
        raise RestliError(f"unexpected {text[end]!r} at {end}")
    return unquote(text[pos:end]), end


def _raw_params(req: Request) -> dict[str, str]:
    """The query's values as sent (not decoded), by decoded name."""
    params: dict[str, str] = {}
    for part in filter(None, req.raw_query.split("&")):
        name, _, value = part.partition("=")
        params.setdefault(unquote(name), value)
    return params


# --- error bodies ------------------------------------------------------------------------------------
def error(status: int, message: str, code: str | None = None, service_error_code: int | None = None) -> Response:
    body: dict[str, Any] = {"status": status}
    if service_error_code is not None:
        body["serviceErrorCode"] = service_error_code
    if code is not None:
        body["code"] = code
    body["message"] = message
    return Response(status, body, {"X-RestLi-Error-Response": "true"})


def _invalid(detail: str = "") -> Response:
    return error(400, "Invalid query parameters passed to request" + (f": {detail}" if detail else ""),
                 "ILLEGAL_ARGUMENT", 100)


# --- state and checks --------------------------------------------------------------------------------
_ROW_FAULTS = ("malformed_cost", "missing_date_range")


@dataclass
class LinkedInState:
    """What tests assert on: each adAnalytics call's (pivot, account, start, end); row faults waiting for
    the next adAnalytics answer."""

    analytics_calls: list[tuple[str, str, date, date]] = field(default_factory=list)
    pending_row_faults: deque[str] = field(default_factory=deque)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _check(req: Request, state: SandboxState) -> Response | None:
    """Faults, auth, version and protocol headers: a Response means answer it as is."""
    fault = req.fault
    if fault == "rate_limit":
        return error(429, "Too many requests. Please retry later.", "TOO_MANY_REQUESTS", 101)
    if fault == "daily_limit":
        return error(429, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
                     "TOO_MANY_REQUESTS", 101)
    if fault == "server_error":
        return error(500, "Internal Server Error", "INTERNAL_SERVER_ERROR")
    if fault == "unavailable":
        return error(503, "Service Unavailable", "SERVICE_UNAVAILABLE")
    if fault == "expired_token":
        return error(401, "The token used in the request has expired", "EXPIRED_ACCESS_TOKEN", 65601)
    if fault == "forbidden":
        return error(403, "Not enough permissions to access: partnerApiAdAnalytics.FINDER-analytics",
                     "ACCESS_DENIED", 100)
    if fault in _ROW_FAULTS and not req.path.endswith("/adAnalytics"):
        own = state.vendor(VENDOR)
        with own.lock:
            own.pending_row_faults.append(fault)
    if req.bearer() != ACCESS_TOKEN:
        return error(401, "Invalid access token", "INVALID_ACCESS_TOKEN", 65600)
    version = req.headers.get("linkedin-version")
    if not version:
        return error(400, "A version must be present. Please specify a version by adding the LinkedIn-Version "
                          "header.", "VERSION_MISSING")
    head, _, release = version.partition(".")
    if not (len(head) == 6 and head.isdigit() and 1 <= int(head[4:]) <= 12 and int(head) >= OLDEST_VERSION
            and (not release or release.isdigit())):
        return error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION")
    if req.headers.get("x-restli-protocol-version") != RESTLI_PROTOCOL_VERSION:
        return _invalid("send X-Restli-Protocol-Version: 2.0.0")
    return None


def _account(account_id: str | None) -> Account | None:
    return PLATFORM.account(account_id or "")


# --- finders -----------------------------------------------------------------------------------------
def _page(req: Request, elements: list[dict]) -> Response:
    size_text = req.arg("pageSize", str(DEFAULT_PAGE_SIZE)) or ""
    if not size_text.isdigit() or not 1 <= int(size_text) <= MAX_PAGE_SIZE:
        return error(400, f"pageSize must be between 1 and {MAX_PAGE_SIZE}", "ILLEGAL_ARGUMENT", 100)
    size, offset = int(size_text), 0
    token = req.arg("pageToken")
    if token:
        try:
            offset = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        except ValueError:
            return error(400, "Invalid pageToken", "ILLEGAL_ARGUMENT", 100)
    body: dict[str, Any] = {"elements": elements[offset:offset + size], "metadata": {}}
    if offset + size < len(elements):
        body["metadata"]["nextPageToken"] = base64.urlsafe_b64encode(f"offset:{offset + size}".encode()).decode()
    return Response(200, body)


def _search(req: Request, required: bool) -> dict[str, Any] | Response:
    raw = _raw_params(req).get("search")
    if raw is None:
        return _invalid("search criteria are required") if required else {}
    try:
        search = parse_restli(raw)
    except RestliError as exc:
        return _invalid(f"search: {exc}")
    return search if isinstance(search, dict) else _invalid("search must be a record")


def _status_filter(search: dict[str, Any]) -> Callable[[str], bool]:
    status = search.get("status")
    values = status.get("values") if isinstance(status, dict) else None
    return (lambda s: s in values) if isinstance(values, list) else (lambda s: True)


def _entity_route(handler: Callable[[Request, SandboxState, Account], Response]):
    def route(req: Request, state: SandboxState) -> Response:
        checked = _check(req, state)
        if checked is not None:
            return checked
        account = _account(req.arg("account_id"))
        if account is None:
            return error(403, f"Not enough permissions to access: adAccounts {req.arg('account_id')}",
                         "ACCESS_DENIED", 100)
        return handler(req, state, account)
    return route


def _ad_account(req: Request, state: SandboxState, account: Account) -> Response:
    return Response(200, {
        "id": int(account.customer_id), "name": account.name, "currency": account.currency_code,
        "status": "ACTIVE", "type": "BUSINESS", "test": False, "reference": "urn:li:organization:2414183",
        "notifiedOnCampaignOptimization": False, "notifiedOnCreativeApproval": False,
        "notifiedOnCreativeRejection": False, "notifiedOnEndOfCampaign": False, "servingStatuses": ["RUNNABLE"],
        "version": {"versionTag": "2"},
    })


def _campaign_groups(req: Request, state: SandboxState, account: Account) -> Response:
    if req.arg("q") != "search":
        return _invalid("q must be search")
    search = _search(req, required=False)
    if isinstance(search, Response):
        return search
    keep = _status_filter(search)
    elements = [{"id": int(g.campaign_id), "account": f"{ACCOUNT_URN}{account.customer_id}", "name": g.name,
                 "status": g.status, "test": False, "backfilled": False,
                 "runSchedule": {"start": _millis(state.world.start)}, "servingStatuses": ["RUNNABLE"]}
                for g in account.campaigns if keep(g.status)]
    return _page(req, elements)


def _campaigns(req: Request, state: SandboxState, account: Account) -> Response:
    if req.arg("q") != "search":
        return _invalid("q must be search")
    search = _search(req, required=True)
    if isinstance(search, Response):
        return search
    keep = _status_filter(search)
    elements = [{"id": int(c.campaign_id), "account": f"{ACCOUNT_URN}{account.customer_id}",
                 "campaignGroup": f"{CAMPAIGN_GROUP_URN}{c.group.campaign_id}", "name": c.name, "status": "ACTIVE",
                 "type": c.group.channel_type, "costType": "CPC", "format": "SINGLE_IMAGE", "test": False,
                 "dailyBudget": {"amount": "250", "currencyCode": account.currency_code},
                 "locale": {"country": "US", "language": "en"}, "objectiveType": "WEBSITE_VISIT",
                 "servingStatuses": ["RUNNABLE"]}
                for c in linkedin_campaigns(state.world, account) if keep("ACTIVE")]
    return _page(req, elements)


def _creatives(req: Request, state: SandboxState, account: Account) -> Response:
    if req.arg("q") != "criteria":
        return _invalid("q must be criteria")
    raw = _raw_params(req)
    try:
        campaigns = parse_restli(raw["campaigns"]) if "campaigns" in raw else None
        statuses = parse_restli(raw["intendedStatuses"]) if "intendedStatuses" in raw else None
    except RestliError as exc:
        return _invalid(str(exc))
    elements = [{"id": f"{CREATIVE_URN}{c.creative_id}", "account": f"{ACCOUNT_URN}{account.customer_id}",
                 "campaign": f"{CAMPAIGN_URN}{c.campaign.campaign_id}", "name": c.name, "intendedStatus": "ACTIVE",
                 "isServing": True, "isTest": False, "content": creative_content(c),
                 "createdAt": _millis(state.world.start), "lastModifiedAt": _millis(state.world.start)}
                for c in creatives(state.world, account)
                if (campaigns is None or f"{CAMPAIGN_URN}{c.campaign.campaign_id}" in campaigns)
                and (statuses is None or "ACTIVE" in statuses)]
    return _page(req, elements)


def _millis(day: date) -> int:
    return (day - date(1970, 1, 1)).days * 86_400_000


# --- adAnalytics -------------------------------------------------------------------------------------
def _cents_text(cents: int) -> str:
    """Cents as LinkedIn's decimal string with two places: str(Decimal(cents).scaleb(-2)), faster."""
    if -10**13 < cents < 10**13:  # exact through a double: the nearest one rounds back to these cents
        return f"{cents / 100:.2f}"
    whole, part = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{part:02d}"


_METRICS: dict[str, Callable[[Row], Any]] = {
    "impressions": lambda r: r.impressions,
    "clicks": lambda r: r.clicks,
    "costInLocalCurrency": lambda r: _cents_text(r.cost_cents),
    "externalWebsiteConversions": lambda r: r.conversions,
    "conversionValueInLocalCurrency": lambda r: _cents_text(r.value_cents),
}
_DEFAULT_FIELDS = ("impressions", "clicks", "dateRange", "pivotValues")
_PIVOTS = {"CAMPAIGN": campaign_rows, "CREATIVE": creative_rows, "CAMPAIGN_GROUP": group_rows,
           "ACCOUNT": lambda world, account, keys, wanted: account_rows(world, account, keys)}


def _restli_day(value: Any) -> date:
    if not isinstance(value, dict):
        raise ValueError("not a date record")
    return date(int(value["year"]), int(value["month"]), int(value["day"]))


def ad_analytics(req: Request, state: SandboxState) -> Response:
    checked = _check(req, state)
    if checked is not None:
        return checked
    if req.arg("q") != "analytics":
        return _invalid("this fake serves q=analytics")
    pivot = req.arg("pivot")
    if pivot not in _PIVOTS:
        return _invalid(f"pivot {pivot} is not supported")
    granularity = req.arg("timeGranularity")
    if granularity not in ("DAILY", "ALL"):
        return _invalid("timeGranularity must be DAILY or ALL here")
    fields = tuple(f for f in (req.arg("fields") or "").split(",") if f) or _DEFAULT_FIELDS
    if len(fields) > MAX_FIELDS:
        return error(400, f"A maximum of {MAX_FIELDS} fields can be requested", "ILLEGAL_ARGUMENT", 100)
    unknown = [f for f in fields if f not in _METRICS and f not in ("dateRange", "pivotValues")]
    if unknown:
        return _invalid(f"unknown fields {', '.join(unknown)}")
    raw = _raw_params(req)
    try:
        date_range = parse_restli(raw["dateRange"])
        start = _restli_day(date_range["start"])
        end = _restli_day(date_range["end"]) if "end" in date_range else state.world.today
        accounts = parse_restli(raw["accounts"]) if "accounts" in raw else None
        campaigns = parse_restli(raw["campaigns"]) if "campaigns" in raw else None
    except (KeyError, TypeError, ValueError) as exc:
        return _invalid(f"dateRange, accounts or campaigns: {exc}")
    if accounts is None and campaigns is None:
        return _invalid("name at least one facet: accounts, campaigns, ...")
    if pivot == "ACCOUNT" and campaigns is not None:
        return _invalid("this fake serves pivot ACCOUNT for whole accounts (an accounts facet alone)")
    if (accounts is not None and not isinstance(accounts, list)) or (campaigns is not None and
                                                                    not isinstance(campaigns, list)):
        return _invalid("facets are List(...)")
    if end < start:
        return _invalid("dateRange ends before it starts")
    keys = [day_key(start + timedelta(days=i)) for i in range((end - start).days + 1)]

    def wanted(campaign: LinkedInCampaign) -> bool:
        return campaigns is None or f"{CAMPAIGN_URN}{campaign.campaign_id}" in campaigns

    # Accounts the token cannot read add nothing: "an empty response is returned if ... you don't have
    # read access".
    chosen = [a for a in ACCOUNTS if accounts is None or f"{ACCOUNT_URN}{a.customer_id}" in accounts]
    rows = [row for account in chosen for row in _PIVOTS[pivot](state.world, account, keys, wanted)]
    if granularity == "ALL":
        rows = _all(rows, start, end)
    else:
        rows.sort(key=lambda r: (r.day, r.urn))
    if len(rows) > ELEMENT_CAP:
        return error(400, f"Request would return too many entities. The maximum is {ELEMENT_CAP} elements; "
                          "request a shorter dateRange or fewer entities.", "ILLEGAL_ARGUMENT", 100)
    own = state.vendor(VENDOR)
    with own.lock:
        own.analytics_calls.append((pivot, ",".join(accounts or []), start, end))
        fault = req.fault if req.fault in _ROW_FAULTS else (
            own.pending_row_faults.popleft() if own.pending_row_faults else None)
    elements = _elements(rows, fields, granularity, end)
    if elements and fault == "malformed_cost" and "costInLocalCurrency" in elements[0]:
        elements[0]["costInLocalCurrency"] = BAD_COST
    elif elements and fault == "missing_date_range" and "dateRange" in elements[0]:
        del elements[0]["dateRange"]
    # Encoded here (orjson): answers run to 15,000 elements, and the standard encoder was much of the cost.
    return Response(200, orjson.dumps({"paging": {"start": 0, "count": 10, "links": []}, "elements": elements}))


def _all(rows: Iterable[Row], start: date, end: date) -> list[Row]:
    sums: dict[str, list[int]] = {}
    for r in rows:
        acc = sums.setdefault(r.urn, [0, 0, 0, 0, 0])
        for i, v in enumerate((r.impressions, r.clicks, r.cost_cents, r.conversions, r.value_cents)):
            acc[i] += v
    return [Row(urn, start, *v) for urn, v in sorted(sums.items())]


def _elements(rows: list[Row], fields: tuple[str, ...], granularity: str, end: date) -> list[dict[str, Any]]:
    """The answer's elements. A day's dateRange is built once and shared by its rows (they are only
    encoded; a fault replaces or removes an element's key, never edits the shared record)."""
    ranges: dict[date, dict[str, Any]] = {}

    def date_range(row: Row) -> dict[str, Any]:
        found = ranges.get(row.day)
        if found is None:
            day = row.day
            last = day if granularity == "DAILY" else end
            found = ranges[day] = {"start": {"year": day.year, "month": day.month, "day": day.day},
                                   "end": {"year": last.year, "month": last.month, "day": last.day}}
        return found

    getters = tuple((name, date_range if name == "dateRange" else _pivot_values if name == "pivotValues"
                     else _METRICS[name]) for name in fields)
    return [{name: get(row) for name, get in getters} for row in rows]


def _pivot_values(row: Row) -> list[str]:
    return [row.urn]


# --- what the sandbox needs of this fake -------------------------------------------------------------
def _env(sandbox_url: str) -> dict[str, str]:
    return source_env(VENDOR, {
        "base_url": sandbox_url,
        "account_ids": ",".join(a.customer_id for a in ACCOUNTS),
        "credentials.access_token": ACCESS_TOKEN,
    })


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """What the connector loads for the days start to end: every entity, the entity-days that served and
    were reported, and the account's own days."""
    keys = [day_key(start + timedelta(days=i)) for i in range((end - start).days + 1)]
    counts = {"campaign_groups": 0, "campaigns": 0, "creatives": 0}
    stats: dict[str, TableTotals] = {}
    for account in ACCOUNTS:
        counts["campaign_groups"] += len(account.campaigns)
        counts["campaigns"] += len(linkedin_campaigns(world, account))
        counts["creatives"] += len(creatives(world, account))
    for table, rows in (("campaign_stats", campaign_rows), ("creative_stats", creative_rows),
                        ("account_stats", account_rows)):
        found = [row for account in ACCOUNTS for row in rows(world, account, keys)]
        stats[table] = {"rows": len(found), "sums": {
            "impressions": sum(r.impressions for r in found), "clicks": sum(r.clicks for r in found),
            "cost_in_local_currency": Decimal(sum(r.cost_cents for r in found)) / 100,
            "external_website_conversions": sum(r.conversions for r in found),
            "conversion_value_in_local_currency": Decimal(sum(r.value_cents for r in found)) / 100}}
    return {
        "accounts": {"rows": len(ACCOUNTS), "sums": {}},
        **{name: {"rows": count, "sums": {}} for name, count in counts.items()},
        **stats,
        "quarantine": {"rows": 0, "sums": {}},
    }


_ACCOUNT = r"/rest/adAccounts/(?P<account_id>[^/]+)"

FAKE = Fake(
    vendor=VENDOR,
    routes=(
        ("GET", _ACCOUNT, _entity_route(_ad_account)),
        ("GET", _ACCOUNT + r"/adCampaignGroups", _entity_route(_campaign_groups)),
        ("GET", _ACCOUNT + r"/adCampaigns", _entity_route(_campaigns)),
        ("GET", _ACCOUNT + r"/creatives", _entity_route(_creatives)),
        ("GET", r"/rest/adAnalytics", ad_analytics),
    ),
    retryable=("rate_limit", "server_error", "unavailable"),
    env=_env,
    state=LinkedInState,
    warm=lambda world: ads.warm(world, ACCOUNTS),
    ad_platform=PLATFORM,
    expected_totals=expected_totals,
)
