"""Fake of HubSpot's CRM API: v3 object lists and search, v4 batch association reads.

Serves the world's CRM contacts and deals in HubSpot's documented wire format:
every property value is a string (or null when unset), datetimes are ISO 8601 with milliseconds
and `Z`, `paging.next.after` is the cursor, errors carry `status`/`message`/`correlationId`/`category`
(429s: `errorType` and `policyName`). Search keeps the real limits that shape a client: at most 200
per page, a 10,000-result ceiling per query (400 past it) and a per-second request limit.

Test hooks (vendor control paths, no fault consumed): `POST /_sandbox/hubspot/touch` modifies
records (a newer last-modified date, optional property values) and `POST /_sandbox/hubspot/settings`
lowers the search ceiling or the search rate limit so the limits are reachable with a small world.
"""

from __future__ import annotations

import base64
import bisect
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sandbox.core import Fake, Request, Response, SandboxState, TableTotals, source_env
from sandbox.world import World, ads, crm
from sandbox.world.crm import Contact, Deal

VENDOR = "hubspot"
# A private app token: the sandbox's own, published on purpose.
ACCESS_TOKEN = "pat-na1-00000000-0000-4000-8000-sandbox00000"

LIST_LIMIT_MAX = 100
SEARCH_LIMIT_MAX = 200
SEARCH_LIMIT_DEFAULT = 10
SEARCH_CEILING = 10_000
SEARCH_PER_SECOND = 5
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
ASSOCIATION_BATCH_MAX = 1000
BAD_AMOUNT = "12,50 EUR"

MODIFIED = {"contacts": "lastmodifieddate", "deals": "hs_lastmodifieddate"}
# Returned when a request names no properties.
DEFAULT_PROPERTIES = {
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"),
}
# Returned alongside whatever properties a request names.
ALWAYS_PROPERTIES = {
    "contacts": ("createdate", "hs_object_id", "lastmodifieddate"),
    "deals": ("createdate", "hs_lastmodifieddate", "hs_object_id"),
}
DATETIME_PROPERTIES = frozenset({"createdate", "lastmodifieddate", "hs_lastmodifieddate", "closedate",
                                 "hs_latest_source_timestamp",
                                 *(f"hs_lifecyclestage_{stage}_date" for stage in (
                                     "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
                                     "customer"))})
NUMBER_PROPERTIES = frozenset({"amount", "hs_object_id"})
# HUBSPOT_DEFINED association type ids (v4) and v3 association type names.
ASSOCIATION_TYPES = {("deals", "contacts"): (3, "deal_to_contact"), ("contacts", "deals"): (4, "contact_to_deal")}


# --- records ------------------------------------------------------------------------------------
@dataclass
class Record:
    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _text(value: str) -> str | None:
    # HubSpot does not store empty strings: an unset property reads as null.
    return value or None


def contact_record(contact: Contact) -> Record:
    return Record(contact.contact_id, {
        "email": contact.email,
        "firstname": contact.firstname,
        "lastname": contact.lastname,
        "createdate": iso(contact.created_at),
        "lastmodifieddate": iso(contact.updated_at),
        "hs_object_id": contact.contact_id,
        "hs_analytics_source": _text(contact.analytics_source),
        "hs_analytics_source_data_1": _text(contact.source_data_1),
        "hs_analytics_source_data_2": _text(contact.source_data_2),
        "hs_analytics_first_url": _text(contact.first_url),
        "hs_latest_source": _text(contact.latest_source),
        "hs_latest_source_data_1": _text(contact.latest_data_1),
        "hs_latest_source_data_2": _text(contact.latest_data_2),
        "hs_latest_source_timestamp": iso(contact.latest_at),
        "hs_analytics_last_url": _text(contact.last_url),
        "lifecyclestage": contact.lifecycle_stage,
        "hs_lifecyclestage_lead_date": iso(contact.created_at),
        "hs_lifecyclestage_marketingqualifiedlead_date": iso(contact.mql_at),
        "hs_lifecyclestage_salesqualifiedlead_date": iso(contact.sql_at),
        "hs_lifecyclestage_opportunity_date": iso(contact.opportunity_at),
        "hs_lifecyclestage_customer_date": iso(contact.customer_at),
    }, contact.created_at, contact.updated_at)


