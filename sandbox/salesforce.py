"""Fake of Salesforce's REST API: the OAuth refresh-token grant, SOQL through `query`/`queryAll`
with query locators, and an object's `describe`.

Written from Salesforce's REST API Developer Guide (Execute a SOQL Query, QueryAll, Query More
Results, Query Options Header, Limit Info Header, Status Codes and Error Responses, Describe an
Object) and the OAuth 2.0 Refresh Token Flow:
- `POST /services/oauth2/token` (form: grant_type=refresh_token, refresh_token, client_id,
  client_secret) answers `{access_token, instance_url, id, token_type: "Bearer", issued_at,
  signature, scope}`; errors are OAuth's `{error, error_description}` with HTTP 400.
- `GET /services/data/vNN.N/query?q=` (and `queryAll`, which keeps deleted records) answers
  `{totalSize, done, nextRecordsUrl?, records: [{attributes: {type, url}, <fields>}]}` in batches of
  `Sforce-Query-Options: batchSize=N` records (200 to 2,000; 2,000 by default). `nextRecordsUrl` is
  `/services/data/vNN.N/query/<locator>-<offset>` (with `query` even for `queryAll`), fetched with
  no parameters; a locator reads the snapshot its query took.
- Every data call answers `Sforce-Limit-Info: api-usage=<used>/<limit>` and counts against the
  org's daily limit; past it, 403 REQUEST_LIMIT_EXCEEDED.
- Errors are a JSON array of `{message, errorCode}` (`fields` where a field is at fault).
- Datetimes are `2026-11-19T10:00:00.000+0000`, dates `2026-11-19`, currency a JSON number.

SOQL is understood for exactly what the connector and the official client send:
`SELECT <fields> FROM <object> [WHERE SystemModstamp >= <dateTime>] [ORDER BY SystemModstamp [ASC]]`,
with the dateTime literal unquoted. Anything else is refused with Salesforce's MALFORMED_QUERY.

Faults (`req.fault`): expired_session (401 INVALID_SESSION_ID; the token presented stops working),
request_limit (the org's daily limit is used up: 403 REQUEST_LIMIT_EXCEEDED until reset),
server_unavailable (503 SERVER_UNAVAILABLE), bad_amount (the next Opportunity batch's first Amount
arrives as text), invalid_grant (the token endpoint refuses the refresh token).

Test hooks (vendor control paths, no fault consumed): `POST /_sandbox/salesforce/touch` modifies or
deletes records; `GET|POST /_sandbox/salesforce/settings` reads or sets the API usage and limit
and whether the org is multi-currency, and lists the corrupted Opportunities.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sandbox.core import Fake, Request, Response, SandboxState, TableTotals, source_env
from sandbox.world import World, ads
from sandbox.world import salesforce as org_world

VENDOR = "salesforce"
# A connected app and a refresh token: the sandbox's own, published on purpose.
CLIENT_ID = "3MVG9sandbox.salesforce.connected.app.consumer.key"
CLIENT_SECRET = "sandbox-consumer-secret-0000000000"
REFRESH_TOKEN = "5Aep861sandbox.refresh.token.000000000000000000"
TOKEN_PATH = "/services/oauth2/token"
USER_ID = "005000000000001AAA"

DEFAULT_BATCH = 2000
MIN_BATCH = 200
DEFAULT_API_LIMIT = 15_000
# Open query cursors kept per sandbox; the oldest are dropped first, as idle cursors expire.
MAX_CURSORS = 64
BAD_AMOUNT = "12,50 EUR"

# Each object's fields in describe order, with their SOAP types.
FIELDS: dict[str, tuple[tuple[str, str], ...]] = {
    "Opportunity": (
        ("Id", "id"), ("IsDeleted", "boolean"), ("AccountId", "reference"), ("Name", "string"),
        ("StageName", "picklist"), ("Amount", "currency"), ("CloseDate", "date"), ("LeadSource", "picklist"),
        ("IsClosed", "boolean"), ("IsWon", "boolean"), ("CurrencyIsoCode", "picklist"),
        ("CampaignId", "reference"), ("CreatedDate", "datetime"), ("SystemModstamp", "datetime"),
    ),
    "Lead": (
        ("Id", "id"), ("IsDeleted", "boolean"), ("LastName", "string"), ("FirstName", "string"),
        ("Email", "email"), ("LeadSource", "picklist"), ("Status", "picklist"), ("IsConverted", "boolean"),
        ("ConvertedContactId", "reference"), ("CreatedDate", "datetime"), ("SystemModstamp", "datetime"),
    ),
    "Contact": (
        ("Id", "id"), ("IsDeleted", "boolean"), ("LastName", "string"), ("FirstName", "string"),
        ("Email", "email"), ("LeadSource", "picklist"), ("CreatedDate", "datetime"), ("SystemModstamp", "datetime"),
    ),
    "Campaign": (
        ("Id", "id"), ("IsDeleted", "boolean"), ("Name", "string"), ("Type", "picklist"), ("Status", "picklist"),
        ("StartDate", "date"), ("EndDate", "date"), ("CreatedDate", "datetime"), ("SystemModstamp", "datetime"),
    ),
    "CampaignMember": (
        ("Id", "id"), ("IsDeleted", "boolean"), ("CampaignId", "reference"), ("LeadId", "reference"),
        ("ContactId", "reference"), ("Status", "picklist"), ("HasResponded", "boolean"),
        ("FirstRespondedDate", "date"), ("CreatedDate", "datetime"), ("SystemModstamp", "datetime"),
    ),
    "OpportunityContactRole": (
        ("Id", "id"), ("OpportunityId", "reference"), ("ContactId", "reference"), ("Role", "picklist"),
        ("IsPrimary", "boolean"), ("CreatedDate", "datetime"), ("SystemModstamp", "datetime"),
        ("IsDeleted", "boolean"),
    ),
    "Organization": (
        ("Id", "id"), ("Name", "string"), ("DefaultCurrencyIsoCode", "picklist"), ("SystemModstamp", "datetime"),
    ),
}
# Only in a multi-currency org.
MULTI_CURRENCY_FIELDS = {"Opportunity": "CurrencyIsoCode"}


def wire_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def _date(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# --- the org's records on the wire --------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    id: str
    modstamp: datetime
    deleted: bool
    fields: dict[str, Any]  # field name -> wire value


def _rows(world: World) -> dict[str, list[Row]]:
    o = org_world.org(world)
    created = world.now() - timedelta(days=world.history_days + 30)

    def row(rid: str, modstamp: datetime, deleted: bool, **values: Any) -> Row:
        return Row(rid, modstamp, deleted, {"Id": rid, **values, "SystemModstamp": wire_datetime(modstamp),
                                            "IsDeleted": deleted})

    return {
        "Opportunity": [row(x.id, x.modstamp, x.is_deleted, Name=x.name, AccountId=x.account_id,
                            Amount=float(x.amount), CurrencyIsoCode=x.currency_code, StageName=x.stage,
                            IsClosed=x.is_closed, IsWon=x.is_won, CloseDate=_date(x.close_date),
                            CreatedDate=wire_datetime(x.created_at), CampaignId=x.campaign_id,
                            LeadSource=x.lead_source) for x in o.opportunities],
        "Lead": [row(x.id, x.modstamp, False, Email=x.email, FirstName=x.first_name, LastName=x.last_name,
                     LeadSource=x.lead_source, Status=x.status, IsConverted=x.is_converted,
                     ConvertedContactId=x.converted_contact_id, CreatedDate=wire_datetime(x.created_at))
                 for x in o.leads],
        "Contact": [row(x.id, x.modstamp, False, Email=x.email, FirstName=x.first_name, LastName=x.last_name,
                        LeadSource=x.lead_source, CreatedDate=wire_datetime(x.created_at)) for x in o.contacts],
        "Campaign": [row(x.id, x.modstamp, False, Name=x.name, Type=x.type, Status=x.status,
                         StartDate=_date(x.start_date), EndDate=_date(x.end_date),
                         CreatedDate=wire_datetime(x.created_at)) for x in o.campaigns],
        "CampaignMember": [row(x.id, x.modstamp, False, CampaignId=x.campaign_id, LeadId=x.lead_id,
                               ContactId=x.contact_id, Status=x.status, HasResponded=x.has_responded,
                               FirstRespondedDate=_date(x.first_responded_date),
                               CreatedDate=wire_datetime(x.created_at)) for x in o.members],
        "OpportunityContactRole": [row(x.id, x.modstamp, x.is_deleted, OpportunityId=x.opportunity_id,
                                       ContactId=x.contact_id, Role=x.role, IsPrimary=x.is_primary,
                                       CreatedDate=wire_datetime(x.created_at))
                                   for x in o.roles],
        "Organization": [Row(org_world.ORG_ID, created, False, {
            "Id": org_world.ORG_ID, "Name": "Acme Outdoor Europe", "DefaultCurrencyIsoCode": org_world.ORG_CURRENCY,
            "SystemModstamp": wire_datetime(created)})],
    }


@lru_cache(maxsize=8)
def _index(today: date, history_days: int, scale: int, paid: tuple[ads.PaidCampaign, ...]) -> dict[str, list[Row]]:
    return _rows(World(today=today, history_days=history_days, ad_group_scale=scale))


def index_for(world: World) -> dict[str, list[Row]]:
    return _index(world.today, world.history_days, world.ad_group_scale, ads.paid_campaigns())


# --- per-sandbox state --------------------------------------------------------------------------
@dataclass
class Cursor:
    object_name: str
    version: str
    fields: tuple[str, ...]
    rows: list[Row]
    batch: int


@dataclass
class SalesforceState:
    tokens: set[str] = field(default_factory=set)
    issued: int = 0
    api_used: int = 0
    api_limit: int = DEFAULT_API_LIMIT
    multi_currency: bool = True
    overrides: dict[tuple[str, str], Row] = field(default_factory=dict)
    cursors: OrderedDict[str, Cursor] = field(default_factory=OrderedDict)
    cursor_numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    touch_clock: int = 0
    bad_amount_pending: bool = False
    corrupted: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        with self.lock:
            self.issued += 1
            token = f"{org_world.ORG_ID[:15]}!AQsandbox.session.{self.issued:06d}"
            self.tokens.add(token)
            return token


def sf_state(state: SandboxState) -> SalesforceState:
    return state.vendor(VENDOR)


def current_rows(state: SandboxState, object_name: str) -> list[Row]:
    """The object's records as the API serves them now: the world's, with touched ones replaced."""
    base = index_for(state.world)[object_name]
    sf = sf_state(state)
    with sf.lock:
        touched = {rid: row for (name, rid), row in sf.overrides.items() if name == object_name}
    return [touched.get(r.id, r) for r in base] if touched else base


def touch(state: SandboxState, object_name: str, ids: Iterable[str], values: Mapping[str, Any] | None = None,
          delete: bool = False) -> list[str]:
    """Modify (or delete) records as a user would: each touch a millisecond after the last, from the
    world's now, so touched records sort after every untouched one."""
    if object_name not in FIELDS or object_name == "Organization":
        raise ValueError(f"unknown object {object_name!r}")
    base = {r.id: r for r in index_for(state.world)[object_name]}
    sf = sf_state(state)
    done = []
    with sf.lock:
        for rid in ids:
            current = sf.overrides.get((object_name, rid)) or base.get(rid)
            if current is None:
                raise KeyError(f"no {object_name} record {rid}")
            sf.touch_clock += 1
            when = state.world.now() + timedelta(milliseconds=sf.touch_clock)
            deleted = current.deleted or delete
            sf.overrides[(object_name, rid)] = Row(rid, when, deleted, {
                **current.fields, **dict(values or {}), "SystemModstamp": wire_datetime(when), "IsDeleted": deleted})
            done.append(rid)
    return done


