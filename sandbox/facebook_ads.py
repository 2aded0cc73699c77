"""Fake of the Meta Marketing API (Graph API v26.0): ad accounts, their campaigns, ad sets and ads
edges, and insights, read directly or through asynchronous report runs.

Written from Meta's documentation (see `connectors/facebook_ads/settings.py` for the pages):

- Paths carry the version: `/v26.0/act_{id}`, `/v26.0/act_{id}/insights` (GET reads, POST starts a
  report run answering `{"report_run_id"}`), `/v26.0/{report_run_id}` (`async_status`,
  `async_percent_completion`), `/v26.0/{report_run_id}/insights`, `/v26.0/act_{id}/{campaigns,adsets,ads}`.
- The access token is accepted as the `access_token` query (or form) parameter, as the official
  SDK sends it, or as an `Authorization: Bearer` / `OAuth` header.
- Lists page with cursors: `{"data": [...], "paging": {"cursors": {"before", "after"}, "next"}}`,
  `next` an absolute URL back to this sandbox (carrying `access_token` when the request did).
- Insights rows: every number a string; rows that delivered nothing left out; `actions` and
  `action_values` list each conversion under the pixel's action type *and* the deduplicated ones
  (`omni_purchase`, `purchase`, `lead`), next to noise (`link_click`, `landing_page_view`), so a
  client that sums more than one of a family double counts visibly. The world's conversions of a
  row (hundredths) are split between leads and purchases by the row's own dice; `lead` plus
  `omni_purchase` is the world's conversions exactly, and the purchase value is the world's
  conversions value.
- Levels: `account` rows are the account's own daily totals (`ads.account_day`, no campaign or
  finer ids), summed in exact units so the campaign rows add up to them; `campaign`, `adset` and
  `ad` rows leave out the campaign days `ads.omitted` names (the world's `unreconciled` switch),
  which the account rows still count.
- Errors: `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`; throttling as
  HTTP 400 with codes 4, 17, 32, 613, 80000 and an `X-Business-Use-Case-Usage` header
  (`estimated_time_to_regain_access` in minutes), or `X-Ad-Account-Usage`.

Faults (`req.fault`): throttle_app (4), throttle_user (17/2446079), throttle_page (32),
throttle_account (613/1487742), throttle_insights (80000), throttle_wait (80000 with a one-minute
estimate), unavailable (503, code 2), internal_error (500, code 1, transient), expired_token (190),
job_failed (a report run fails), and, for a client's record checks, malformed_spend,
malformed_action and missing_date (on the first row of the page served).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import orjson

from sandbox.core import Fake, Request, Response, SandboxState, TableTotals, source_env
from sandbox.world import World, ads
from sandbox.world.ads import Account, AdPlatform, AdTotal, Attribution, Campaign, add_to_total, normalize_campaign
from sandbox.world.core import DayKey, day_key

VENDOR = "facebook_ads"
API_VERSION = "v26.0"
# Sandbox-only credentials, published on purpose.
ACCESS_TOKEN = "EAAsandboxFacebookAdsAccessToken0000"
BUSINESS_ID = "1122334455667788"
# Meta's default page size; tests shrink it to exercise paging.
DEFAULT_LIMIT = 25
# Polls of a report run before it completes; tests raise it.
POLLS_UNTIL_DONE = 2
THROTTLE_MINUTES = 1  # what the throttle_wait fault advertises

INSIGHT_FIELDS = ("account_id", "account_name", "account_currency", "campaign_id", "campaign_name", "adset_id",
                  "adset_name", "ad_id", "ad_name", "objective", "date_start", "date_stop", "impressions",
                  "clicks", "spend", "actions", "action_values")
# What each level's rows may carry: the ids and names of the objects above it and its own.
_LEVEL_FIELDS = {
    "campaign": {"campaign_id", "campaign_name", "objective"},
    "adset": {"campaign_id", "campaign_name", "objective", "adset_id", "adset_name"},
    "ad": {"campaign_id", "campaign_name", "objective", "adset_id", "adset_name", "ad_id", "ad_name"},
}
LEVELS = ("account", "campaign", "adset", "ad")
# AdsInsights.ActionAttributionWindows in facebook-business 26.
WINDOWS = frozenset({
    "1d_click", "1d_ev", "1d_sequenced", "1d_view", "28d_click", "28d_sequenced", "28d_view",
    "28d_view_all_conversions", "28d_view_first_conversion", "7d_click", "7d_sequenced", "7d_view",
    "7d_view_all_conversions", "7d_view_first_conversion", "custom", "dda", "default", "incrementality",
    "incrementality_all_conversions", "incrementality_first_conversion", "skan_click", "skan_click_second_postback",
    "skan_click_third_postback", "skan_view", "skan_view_second_postback", "skan_view_third_postback",
})
ACCOUNT_NODE_FIELDS = {"id", "account_id", "name", "currency", "timezone_name", "account_status",
                       "timezone_offset_hours_utc"}
EDGE_FIELDS = {
    "campaigns": {"id", "name", "status", "effective_status", "objective", "account_id"},
    "adsets": {"id", "name", "status", "effective_status", "campaign_id", "account_id"},
    "ads": {"id", "name", "status", "effective_status", "campaign_id", "adset_id", "account_id", "creative"},
}
# What `creative{...}` may expand on the ads edge; a bare `creative` gives its id, as Graph does.
CREATIVE_FIELDS = {"id", "name", "object_story_spec", "url_tags", "object_type"}


# --- its slice of the world -------------------------------------------------------------------------
def _campaign(cid: str, name: str, objective: str, imps: int, ctr: float, cpc: float, cvr: float, value: float,
              ad_sets: int = 3) -> Campaign:
    return Campaign(cid, name, normalize_campaign(name), objective, "ACTIVE", imps, ctr, cpc, cvr, value, ad_sets)


# Campaign ids unique across platforms, and ending in digits no other platform's do (ad set ids
# derive from the last four).
ACCOUNTS: tuple[Account, ...] = (
    Account("101000000000001", "Acme Outdoor Social UK", "GBP", "Europe/London", (
        # The cross-platform campaign: the same key as Google's USD one, here in GBP.
        _campaign("120200000000005101", "Summer Sale | US", "OUTCOME_SALES", 18000, 0.012, 0.55, 0.014, 95.0),
        _campaign("120200000000005102", "Camping Gear | Prospecting | UK", "OUTCOME_SALES", 24000, 0.009, 0.40,
                  0.012, 65.0),
    )),
    Account("101000000000002", "Acme Outdoor Social DE", "EUR", "Europe/Berlin", (
        # The same key as Google's DE video campaign.
        _campaign("120200000000005201", "Herbst Video | DE", "OUTCOME_AWARENESS", 28000, 0.006, 0.25, 0.005, 55.0,
                  ad_sets=2),
        _campaign("120200000000005202", "Wanderschuhe | Retargeting | DE", "OUTCOME_SALES", 9000, 0.021, 0.60,
                  0.030, 105.0, ad_sets=2),
    )),
)


def attribution(campaign: Campaign) -> Attribution:
    """Meta's paid clicks as GA4's default channel grouping and HubSpot's original source see them."""
    return Attribution("facebook", "paid_social", "Paid Social", "PAID_SOCIAL")