def deal_record(deal: Deal) -> Record:
    return Record(deal.deal_id, {
        "dealname": deal.name,
        "amount": deal.amount,
        "deal_currency_code": deal.currency_code,
        "dealstage": deal.stage,
        "pipeline": "default",
        "createdate": iso(deal.created_at),
        "closedate": iso(deal.close_date),
        "hs_lastmodifieddate": iso(deal.updated_at),
        "hs_object_id": deal.deal_id,
        "hs_is_closed": "true" if deal.is_closed else "false",
        "hs_is_closed_won": "true" if deal.is_won else "false",
    }, deal.created_at, deal.updated_at)


@dataclass(frozen=True)
class _Index:
    records: dict[str, dict[str, Record]]  # object type -> id -> record, in id order
    numeric_ids: dict[str, list[int]]  # object type -> ids in the same order, for cursor lookups
    links: dict[tuple[str, str], dict[str, tuple[str, ...]]]  # (from, to) -> from id -> to ids


@lru_cache(maxsize=8)
def _index(today: Any, history_days: int, ad_group_scale: int, platforms: tuple[ads.AdPlatform, ...]) -> _Index:
    """The world's records, built once per world (the world is a pure function of its settings and
    of the ad platforms whose clicks bring its leads)."""
    world = World(today=today, history_days=history_days, ad_group_scale=ad_group_scale)
    contacts = sorted(crm.contacts(world), key=lambda x: int(x.contact_id))
    deals = sorted(crm.deals(world), key=lambda x: int(x.deal_id))
    contact_deals: dict[str, list[str]] = {}
    for deal in deals:
        contact_deals.setdefault(deal.contact_id, []).append(deal.deal_id)
    return _Index(
        records={"contacts": {x.contact_id: contact_record(x) for x in contacts},
                 "deals": {x.deal_id: deal_record(x) for x in deals}},
        numeric_ids={"contacts": [int(x.contact_id) for x in contacts], "deals": [int(x.deal_id) for x in deals]},
        links={("deals", "contacts"): {d.deal_id: (d.contact_id,) for d in deals},
               ("contacts", "deals"): {k: tuple(v) for k, v in contact_deals.items()}},
    )


def index_for(world: World) -> _Index:
    return _index(world.today, world.history_days, world.ad_group_scale, ads.platforms())


# --- per-sandbox state --------------------------------------------------------------------------
@dataclass
class HubspotState:
    """What this fake remembers per sandbox: touched records, test-tuned limits, pending faults."""

    overrides: dict[tuple[str, str], Record] = field(default_factory=dict)
    search_ceiling: int = SEARCH_CEILING
    search_per_second: int | None = SEARCH_PER_SECOND
    bad_amount_pending: bool = False
    corrupted_deals: list[str] = field(default_factory=list)
    server_errors: int = 0
    search_times: deque[float] = field(default_factory=deque)
    touch_clock: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def hubspot_state(state: SandboxState) -> HubspotState:
    return state.vendor(VENDOR)


def records(state: SandboxState, object_type: str) -> list[Record]:
    """Every record of a type as the API would serve it now: the world plus touched records."""
    base = index_for(state.world).records[object_type]
    hs = hubspot_state(state)
    with hs.lock:
        touched = {rid: rec for (otype, rid), rec in hs.overrides.items() if otype == object_type}
    if not touched:
        return list(base.values())
    return [touched.get(rid, rec) for rid, rec in base.items()]


def touch(state: SandboxState, object_type: str, ids: Iterable[str], at: datetime | None = None,
          properties: Mapping[str, str | None] | None = None) -> list[str]:
    """Modify records as a HubSpot user would: newer last-modified date, optionally new values.

    Without `at`, each touch lands a millisecond after the previous one, starting at the world's
    "now", so touched records sort after every untouched one and after each other.
    """
    if object_type not in MODIFIED:
        raise ValueError(f"unknown object type {object_type!r}")
    base = index_for(state.world).records[object_type]
    hs = hubspot_state(state)
    touched = []
    with hs.lock:
        for rid in ids:
            rid = str(rid)
            current = hs.overrides.get((object_type, rid)) or base.get(rid)
            if current is None:
                raise KeyError(f"no {object_type} record {rid}")
            if at is None:
                hs.touch_clock += 1
                when = state.world.now() + timedelta(milliseconds=hs.touch_clock)
            else:
                when = at
            props = {**current.properties, **dict(properties or {}), MODIFIED[object_type]: iso(when)}
            hs.overrides[(object_type, rid)] = Record(rid, props, current.created_at, when)
            touched.append(rid)
    return touched