# --- wire helpers -------------------------------------------------------------------------------
def error(status: int, code: str, message: str, fields: list[str] | None = None,
          headers: dict[str, str] | None = None) -> Response:
    item: dict[str, Any] = {"message": message, "errorCode": code}
    if fields is not None:
        item["fields"] = fields
    return Response(status, [item], headers or {})


def _limit_info(sf: SalesforceState) -> dict[str, str]:
    return {"Sforce-Limit-Info": f"api-usage={sf.api_used}/{sf.api_limit}"}


def _session(req: Request) -> str | None:
    value = req.headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    # Salesforce takes its own "OAuth" scheme as well as "Bearer".
    return token.strip() or None if scheme.lower() in ("bearer", "oauth") else None


def _gate(req: Request, state: SandboxState) -> Response | None:
    """The session first, then the org's daily limit, then the fault queued for this request."""
    sf = sf_state(state)
    token = _session(req)
    with sf.lock:
        if req.fault == "expired_session" and token:
            sf.tokens.discard(token)
        valid = token is not None and token in sf.tokens
    if not valid:
        return error(401, "INVALID_SESSION_ID", "Session expired or invalid")
    with sf.lock:
        if req.fault == "request_limit":
            sf.api_used = max(sf.api_used, sf.api_limit)
        if sf.api_used >= sf.api_limit:
            return error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.", headers=_limit_info(sf))
        sf.api_used += 1
    _note_bad_amount(req, sf)
    if req.fault == "server_unavailable":
        return error(503, "SERVER_UNAVAILABLE", "Server temporarily unavailable; try again later.")
    return None