PLATFORM = AdPlatform(VENDOR, ACCOUNTS, attribution)
PAGE_ID = "110000000000001"
SITE = {"GBP": "https://www.acme-outdoor.example/uk", "EUR": "https://www.acme-outdoor.example/de"}


def landing_page(account: Account, campaign: Campaign) -> str:
    return f"{SITE[account.currency_code]}/{campaign.utm_campaign.replace('_', '-')}/"


def url_tags(campaign: Campaign, ad_id: str) -> str:
    who = attribution(campaign)
    return f"utm_source={who.source}&utm_medium={who.medium}&utm_campaign={campaign.utm_campaign}&utm_content={ad_id}"


def creative(account: Account, campaign: Campaign, ad_id: str, ad_index: int, ad_name: str) -> dict[str, Any]:
    """An ad's creative: the first ad of an ad set a link ad, the second a video ad whose call to
    action carries the link."""
    link = landing_page(account, campaign)
    if ad_index == 1:
        spec = {"page_id": PAGE_ID, "link_data": {"link": link, "message": campaign.name, "name": ad_name}}
    else:
        spec = {"page_id": PAGE_ID, "video_data": {"video_id": f"8{ad_id}", "message": campaign.name,
                                                   "call_to_action": {"type": "SHOP_NOW", "value": {"link": link}}}}
    return {"id": f"7{ad_id}", "name": f"{ad_name} creative", "object_story_spec": spec,
            "url_tags": url_tags(campaign, ad_id), "object_type": "SHARE" if ad_index == 1 else "VIDEO"}


# --- error bodies ----------------------------------------------------------------------------------
def _trace_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(8)).decode().rstrip("=")


def graph_error(status: int, message: str, code: int, kind: str = "OAuthException", subcode: int | None = None,
                headers: dict[str, str] | None = None, **extra: Any) -> Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    error["fbtrace_id"] = _trace_id()
    return Response(status, {"error": error}, headers or {})


def _usage(kind: str, minutes: int, calls: int = 100) -> dict[str, str]:
    return {"X-Business-Use-Case-Usage": json.dumps({BUSINESS_ID: [{
        "type": kind, "call_count": calls, "total_cputime": min(calls, 40), "total_time": min(calls, 45),
        "estimated_time_to_regain_access": minutes, "ads_api_access_tier": "standard_access"}]})}