# --- wire helpers -------------------------------------------------------------------------------
def _error(status: int, message: str, category: str, **extra: Any) -> Response:
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    body.update(extra)
    return Response(status, body)


def _rate_limited(policy: str, message: str, daily_remaining: int) -> Response:
    body = {"status": "error", "message": message, "errorType": "RATE_LIMIT",
            "correlationId": str(uuid.uuid4()), "policyName": policy}
    return Response(429, body, {
        "X-HubSpot-RateLimit-Daily": "250000",
        "X-HubSpot-RateLimit-Daily-Remaining": str(daily_remaining),
        "X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
        "X-HubSpot-RateLimit-Max": "100",
        "X-HubSpot-RateLimit-Remaining": "0",
        "X-HubSpot-RateLimit-Secondly": "10",
        "X-HubSpot-RateLimit-Secondly-Remaining": "0",
    })


def _gate(req: Request, state: SandboxState) -> Response | None:
    """Authentication first (as HubSpot does), then the fault queued for this request, if any."""
    if req.bearer() != ACCESS_TOKEN:
        return _error(401, "Authentication credentials not found. This API supports OAuth 2.0 authentication "
                           "and you can find more details at https://developers.hubspot.com/docs/methods/auth/"
                           "oauth-overview", "INVALID_AUTHENTICATION")
    hs = hubspot_state(state)
    if req.fault == "rate_limit":
        return _rate_limited("TEN_SECONDLY_ROLLING", "You have reached your ten_secondly_rolling limit.", 249000)
    if req.fault == "daily_limit":
        return _rate_limited("DAILY", "You have reached your daily limit.", 0)
    if req.fault == "server_error":
        with hs.lock:
            hs.server_errors += 1
            status = 502 if hs.server_errors % 2 else 503
        return _error(status, "Bad Gateway" if status == 502 else "Service Unavailable", "INTERNAL_ERROR")
    if req.fault == "bad_amount":
        with hs.lock:
            hs.bad_amount_pending = True
    return None


def _requested_properties(object_type: str, names: Iterable[str]) -> list[str] | None:
    wanted = [n.strip() for value in names for n in value.split(",") if n.strip()]
    if not wanted:
        return None
    return list(dict.fromkeys([*wanted, *ALWAYS_PROPERTIES[object_type]]))


def _serialize(record: Record, object_type: str, properties: list[str] | None) -> dict[str, Any]:
    names = properties if properties is not None else DEFAULT_PROPERTIES[object_type]
    known = record.properties
    return {
        "id": record.id,
        # Unknown names are dropped silently, as HubSpot does; known but unset ones read as null.
        "properties": {n: known[n] for n in names if n in known},
        "createdAt": iso(record.created_at),
        "updatedAt": iso(record.updated_at),
        "archived": False,
    }


def _maybe_corrupt(state: SandboxState, object_type: str, page: list[dict[str, Any]]) -> None:
    if object_type != "deals" or not page:
        return
    hs = hubspot_state(state)
    with hs.lock:
        if not hs.bad_amount_pending:
            return
        hs.bad_amount_pending = False
        hs.corrupted_deals.append(page[0]["id"])
    page[0]["properties"]["amount"] = BAD_AMOUNT


def _host(req: Request) -> str:
    return f"http://{req.headers.get('host', '127.0.0.1')}"


def _encode_after(record_id: str) -> str:
    # Opaque on purpose: clients must pass the cursor back untouched, never compute it.
    return base64.urlsafe_b64encode(f"id:{record_id}".encode()).decode().rstrip("=")