def _note_bad_amount(req: Request, sf: SalesforceState) -> None:
    # Whichever request draws it, the fault corrupts the next Opportunity batch served.
    if req.fault == "bad_amount":
        with sf.lock:
            sf.bad_amount_pending = True


def _with_usage(state: SandboxState, response: Response) -> Response:
    sf = sf_state(state)
    with sf.lock:
        response.headers.update(_limit_info(sf))
    return response


def _fields(state: SandboxState, object_name: str) -> tuple[str, ...]:
    names = tuple(name for name, _ in FIELDS[object_name])
    if sf_state(state).multi_currency:
        return names
    return tuple(n for n in names if n != MULTI_CURRENCY_FIELDS.get(object_name))


# --- POST /services/oauth2/token ----------------------------------------------------------------
def token(req: Request, state: SandboxState) -> Response:
    _note_bad_amount(req, sf_state(state))
    if req.fault == "server_unavailable":
        return Response(503, {"error": "temporarily_unavailable", "error_description": "service unavailable"})
    form = req.form()
    if form.get("grant_type") != "refresh_token":
        return Response(400, {"error": "unsupported_grant_type", "error_description": "grant type not supported"})
    if form.get("client_id") != CLIENT_ID:
        return Response(400, {"error": "invalid_client_id", "error_description": "client identifier invalid"})
    if form.get("client_secret") != CLIENT_SECRET:
        return Response(400, {"error": "invalid_client", "error_description": "invalid client credentials"})
    if req.fault == "invalid_grant" or form.get("refresh_token") != REFRESH_TOKEN:
        return Response(400, {"error": "invalid_grant", "error_description": "expired access/refresh token"})
    instance = f"{req.scheme}://{req.headers.get('host', '127.0.0.1')}"
    issued = int(datetime.now(UTC).timestamp() * 1000)
    return Response(200, {
        "access_token": sf_state(state).issue(),
        "signature": "c2FuZGJveC1zaWduYXR1cmUtbm90LWEtcmVhbC1obWFj",
        "scope": "api refresh_token",
        "instance_url": instance,
        "id": f"{instance}/id/{org_world.ORG_ID}/{USER_ID}",
        "token_type": "Bearer",
        "issued_at": str(issued),
    })