def _bad_parameter(message: str) -> Response:
    return graph_error(400, f"(#100) {message}", 100)


def _unknown_object(node: str) -> Response:
    return graph_error(400, f"Unsupported get request. Object with ID '{node}' does not exist, cannot be loaded due "
                            "to missing permissions, or does not support this operation. Please read the Graph API "
                            "documentation at https://developers.facebook.com/docs/graph-api", 100,
                       "GraphMethodException", 33)


def _fault(req: Request) -> Response | None:
    fault = req.fault
    if fault == "throttle_app":
        return graph_error(400, "(#4) Application request limit reached", 4, subcode=1504022,
                           headers={"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 30, "total_time": 35})},
                           is_transient=True)
    if fault == "throttle_user":
        return graph_error(400, "User request limit reached", 17, subcode=2446079, is_transient=True,
                           headers=_usage("ads_management", 0))
    if fault == "throttle_page":
        return graph_error(400, "(#32) Page request limit reached", 32, is_transient=True)
    if fault == "throttle_account":
        return graph_error(400, "(#613) There have been too many calls from this ad-account. Please wait a bit and "
                                "try again.", 613, subcode=1487742, is_transient=True,
                           headers={"X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 100, "reset_time_duration": 0,
                                                                      "ads_api_access_tier": "standard_access"})})
    if fault in ("throttle_insights", "throttle_wait"):
        minutes = THROTTLE_MINUTES if fault == "throttle_wait" else 0
        return graph_error(400, "(#80000) There have been too many calls from this ad-account. Wait a bit and try "
                                "again. For more info, please refer to "
                                "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.", 80000,
                           subcode=2446079, is_transient=True, headers=_usage("ads_insights", minutes))
    if fault == "unavailable":
        return graph_error(503, "(#2) Service temporarily unavailable", 2, is_transient=True)
    if fault == "internal_error":
        return graph_error(500, "An unknown error occurred", 1, subcode=99, is_transient=True)
    if fault == "expired_token":
        return graph_error(400, "Error validating access token: Session has expired on Friday, 20-Nov-26 "
                                "01:00:00 PST. The current time is Friday, 20-Nov-26 02:00:00 PST.", 190, subcode=463)
    return None


def _token(req: Request) -> str | None:
    if req.arg("access_token"):
        return req.arg("access_token")
    if req.method == "POST" and req.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        token = req.form().get("access_token")
        if token:
            return token
    value = req.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") and token.strip() else None


def _prepare(req: Request) -> Response | None:
    """Faults, then the access token. A Response means answer it as is."""
    faulted = _fault(req)
    if faulted is not None:
        return faulted
    token = _token(req)
    if token is None:
        return graph_error(400, "An access token is required to request this resource.", 104)
    if token != ACCESS_TOKEN:
        return graph_error(400, "Invalid OAuth access token - Cannot parse access token", 190)
    return None


# --- parameters ------------------------------------------------------------------------------------
class BadParameter(Exception):
    pass


def _params(req: Request) -> dict[str, str]:
    """Query parameters, and for a POST its form (the SDK posts its parameters as a form)."""
    params = {k: v[0] for k, v in req.query.items() if v}
    if req.method == "POST" and req.body:
        params.update(req.form())
    return params


def _list_param(value: str | None, name: str) -> list[str] | None:
    """A list parameter: a JSON array (what the SDK sends) or a comma list."""
    if value is None or value == "":
        return None
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            raise BadParameter(f"Param {name} must be an array.") from None
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise BadParameter(f"Param {name} must be an array.")
        return items
    # Commas inside a field expansion (`creative{id,url_tags}`) do not split.
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "{") - (char == "}")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _limit(params: Mapping[str, str]) -> int:
    raw = params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or int(raw) < 1:
        raise BadParameter("Param limit must be a positive integer")
    return int(raw)


def _fields(params: Mapping[str, str], allowed: set[str] | frozenset[str] | tuple[str, ...],
            default: tuple[str, ...]) -> list[str]:
    fields = _list_param(params.get("fields"), "fields") or list(default)
    for index, name in enumerate(fields):
        if name not in allowed:
            raise BadParameter(f"fields[{index}] must be one of the following values: {', '.join(sorted(allowed))}")
    return fields


@dataclass(frozen=True)
class InsightsQuery:
    account_id: str
    level: str
    fields: tuple[str, ...]
    since: date
    until: date
    windows: tuple[str, ...]