def _decode_after(after: str) -> str | None:
    try:
        text = base64.urlsafe_b64decode(after + "=" * (-len(after) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return text[3:] if text.startswith("id:") else None


def _int_arg(req: Request, name: str, default: int) -> int | None:
    value = req.arg(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        return None


# --- GET /crm/v3/objects/{type} ------------------------------------------------------------------
def list_objects(req: Request, state: SandboxState) -> Response:
    if (denied := _gate(req, state)) is not None:
        return denied
    object_type = req.arg("object_type") or ""
    limit = _int_arg(req, "limit", 10)
    if limit is None or not 1 <= limit <= LIST_LIMIT_MAX:
        return _error(400, f"limit must be between 1 and {LIST_LIMIT_MAX}", "VALIDATION_ERROR")
    properties = _requested_properties(object_type, req.query.get("properties", []))
    associations = [a for value in req.query.get("associations", []) for a in value.split(",") if a]
    all_records = records(state, object_type)
    if (req.arg("archived") or "false").lower() == "true":
        all_records = []  # nothing in this world is archived
    start = 0
    after = req.arg("after")
    if after:
        last_id = _decode_after(after)
        if last_id is None or not last_id.isdigit():
            return _error(400, f"Invalid after value: {after}", "VALIDATION_ERROR")
        start = bisect.bisect_right(index_for(state.world).numeric_ids[object_type], int(last_id))
    chunk = all_records[start:start + limit]
    page = [_serialize(r, object_type, properties) for r in chunk]
    links = index_for(state.world).links
    for item in page:
        blocks = {}
        for target in associations:
            type_info = ASSOCIATION_TYPES.get((object_type, target))
            to_ids = links.get((object_type, target), {}).get(item["id"], ()) if type_info else ()
            if to_ids:
                blocks[target] = {"results": [{"id": to_id, "type": type_info[1]} for to_id in to_ids]}
        if blocks:
            item["associations"] = blocks
    _maybe_corrupt(state, object_type, page)
    body: dict[str, Any] = {"results": page}
    if start + limit < len(all_records):
        cursor = _encode_after(chunk[-1].id)
        body["paging"] = {"next": {
            "after": cursor,
            "link": f"{_host(req)}/crm/v3/objects/{object_type}?after={cursor}&limit={limit}",
        }}
    return Response(200, body)


# --- POST /crm/v3/objects/{type}/search --------------------------------------------------------
class _BadRequest(Exception):
    pass


def _parse_datetime(value: Any) -> datetime:
    parsed = _parse_datetime_text(str(value).strip())
    if parsed is None:
        raise _BadRequest(f"{value} is not a valid datetime: use milliseconds since epoch or ISO 8601")
    return parsed


# Every search compares every record's timestamps: with a 3-year world that is ~50k parses a page.
@lru_cache(maxsize=1 << 17)
def _parse_datetime_text(text: str) -> datetime | None:
    """None for text that is not a datetime; the caller words the error."""
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _comparable(prop: str, value: Any) -> Any:
    if value is None:
        return None
    if prop in DATETIME_PROPERTIES:
        return _parse_datetime(value)
    if prop in NUMBER_PROPERTIES:
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise _BadRequest(f"{value} is not a valid number for {prop}") from None
    return str(value).lower()


def _record_value(record: Record, prop: str) -> Any:
    try:
        return _comparable(prop, record.properties.get(prop))
    except _BadRequest:
        return None


def _matches(record: Record, flt: Mapping[str, Any]) -> bool:
    prop = flt.get("propertyName")
    operator = flt.get("operator", "EQ")
    if not prop:
        raise _BadRequest("filter is missing propertyName")
    have = _record_value(record, prop)
    if operator == "HAS_PROPERTY":
        return have is not None
    if operator == "NOT_HAS_PROPERTY":
        return have is None
    if operator in ("IN", "NOT_IN"):
        wanted = {_comparable(prop, v) for v in flt.get("values") or []}
        return (have in wanted) == (operator == "IN")
    want = _comparable(prop, flt.get("value"))
    if operator == "BETWEEN":
        high = _comparable(prop, flt.get("highValue"))
        return have is not None and want is not None and high is not None and want <= have <= high
    if operator == "NEQ":
        return have != want
    if have is None or want is None:
        return False
    checks = {"EQ": have == want, "LT": have < want, "LTE": have <= want, "GT": have > want, "GTE": have >= want}
    if operator not in checks:
        raise _BadRequest(f"operator {operator} is not supported")
    return checks[operator]


def _sort_keys(sorts: list[Any]) -> list[tuple[str, bool]]:
    keys = []
    for sort in sorts:
        if isinstance(sort, str):  # the official clients also send "prop" / "-prop"
            keys.append((sort.lstrip("-"), sort.startswith("-")))
        elif isinstance(sort, Mapping) and sort.get("propertyName"):
            keys.append((sort["propertyName"], str(sort.get("direction", "ASCENDING")).upper() == "DESCENDING"))
        else:
            raise _BadRequest("each sort needs a propertyName")
    return keys


def _search_throttled(state: SandboxState) -> bool:
    # One account, one sandbox: the limit counts every search request.
    hs = hubspot_state(state)
    now = time.monotonic()
    with hs.lock:
        if hs.search_per_second is None:
            return False
        while hs.search_times and now - hs.search_times[0] >= 1.0:
            hs.search_times.popleft()
        if len(hs.search_times) >= hs.search_per_second:
            return True
        hs.search_times.append(now)
        return False


def search_objects(req: Request, state: SandboxState) -> Response:
    if (denied := _gate(req, state)) is not None:
        return denied
    if _search_throttled(state):
        return _rate_limited("SECONDLY", "You have reached your secondly limit.", 249000)
    object_type = req.arg("object_type") or ""
    try:
        spec = req.json() or {}
    except ValueError:
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    hs = hubspot_state(state)
    try:
        limit = int(spec.get("limit") or SEARCH_LIMIT_DEFAULT)
        offset = int(spec.get("after") or 0)
    except (TypeError, ValueError):
        return _error(400, "limit and after must be integers", "VALIDATION_ERROR")
    if not 1 <= limit <= SEARCH_LIMIT_MAX:
        return _error(400, f"limit must be between 1 and {SEARCH_LIMIT_MAX}", "VALIDATION_ERROR")
    if offset >= hs.search_ceiling:
        return _error(400, f"The maximum number of results for a search query is {hs.search_ceiling}. "
                           "Narrow the query (e.g. filter on a later date) instead of paging further.",
                      "VALIDATION_ERROR")
    groups = spec.get("filterGroups") or []
    if len(groups) > MAX_FILTER_GROUPS or any(len(g.get("filters") or []) > MAX_FILTERS_PER_GROUP for g in groups):
        return _error(400, f"At most {MAX_FILTER_GROUPS} filterGroups of {MAX_FILTERS_PER_GROUP} filters each",
                      "VALIDATION_ERROR")
    try:
        candidates = records(state, object_type)
        if groups:
            candidates = [r for r in candidates
                          if any(all(_matches(r, f) for f in g.get("filters") or []) for g in groups)]
        for prop, descending in reversed(_sort_keys(spec.get("sorts") or [])):
            keyed = [(_record_value(r, prop), r) for r in candidates]
            present = [pair for pair in keyed if pair[0] is not None]
            present.sort(key=itemgetter(0), reverse=descending)
            candidates = [r for _, r in present] + [r for value, r in keyed if value is None]
    except _BadRequest as exc:
        return _error(400, str(exc), "VALIDATION_ERROR")
    properties = _requested_properties(object_type, spec.get("properties") or [])
    end = min(offset + limit, len(candidates), hs.search_ceiling)
    page = [_serialize(r, object_type, properties) for r in candidates[offset:end]]
    _maybe_corrupt(state, object_type, page)
    body: dict[str, Any] = {"total": len(candidates), "results": page}
    if end < len(candidates):
        body["paging"] = {"next": {"after": str(end)}}
    return Response(200, body)


# --- POST /crm/v4/associations/{from}/{to}/batch/read ------------------------------------------
def batch_read_associations(req: Request, state: SandboxState) -> Response:
    if (denied := _gate(req, state)) is not None:
        return denied
    started = datetime.now(UTC)
    from_type, to_type = req.arg("from_type") or "", req.arg("to_type") or ""
    type_info = ASSOCIATION_TYPES.get((from_type, to_type))
    if type_info is None:
        return _error(400, f"Unsupported association {from_type} -> {to_type}", "VALIDATION_ERROR")
    try:
        inputs = (req.json() or {}).get("inputs") or []
    except ValueError:
        return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
    if len(inputs) > ASSOCIATION_BATCH_MAX:
        return _error(400, f"Batch size must be at most {ASSOCIATION_BATCH_MAX}", "VALIDATION_ERROR")
    links = index_for(state.world).links[(from_type, to_type)]
    results, errors = [], []
    for item in inputs:
        from_id = str(item.get("id", ""))
        to_ids = links.get(from_id, ())
        if not to_ids:
            errors.append({
                "status": "error", "category": "OBJECT_NOT_FOUND",
                "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                "message": f"No {to_type} associated with {from_type} {from_id}.",
                "context": {"fromObjectId": [from_id]}, "links": {}, "errors": [],
            })
            continue
        results.append({
            "from": {"id": from_id},
            # Documented as a string in the schema; the live API sends a JSON number.
            "to": [{"toObjectId": int(to_id),
                    "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_info[0], "label": None}]}
                   for to_id in to_ids],
        })
    body: dict[str, Any] = {
        "status": "COMPLETE", "results": results,
        "requestedAt": iso(started), "startedAt": iso(started), "completedAt": iso(datetime.now(UTC)),
    }
    if errors:
        body.update({"numErrors": len(errors), "errors": errors})
    return Response(207 if errors else 200, body)


# --- control paths (tests) ----------------------------------------------------------------------
def control_touch(req: Request, state: SandboxState) -> Response:
    """POST {"object_type": "contacts", "ids": [...], "properties": {...}, "at": ISO 8601 (optional)}."""
    spec = req.json() or {}
    at = _parse_datetime(spec["at"]) if spec.get("at") else None
    try:
        touched = touch(state, spec.get("object_type", "contacts"), spec.get("ids") or [], at, spec.get("properties"))
    except (KeyError, ValueError) as exc:
        return Response(400, {"error": str(exc)})
    return Response(200, {"touched": touched})


def control_settings(req: Request, state: SandboxState) -> Response:
    """POST {"search_ceiling": int, "search_per_second": int or null}; GET shows them and corrupted deals."""
    hs = hubspot_state(state)
    if req.method == "POST":
        spec = req.json() or {}
        with hs.lock:
            if "search_ceiling" in spec:
                hs.search_ceiling = int(spec["search_ceiling"])
            if "search_per_second" in spec:
                value = spec["search_per_second"]
                hs.search_per_second = None if value is None else int(value)
    with hs.lock:
        return Response(200, {"search_ceiling": hs.search_ceiling, "search_per_second": hs.search_per_second,
                              "corrupted_deals": list(hs.corrupted_deals)})


# --- what the sandbox needs of this fake -----------------------------------------------------------
def _env(sandbox_url: str) -> dict[str, str]:
    return source_env(VENDOR, {"base_url": sandbox_url, "credentials.access_token": ACCESS_TOKEN})


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """What the connector loads, whatever the window (it follows a cursor): every contact and deal,
    each deal's one contact, and nothing quarantined."""
    deals = crm.deals(world)
    return {
        "contacts": {"rows": len(crm.contacts(world)), "sums": {}},
        "deals": {"rows": len(deals), "sums": {"amount": sum((Decimal(d.amount) for d in deals), Decimal(0))}},
        "deal_contacts": {"rows": len(deals), "sums": {}},
        "quarantine": {"rows": 0, "sums": {}},
    }


FAKE = Fake(
    vendor=VENDOR,
    routes=(
        ("GET", r"/crm/v3/objects/(?P<object_type>contacts|deals)", list_objects),
        ("POST", r"/crm/v3/objects/(?P<object_type>contacts|deals)/search", search_objects),
        ("POST", r"/crm/v4/associations/(?P<from_type>contacts|deals)/(?P<to_type>contacts|deals)/batch/read",
         batch_read_associations),
        ("POST", r"/_sandbox/hubspot/touch", control_touch),
        ("POST", r"/_sandbox/hubspot/settings", control_settings),
        ("GET", r"/_sandbox/hubspot/settings", control_settings),
    ),
    retryable=("rate_limit", "server_error"),
    env=_env,
    state=HubspotState,
    warm=index_for,
    expected_totals=expected_totals,
)