# --- SOQL ---------------------------------------------------------------------------------------
_SOQL = re.compile(
    r"\s*SELECT\s+(?P<fields>\w+(?:\s*,\s*\w+)*)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<filter_field>\w+)\s*(?P<op>>=|>)\s*(?P<value>\S+))?"
    r"(?:\s+ORDER\s+BY\s+(?P<order_field>\w+)(?:\s+ASC)?)?\s*",
    re.IGNORECASE,
)
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2})")
MODSTAMP = "SystemModstamp"


@dataclass(frozen=True)
class Query:
    object_name: str
    fields: tuple[str, ...]
    since: datetime | None
    strict: bool
    ordered: bool


class SoqlError(Exception):
    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


def parse_soql(text: str, known: Mapping[str, tuple[str, ...]]) -> Query:
    """The query, or SoqlError with the code Salesforce answers. `known`: each object's fields."""
    match = _SOQL.fullmatch(text)
    if not match:
        raise SoqlError("MALFORMED_QUERY", f"unexpected token in query: {text.strip()[:80]}")
    objects = {name.lower(): name for name in known}
    object_name = objects.get(match["object"].lower())
    if object_name is None:
        raise SoqlError("INVALID_TYPE", f"sObject type '{match['object']}' is not supported. If you are attempting "
                                        "to use a custom object, be sure to append the '__c' after the entity name.")
    names = {name.lower(): name for name in known[object_name]}
    fields = []
    for raw in re.split(r"\s*,\s*", match["fields"].strip()):
        name = names.get(raw.lower())
        if name is None:
            raise SoqlError("INVALID_FIELD", f"No such column '{raw}' on entity '{object_name}'. If you are "
                                             "attempting to use a custom field, be sure to append the '__c' after "
                                             "the custom field name.")
        if name in fields:
            raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {name}")
        fields.append(name)
    for clause in ("filter_field", "order_field"):
        if match[clause] and match[clause].lower() != MODSTAMP.lower():
            raise SoqlError("MALFORMED_QUERY", f"the sandbox understands only {MODSTAMP} in WHERE and ORDER BY, "
                                               f"not {match[clause]}")
    since = None
    if match["value"] is not None:
        if not _DATETIME.fullmatch(match["value"]):
            raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{MODSTAMP}' must be of type "
                                             "dateTime and should not be enclosed in quotes")
        since = datetime.fromisoformat(match["value"].replace("Z", "+00:00"))
    return Query(object_name, tuple(fields), since, match["op"] == ">", match["order_field"] is not None)