def parse_insights(account_id: str, params: Mapping[str, str]) -> InsightsQuery:
    level = params.get("level", "account")
    if level not in LEVELS:
        raise BadParameter(f"level must be one of the following values: {', '.join(LEVELS)}")
    fields = _fields(params, INSIGHT_FIELDS, ("date_start", "date_stop", "impressions", "spend"))
    raw_range = params.get("time_range")
    if raw_range is None:
        raise BadParameter("time_range is required by this fake (Meta would use date_preset=last_30d)")
    try:
        time_range = json.loads(raw_range)
        since = date.fromisoformat(time_range["since"])
        until = date.fromisoformat(time_range["until"])
    except (ValueError, KeyError, TypeError):
        raise BadParameter("Param time_range must be a JSON object with since and until dates (YYYY-MM-DD)") from None
    if since > until:
        raise BadParameter("Param time_range: since must be on or before until")
    if params.get("time_increment", "1") != "1":
        raise BadParameter("this fake serves time_increment=1 only")
    windows = _list_param(params.get("action_attribution_windows"), "action_attribution_windows") or ["default"]
    for index, window in enumerate(windows):
        if window not in WINDOWS:
            raise BadParameter(f"action_attribution_windows[{index}] must be one of the following values: "
                               f"{', '.join(sorted(WINDOWS))}")
    return InsightsQuery(account_id, level, tuple(fields), since, until, tuple(windows))


# --- insights rows ---------------------------------------------------------------------------------
def _money(cents: int) -> str:
    sign, (units, rest) = ("-" if cents < 0 else ""), divmod(abs(cents), 100)
    return f"{sign}{units}.{rest:02d}"


def _count(hundredths: int) -> str:
    """A count in hundredths as Meta writes a numeric string: "3", "1.5", "0.37"."""
    sign, (units, rest) = ("-" if hundredths < 0 else ""), divmod(abs(hundredths), 100)
    return f"{sign}{units}" if not rest else f"{sign}{units}.{rest:02d}".rstrip("0")


def _action(action_type: str, value: str, windows: tuple[str, ...]) -> dict[str, str]:
    # The whole value under the first requested window: what one attribution setting reports.
    item = {"action_type": action_type, "value": value}
    if windows and windows[0] != "default":
        item[windows[0]] = value
    return item


_TWO_UNIFORMS = struct.Struct("<2Q")


def _action_uniforms(entity_id: str, key: DayKey) -> tuple[float, float]:
    """`uniforms("fb-actions", entity_id, key.iso, n=2)`, the same numbers, without its generic
    per-call work (this runs for every insights row)."""
    digest = hashlib.blake2b(f"fb-actions|{entity_id}|{key.iso}".encode(), digest_size=16).digest()
    first, second = _TWO_UNIFORMS.unpack(digest)
    return first / 2**64, second / 2**64


def _action_lists(entity_id: str, key: DayKey, clicks: int, conversion_cents: int, value_cents: int,
                  windows: tuple[str, ...]) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    u1, u2 = _action_uniforms(entity_id, key)
    link_clicks = int(clicks * (0.7 + 0.25 * u1))
    landing_page_views = int(link_clicks * 0.8)
    purchase_cents = round(conversion_cents * (0.3 + 0.4 * u2))
    lead_cents = conversion_cents - purchase_cents
    actions: list[dict[str, str]] = []
    # Each number written once, however many action types report it.
    lead = _count(lead_cents) if lead_cents else ""
    purchase = _count(purchase_cents) if purchase_cents else ""
    for action_type, value in (("link_click", _count(link_clicks * 100) if link_clicks else ""),
                               ("landing_page_view", _count(landing_page_views * 100) if landing_page_views else ""),
                               ("lead", lead), ("offsite_conversion.fb_pixel_lead", lead),
                               ("offsite_conversion.fb_pixel_purchase", purchase),
                               ("omni_purchase", purchase), ("purchase", purchase)):
        if value:
            actions.append(_action(action_type, value, windows))
    if not value_cents:
        return actions, []
    money = _money(value_cents)
    return actions, [_action(action_type, money, windows)
                     for action_type in ("offsite_conversion.fb_pixel_purchase", "omni_purchase", "purchase")]


@dataclass(frozen=True)
class Served:
    """One row's objects and numbers: (impressions, clicks, cost cents, conversion and value hundredths)."""

    campaign: Campaign
    adset: tuple[str, int] | None  # (id, 1-based index)
    ad: tuple[str, int] | None
    key: DayKey
    values: tuple[int, int, int, int, int]


def _totals(values: ads.AdDay) -> tuple[int, int, int, int, int]:
    impressions, clicks, cost_micros, conversions, conversions_value = values
    return impressions, clicks, cost_micros // 10_000, round(conversions * 100), round(conversions_value * 100)


def served_rows(world: World, account: Account, level: str, since: date, until: date) -> Iterator[Served]:
    """What delivered, by object then day, for the level asked. The account level totals every
    campaign day; the finer levels leave out the days `ads.omitted` says they lose."""
    first, last = max(since, world.start), min(until, world.today - timedelta(days=1))
    window = [day_key(first + timedelta(days=i)) for i in range((last - first).days + 1)]
    if level == "account":
        for key in window:
            total = ads.account_day(world, account, key.day)
            if total is not None:
                yield Served(account.campaigns[0], None, None, key, _ad_total(total))
        return
    for campaign in account.campaigns:
        keys = [key for key in window if not ads.omitted(world, campaign, key.day)]
        if level == "campaign":
            for key in keys:
                total = ads.campaign_day(world, account, campaign, key.day)
                if total is not None:
                    yield Served(campaign, None, None, key, _ad_total(total))
            continue
        for index, adset_id in enumerate(ads.ad_group_ids(world, campaign), start=1):
            days = ads.ad_group_days(world, account, campaign, adset_id, keys)
            if level == "adset":
                for key, values in days:
                    yield Served(campaign, (adset_id, index), None, key, _totals(values))
                continue
            by_ad: list[list[tuple[DayKey, ads.AdDay]]] = [[] for _ in ads.ad_ids(adset_id)]
            for key, values in days:
                for ad_index, part in enumerate(ads.split_ad_day(values, adset_id, key)):
                    if part is not None:
                        by_ad[ad_index].append((key, part))
            for ad_index, (ad_id, parts) in enumerate(zip(ads.ad_ids(adset_id), by_ad, strict=True), start=1):
                for key, part in parts:
                    yield Served(campaign, (adset_id, index), (ad_id, ad_index), key, _totals(part))


def _ad_total(total: AdTotal) -> tuple[int, int, int, int, int]:
    impressions, clicks, cost_micros, conversion_cents, value_cents = total
    return impressions, clicks, cost_micros // 10_000, conversion_cents, value_cents


def render(world: World, account: Account, query: InsightsQuery) -> list[dict[str, Any]]:
    return list(rendered_rows(world, account, query))


def rendered_rows(world: World, account: Account, query: InsightsQuery) -> Iterator[dict[str, Any]]:
    allowed = _LEVEL_FIELDS.get(query.level, set())
    for served in served_rows(world, account, query.level, query.since, query.until):
        campaign = served.campaign
        adset_name = ads.ad_group_name(campaign, served.adset[1]) if served.adset else None
        impressions, clicks, cents, conversion_cents, value_cents = served.values
        entity = (served.ad or served.adset or (campaign.campaign_id, 0))[0] if query.level != "account" \
            else account.customer_id
        actions, action_values = _action_lists(entity, served.key, clicks, conversion_cents, value_cents,
                                               query.windows)
        values: dict[str, Any] = {
            "account_id": account.customer_id, "account_name": account.name,
            "account_currency": account.currency_code,
            "campaign_id": campaign.campaign_id, "campaign_name": campaign.name, "objective": campaign.channel_type,
            "adset_id": served.adset[0] if served.adset else None, "adset_name": adset_name,
            "ad_id": served.ad[0] if served.ad else None,
            "ad_name": ads.ad_name(adset_name, served.ad[1]) if served.ad and adset_name else None,
            "impressions": str(impressions), "clicks": str(clicks), "spend": _money(cents),
            "actions": actions, "action_values": action_values,
        }
        row: dict[str, Any] = {}
        for name in query.fields:
            if name in ("date_start", "date_stop"):
                continue
            if name in _LEVEL_FIELDS["ad"] and name not in allowed:
                continue  # above this level's objects: Meta leaves it out
            value = values[name]
            if name in ("actions", "action_values") and not value:
                continue  # Meta omits an empty action list
            row[name] = value
        row["date_start"] = row["date_stop"] = served.key.iso
        yield row


def _with_fault(rows: list[dict[str, Any]], fault: str | None) -> list[dict[str, Any]]:
    if not rows or fault not in ("malformed_spend", "malformed_action", "missing_date"):
        return rows
    first = dict(rows[0])
    if fault == "malformed_spend" and "spend" in first:
        first["spend"] = "12,50 EUR"
    elif fault == "malformed_action":
        actions = [dict(a) for a in first.get("actions", [])]
        for action in actions:
            if action["action_type"] == "omni_purchase":
                action["value"] = "n/a"
        first["actions"] = actions or [{"action_type": "omni_purchase", "value": "n/a"}]
    elif fault == "missing_date":
        first.pop("date_start", None)
    return [first, *rows[1:]]