def _serialize(row: Row, object_name: str, version: str, fields: tuple[str, ...]) -> dict[str, Any]:
    values = row.fields
    record: dict[str, Any] = {"attributes": {"type": object_name,
                                             "url": f"/services/data/v{version}/sobjects/{object_name}/{row.id}"}}
    for name in fields:
        record[name] = values.get(name)
    return record


def _batch_size(req: Request) -> int:
    options = req.headers.get("sforce-query-options", "")
    match = re.search(r"batchSize\s*=\s*(\d+)", options, re.IGNORECASE)
    if not match:
        return DEFAULT_BATCH
    # The documented range; Salesforce treats the size as a preference, not a promise.
    return max(MIN_BATCH, min(DEFAULT_BATCH, int(match.group(1))))


def _page(state: SandboxState, cursor_id: str | None, cursor: Cursor, offset: int) -> dict[str, Any]:
    end = min(offset + cursor.batch, len(cursor.rows))
    records = [_serialize(r, cursor.object_name, cursor.version, cursor.fields) for r in cursor.rows[offset:end]]
    if cursor.object_name == "Opportunity" and records and "Amount" in cursor.fields:
        sf = sf_state(state)
        with sf.lock:
            corrupt, sf.bad_amount_pending = sf.bad_amount_pending, False
            if corrupt:
                sf.corrupted.append(records[0]["Id"])
        if corrupt:
            records[0]["Amount"] = BAD_AMOUNT
    body: dict[str, Any] = {"totalSize": len(cursor.rows), "done": end >= len(cursor.rows)}
    if end < len(cursor.rows):
        body["nextRecordsUrl"] = f"/services/data/v{cursor.version}/query/{cursor_id}-{end}"
    body["records"] = records
    return body


# --- GET /services/data/vNN.N/query|queryAll ---------------------------------------------------
def query(req: Request, state: SandboxState) -> Response:
    if (denied := _gate(req, state)) is not None:
        return denied
    text = req.arg("q")
    if not text:
        return _with_usage(state, error(400, "MALFORMED_QUERY", "A query string has to be specified"))
    known = {name: _fields(state, name) for name in FIELDS}
    try:
        soql = parse_soql(text, known)
    except SoqlError as exc:
        return _with_usage(state, error(400, exc.code, str(exc)))
    rows = current_rows(state, soql.object_name)
    if req.arg("resource") == "query":
        rows = [r for r in rows if not r.deleted]
    if soql.since is not None:
        rows = [r for r in rows if r.modstamp > soql.since or (not soql.strict and r.modstamp == soql.since)]
    if soql.ordered:
        rows = sorted(rows, key=lambda r: r.modstamp)
    cursor = Cursor(soql.object_name, req.arg("version") or "", soql.fields, rows, _batch_size(req))
    cursor_id = None
    if len(rows) > cursor.batch:
        sf = sf_state(state)
        with sf.lock:
            cursor_id = f"01g{next(sf.cursor_numbers):012d}AAA"
            sf.cursors[cursor_id] = cursor
            while len(sf.cursors) > MAX_CURSORS:
                sf.cursors.popitem(last=False)
    return _with_usage(state, Response(200, _page(state, cursor_id, cursor, 0)))


def query_more(req: Request, state: SandboxState) -> Response:
    if (denied := _gate(req, state)) is not None:
        return denied
    cursor_id, _, offset = (req.arg("locator") or "").rpartition("-")
    sf = sf_state(state)
    with sf.lock:
        cursor = sf.cursors.get(cursor_id)
    if cursor is None or not offset.isdigit() or int(offset) >= len(cursor.rows):
        return _with_usage(state, error(400, "INVALID_QUERY_LOCATOR", "invalid query locator"))
    # A cursor stays readable after its last batch, until it is among the oldest past MAX_CURSORS:
    # a client may fetch a batch again (a retry after a timeout), and nothing closes it but expiry.
    return _with_usage(state, Response(200, _page(state, cursor_id, cursor, int(offset))))