# --- state -----------------------------------------------------------------------------------------
@dataclass
class ReportRun:
    run_id: str
    query: InsightsQuery
    polls: int = 0
    failed: bool = False
    rows: list[dict[str, Any]] | None = None
    # The run renders its rows in its own thread from the moment it is created (as Meta's job runs
    # while it is polled); a page waits only until its own rows (and one more) are there.
    done: bool = False
    ready: threading.Condition = field(default_factory=threading.Condition)

    def start(self, world: World, account: Account) -> None:
        with self.ready:
            self.rows, self.done = [], False
        threading.Thread(target=self._render, args=(world, account, self.rows), daemon=True,
                         name=f"fb-report-{self.run_id}").start()

    def _render(self, world: World, account: Account, rows: list[dict[str, Any]]) -> None:
        try:
            for row in rendered_rows(world, account, self.query):
                rows.append(row)
                if len(rows) % 100 == 0:
                    with self.ready:
                        self.ready.notify_all()
        finally:
            with self.ready:
                if self.rows is rows:
                    self.done = True
                self.ready.notify_all()

    def upto(self, world: World, account: Account, count: int) -> list[dict[str, Any]]:
        """The rows rendered so far, once there are `count` of them or all are there."""
        with self.ready:
            if self.rows is None:
                # Served to its end already (and forgotten): render again.
                self.rows, self.done = render(world, account, self.query), True
            rows = self.rows
            self.ready.wait_for(lambda: self.done or self.rows is not rows or len(rows) >= count)
            return rows

    def served(self, last: bool) -> None:
        # Its last page is out: forget the rows (a page asked for again renders them again), so
        # the fake's memory does not grow with every report run of a long backfill.
        if last:
            with self.ready:
                if self.done:
                    self.rows = None


@dataclass
class FacebookAdsState:
    """What the fake remembers: report runs, and what was asked (for tests)."""

    runs: dict[str, ReportRun] = field(default_factory=dict)
    # (account id, level, since, until, "sync" | "async") per insights report asked for.
    reports: list[tuple[str, str, date, date, str]] = field(default_factory=list)
    next_run: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    cache: dict[tuple, list[dict[str, Any]]] = field(default_factory=dict)


def _state(state: SandboxState) -> FacebookAdsState:
    return state.vendor(VENDOR)


def _cached_rows(state: SandboxState, account: Account, query: InsightsQuery) -> list[dict[str, Any]]:
    world = state.world
    key = (world.today, world.history_days, world.ad_group_scale, world.negative_spend, world.unreconciled,
           world.spend_spike, world.silent_account, world.restated, query)
    mine = _state(state)
    with mine.lock:
        rows = mine.cache.get(key)
    if rows is None:
        rows = render(world, account, query)
        with mine.lock:
            if len(mine.cache) > 64:
                mine.cache.clear()
            mine.cache[key] = rows
    return rows


# --- paging ----------------------------------------------------------------------------------------
def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except ValueError:
        raise BadParameter("Invalid cursor") from None


def _page(req: Request, items: list[Any], params: Mapping[str, str], fault: str | None = None,
          headers: dict[str, str] | None = None) -> Response:
    limit = _limit(params)
    offset = _offset(params.get("after"))
    data = items[offset:offset + limit]
    body: dict[str, Any] = {"data": data}
    if data:
        body["paging"] = {"cursors": {"before": _cursor(offset), "after": _cursor(offset + len(data))}}
        if offset + limit < len(items):
            # Absolute, on this host, with the request's own parameters (its access_token included).
            query = {k: v for k, v in params.items() if k not in ("after", "before")}
            query["after"] = _cursor(offset + len(data))
            body["paging"]["next"] = f"http://{req.headers.get('host', '127.0.0.1')}{req.path}?{urlencode(query)}"
        if offset:
            query = {k: v for k, v in params.items() if k not in ("after", "before")}
            query["before"] = _cursor(offset)
            body["paging"]["previous"] = f"http://{req.headers.get('host', '127.0.0.1')}{req.path}?{urlencode(query)}"
    if fault:
        body["data"] = _with_fault(list(data), fault)
    return Response(200, body, headers or {})


def _encoded(response: Response) -> Response:
    """The body as JSON bytes already: orjson writes a page of insights rows several times faster
    than the server's json.dumps."""
    if isinstance(response.body, (dict, list)):
        try:
            response.body = orjson.dumps(response.body)
        except TypeError:
            pass  # beyond what orjson writes: the server's encoder takes it
    return response


# --- handlers --------------------------------------------------------------------------------------
def _account(req: Request) -> Account | Response:
    """The request's ad account, after its faults and token; a Response means answer it as is."""
    denied = _prepare(req)
    if denied is not None:
        return denied
    account_id = req.arg("account_id") or ""
    account = PLATFORM.account(account_id) if account_id.isdigit() else None
    return account if account is not None else _unknown_object(f"act_{account_id}")


def account_node(req: Request, state: SandboxState) -> Response:
    account = _account(req)
    if isinstance(account, Response):
        return account
    try:
        fields = _fields(_params(req), ACCOUNT_NODE_FIELDS, ("id",))
    except BadParameter as exc:
        return _bad_parameter(str(exc))
    values = {"id": f"act_{account.customer_id}", "account_id": account.customer_id, "name": account.name,
              "currency": account.currency_code, "timezone_name": account.time_zone, "account_status": 1,
              "timezone_offset_hours_utc": 1 if account.time_zone == "Europe/Berlin" else 0}
    return Response(200, {**{name: values[name] for name in fields}, "id": values["id"]})