# --- GET /services/data/vNN.N/sobjects/{object}/describe -----------------------------------------
def describe(req: Request, state: SandboxState) -> Response:
    if (denied := _gate(req, state)) is not None:
        return denied
    wanted = (req.arg("object") or "").lower()
    object_name = next((name for name in FIELDS if name.lower() == wanted), None)
    if object_name is None:
        return _with_usage(state, error(404, "NOT_FOUND", "The requested resource does not exist"))
    types = dict(FIELDS[object_name])
    return _with_usage(state, Response(200, {
        "name": object_name, "label": object_name, "custom": False, "queryable": True,
        "fields": [{"name": name, "type": types[name], "label": name, "nillable": name != "Id"}
                   for name in _fields(state, object_name)],
    }))


# --- control paths (tests) ----------------------------------------------------------------------
def control_touch(req: Request, state: SandboxState) -> Response:
    """POST {"object": "Opportunity", "ids": [...], "fields": {...}, "delete": false}."""
    spec = req.json() or {}
    try:
        touched = touch(state, spec.get("object", ""), spec.get("ids") or [], spec.get("fields"),
                        bool(spec.get("delete")))
    except (KeyError, ValueError) as exc:
        return Response(400, {"error": str(exc)})
    return Response(200, {"touched": touched})


def control_settings(req: Request, state: SandboxState) -> Response:
    """POST {"api_used": int, "api_limit": int, "multi_currency": bool}; GET shows them and the corrupted ids."""
    sf = sf_state(state)
    if req.method == "POST":
        spec = req.json() or {}
        with sf.lock:
            for key in ("api_used", "api_limit"):
                if key in spec:
                    setattr(sf, key, int(spec[key]))
            if "multi_currency" in spec:
                sf.multi_currency = bool(spec["multi_currency"])
    with sf.lock:
        return Response(200, {"api_used": sf.api_used, "api_limit": sf.api_limit,
                              "multi_currency": sf.multi_currency, "corrupted": list(sf.corrupted),
                              "tokens_issued": sf.issued})


# --- what the sandbox needs of this fake -----------------------------------------------------------
def _env(sandbox_url: str) -> dict[str, str]:
    return source_env(VENDOR, {"base_url": sandbox_url, "credentials.client_id": CLIENT_ID,
                               "credentials.client_secret": CLIENT_SECRET,
                               "credentials.refresh_token": REFRESH_TOKEN})


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """Every record of every object, deleted ones too (queryAll reads the recycle bin), whatever the
    window: the connector follows a cursor."""
    o = org_world.org(world)
    return {
        "opportunity": {"rows": len(o.opportunities), "sums": {"amount": sum((x.amount for x in o.opportunities),
                                                                             Decimal(0))}},
        "lead": {"rows": len(o.leads), "sums": {}},
        "contact": {"rows": len(o.contacts), "sums": {}},
        "campaign": {"rows": len(o.campaigns), "sums": {}},
        "campaign_member": {"rows": len(o.members), "sums": {}},
        "opportunity_contact_role": {"rows": len(o.roles), "sums": {}},
        "quarantine": {"rows": 0, "sums": {}},
    }


_VERSION = r"v(?P<version>[0-9]+\.[0-9])"
FAKE = Fake(
    vendor=VENDOR,
    routes=(
        ("POST", TOKEN_PATH, token),
        ("GET", rf"/services/data/{_VERSION}/(?P<resource>query|queryAll)/?", query),
        ("GET", rf"/services/data/{_VERSION}/(?:query|queryAll)/(?P<locator>01g[0-9A-Za-z]{{15}}-[0-9]+)", query_more),
        ("GET", rf"/services/data/{_VERSION}/sobjects/(?P<object>\w+)/describe/?", describe),
        ("POST", r"/_sandbox/salesforce/touch", control_touch),
        ("POST", r"/_sandbox/salesforce/settings", control_settings),
        ("GET", r"/_sandbox/salesforce/settings", control_settings),
    ),
    retryable=("server_unavailable", "expired_session"),
    env=_env,
    state=SalesforceState,
    warm=index_for,
    expected_totals=expected_totals,
)