def account_edge(req: Request, state: SandboxState) -> Response:
    account = _account(req)
    if isinstance(account, Response):
        return account
    edge = req.arg("edge") or ""
    params = _params(req)
    try:
        requested = _list_param(params.get("fields"), "fields") or ["id"]
        expansions = {name.partition("{")[0]: name.partition("{")[2].rstrip("}") for name in requested if "{" in name}
        fields = _fields({"fields": ",".join(name.partition("{")[0] for name in requested)}, EDGE_FIELDS[edge], ("id",))
        creative_fields = _list_param(expansions.get("creative"), "creative") or ["id"]
        for index, name in enumerate(creative_fields):
            if name not in CREATIVE_FIELDS:
                raise BadParameter(f"creative fields[{index}] must be one of the following values: "
                                   f"{', '.join(sorted(CREATIVE_FIELDS))}")
        items = []
        for campaign in account.campaigns:
            base = {"account_id": account.customer_id, "campaign_id": campaign.campaign_id}
            if edge == "campaigns":
                items.append({**base, "id": campaign.campaign_id, "name": campaign.name, "status": campaign.status,
                              "effective_status": campaign.status, "objective": campaign.channel_type})
                continue
            for index, adset_id in enumerate(ads.ad_group_ids(state.world, campaign), start=1):
                adset_name = ads.ad_group_name(campaign, index)
                if edge == "adsets":
                    items.append({**base, "id": adset_id, "name": adset_name, "status": "ACTIVE",
                                  "effective_status": "ACTIVE"})
                    continue
                for ad_index, ad_id in enumerate(ads.ad_ids(adset_id), start=1):
                    name = ads.ad_name(adset_name, ad_index)
                    full = creative(account, campaign, ad_id, ad_index, name)
                    items.append({**base, "adset_id": adset_id, "id": ad_id, "name": name, "status": "ACTIVE",
                                  "effective_status": "ACTIVE",
                                  "creative": {key: full[key] for key in ("id", *creative_fields)}})
        rows = [{name: item[name] for name in ("id", *fields)} for item in items]
        return _page(req, rows, params)
    except BadParameter as exc:
        return _bad_parameter(str(exc))


def insights(req: Request, state: SandboxState) -> Response:
    account = _account(req)
    if isinstance(account, Response):
        return account
    params = _params(req)
    try:
        query = parse_insights(account.customer_id, params)
        mine = _state(state)
        if req.method == "POST":
            with mine.lock:
                mine.next_run += 1
                run_id = str(602300000000000 + mine.next_run)
                run = mine.runs[run_id] = ReportRun(run_id, query, failed=req.fault == "job_failed")
                mine.reports.append((account.customer_id, query.level, query.since, query.until, "async"))
            if not run.failed:
                run.start(state.world, account)
            return Response(200, {"report_run_id": run_id})
        if params.get("after") is None:
            with mine.lock:
                mine.reports.append((account.customer_id, query.level, query.since, query.until, "sync"))
        rows = _cached_rows(state, account, query)
        return _encoded(_page(req, rows, params, req.fault, _usage("ads_insights", 0, calls=3)))
    except BadParameter as exc:
        return _bad_parameter(str(exc))


def _run(req: Request, state: SandboxState) -> ReportRun | Response:
    """The request's report run, after its faults and token; a Response means answer it as is."""
    denied = _prepare(req)
    if denied is not None:
        return denied
    run_id = req.arg("run_id") or ""
    mine = _state(state)
    with mine.lock:
        run = mine.runs.get(run_id)
    return run if run is not None else _unknown_object(run_id)


def report_run(req: Request, state: SandboxState) -> Response:
    run = _run(req, state)
    if isinstance(run, Response):
        return run
    with _state(state).lock:
        run.polls += 1
        polls = run.polls
    if run.failed:
        status, percent = "Job Failed", 0
    elif polls >= POLLS_UNTIL_DONE:
        status, percent = "Job Completed", 100
    else:
        status, percent = ("Job Running", 100 * polls // POLLS_UNTIL_DONE) if polls > 1 else ("Job Not Started", 0)
    values = {"id": run.run_id, "account_id": run.query.account_id, "async_status": status,
              "async_percent_completion": percent, "date_start": run.query.since.isoformat(),
              "date_stop": run.query.until.isoformat(), "time_ref": 1790000000 + int(run.run_id[-4:])}
    try:
        fields = _fields(_params(req), set(values), tuple(values))
    except BadParameter as exc:
        return _bad_parameter(str(exc))
    return Response(200, {**{name: values[name] for name in fields}, "id": run.run_id})


def report_run_insights(req: Request, state: SandboxState) -> Response:
    run = _run(req, state)
    if isinstance(run, Response):
        return run
    if run.failed or run.polls < POLLS_UNTIL_DONE:
        return graph_error(400, "(#2601) Error accessing adreportrun: the report run has not completed", 2601)
    account = PLATFORM.account(run.query.account_id)
    assert account is not None
    params = _params(req)
    try:
        # This page's rows and one more, so the page knows whether another follows.
        rows = run.upto(state.world, account, _offset(params.get("after")) + _limit(params) + 1)
        response = _page(req, rows, params, req.fault, _usage("ads_insights", 0, calls=3))
    except BadParameter as exc:
        return _bad_parameter(str(exc))
    run.served(not (isinstance(response.body, Mapping) and response.body.get("paging", {}).get("next")))
    return _encoded(response)


# --- what the sandbox needs of this fake -----------------------------------------------------------
def _env(sandbox_url: str) -> dict[str, str]:
    return source_env(VENDOR, {
        "base_url": f"{sandbox_url}/{API_VERSION}",
        "account_ids": ",".join(a.customer_id for a in ACCOUNTS),
        "credentials.access_token": ACCESS_TOKEN,
        # Report runs here complete within a few polls: poll fast.
        "poll_seconds": "0.01",
    })


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """What the connector loads for the days start to end: every account, its own daily totals, the
    campaign, ad set and ad rows that delivered (the ads of an ad set split its numbers exactly),
    without the campaign days those levels leave out, and every ad with its creative."""
    window = [day_key(start + timedelta(days=i)) for i in range((end - start).days + 1)]
    account_rows = campaign_rows = adset_rows = ad_rows = ad_count = 0
    accounts: AdTotal | None = None
    campaigns: AdTotal | None = None
    adsets: AdTotal | None = None
    for account in ACCOUNTS:
        for key in window:
            total = ads.account_day(world, account, key.day)
            if total is not None:
                account_rows += 1
                accounts = ads.sum_totals([accounts, total])
        for campaign in account.campaigns:
            keys = [key for key in window if not ads.omitted(world, campaign, key.day)]
            for key in keys:
                total = ads.campaign_day(world, account, campaign, key.day)
                if total is not None:
                    campaign_rows += 1
                    campaigns = ads.sum_totals([campaigns, total])
            for adset_id in ads.ad_group_ids(world, campaign):
                ad_count += len(ads.ad_ids(adset_id))
                for key, values in ads.ad_group_days(world, account, campaign, adset_id, keys):
                    adset_rows += 1
                    adsets = add_to_total(adsets, values)
                    ad_rows += sum(part is not None for part in ads.split_ad_day(values, adset_id, key))
    return {
        "accounts": {"rows": len(ACCOUNTS), "sums": {"account_status": len(ACCOUNTS)}},
        "account_stats": {"rows": account_rows, "sums": _stat_sums(accounts)},
        "campaign_stats": {"rows": campaign_rows, "sums": _stat_sums(campaigns)},
        "ad_group_stats": {"rows": adset_rows, "sums": _stat_sums(adsets)},
        "ad_stats": {"rows": ad_rows, "sums": _stat_sums(adsets)},
        "ads": {"rows": ad_count, "sums": {}},
        "quarantine": {"rows": 0, "sums": {}},
    }


def _stat_sums(total: AdTotal | None) -> dict[str, int | Decimal]:
    impressions, clicks, cost_micros, conversion_cents, value_cents = total or (0, 0, 0, 0, 0)
    return {"impressions": impressions, "clicks": clicks, "spend": Decimal(cost_micros) / 10**6,
            "conversions": Decimal(conversion_cents) / 100, "conversions_value": Decimal(value_cents) / 100}


_V = rf"/{API_VERSION}"
# Graph API paths take a trailing slash too: the SDK asks for a node as `/v26.0/act_123/`.
_END = r"/?"

FAKE = Fake(
    vendor=VENDOR,
    routes=(
        ("GET", _V + r"/act_(?P<account_id>[^/]+)" + _END, account_node),
        ("GET", _V + r"/act_(?P<account_id>[^/]+)/insights" + _END, insights),
        ("POST", _V + r"/act_(?P<account_id>[^/]+)/insights" + _END, insights),
        ("GET", _V + r"/act_(?P<account_id>[^/]+)/(?P<edge>campaigns|adsets|ads)" + _END, account_edge),
        ("GET", _V + r"/(?P<run_id>[0-9]+)" + _END, report_run),
        ("GET", _V + r"/(?P<run_id>[0-9]+)/insights" + _END, report_run_insights),
    ),
    retryable=("throttle_user", "throttle_insights", "unavailable", "throttle_app", "throttle_account",
               "internal_error", "throttle_page"),
    env=_env,
    state=FacebookAdsState,
    warm=lambda world: ads.warm(world, ACCOUNTS),
    ad_platform=PLATFORM,
    expected_totals=expected_totals,
)
