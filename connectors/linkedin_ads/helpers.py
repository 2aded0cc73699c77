"""LinkedIn's Marketing API over REST: Rest.li 2.0 query strings, cursor-paged finders, adAnalytics in
date chunks that stay under its element cap, and JSON elements into Arrow.

Why query strings are built here rather than by `requests`: Rest.li 2.0 values carry syntax (`List(...)`,
`(start:(year:2026,...))`) that must travel unescaped while the URNs inside them are URL-encoded
(`urn%3Ali%3AsponsoredAccount%3A123`); `requests` would escape the syntax too. The `fields` projection
travels as a plain comma list, as LinkedIn's own client sends it.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from connectors.common import paging
from connectors.common.errors import RecordError, VendorError
from connectors.common.http import RetryPolicy, StaticTokenAuth, VendorClient
from connectors.common.tables import Table
from connectors.common.window import DateWindow, check_batch
from connectors.linkedin_ads.errors import LinkedInErrors, is_element_cap
from connectors.linkedin_ads.settings import (
    ACCOUNT_URN,
    ANALYTICS_FIELDS,
    CAMPAIGN_GROUP_STATUSES,
    CAMPAIGN_GROUP_URN,
    CAMPAIGN_STATUSES,
    CAMPAIGN_URN,
    COUNT,
    CREATIVE_URN,
    ELEMENT_CAP,
    METRICS,
    MONEY_SCALE,
    QUARANTINE,
    RESTLI_PROTOCOL_VERSION,
    SOURCE,
    STATS_TABLES,
)

log = logging.getLogger("funnelhouse.connectors.linkedin_ads")

_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)
# What one pivot's rows are keyed by, and how its pivot values are spelled. Pivot ACCOUNT's value is the
# account asked about, which every row carries already.
PIVOT_URNS = {"CAMPAIGN": CAMPAIGN_URN, "CREATIVE": CREATIVE_URN, "ACCOUNT": ACCOUNT_URN}
PIVOT_ID_COLUMNS = {"CAMPAIGN": "campaign_id", "CREATIVE": "creative_id", "ACCOUNT": "account_id"}


# --- Rest.li 2.0 -------------------------------------------------------------------------------------
def restli(value: Any) -> str:
    """A value in Rest.li 2.0 URL syntax: strings URL-encoded, lists as List(...), records as (k:v,...)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value, safe="")
    if isinstance(value, (list, tuple)):
        return f"List({','.join(restli(item) for item in value)})"
    if isinstance(value, Mapping):
        members = (f"{quote(str(k), safe='')}:{restli(v)}" for k, v in value.items())
        return f"({','.join(members)})"
    return str(value)


def query_string(params: Mapping[str, Any], fields: Sequence[str] = ()) -> str:
    parts = [f"{quote(key, safe='')}={restli(value)}" for key, value in params.items()]
    if fields:
        parts.append(f"fields={','.join(fields)}")
    return "&".join(parts)


def restli_date(day: date) -> dict[str, int]:
    return {"year": day.year, "month": day.month, "day": day.day}


def days_per_call(entities: int, chunk_days: int, cap: int = ELEMENT_CAP) -> int:
    """Days one adAnalytics call may span so that `entities` rows a day stay under the cap."""
    return max(1, min(chunk_days, (cap - 1) // max(entities, 1)))


# --- the API -----------------------------------------------------------------------------------------
class LinkedInApi:
    """Authenticated calls to the versioned Marketing API. Building one does no I/O."""

    def __init__(self, base_url: str, access_token: str, api_version: str, page_size: int,
                 policy: RetryPolicy | None = None):
        # Accept stays JSON on the calls whose bytes are decoded here (`raw`), as on every other call.
        auth = StaticTokenAuth(access_token, {"Accept": "application/json", "LinkedIn-Version": api_version,
                                              "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION})
        self.http = VendorClient(SOURCE, base_url, auth=auth, policy=policy, errors=LinkedInErrors())
        self.page_size = page_size
        self.element_cap = ELEMENT_CAP

    def ad_account(self, account_id: str) -> Mapping[str, Any]:
        body = self.http.get(f"/rest/adAccounts/{account_id}")
        if not isinstance(body, Mapping):
            raise VendorError(SOURCE, f"adAccounts/{account_id}: the answer is not a JSON object")
        return body

    def finder(self, path: str, params: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
        """Every element of a cursor-paged search finder (`pageSize`, `metadata.nextPageToken`)."""
        url = f"{path}?{query_string(params)}"

        def request(token: str | None) -> paging.RequestArgs:
            return {"params": {"pageSize": self.page_size, **({"pageToken": token} if token else {})}}

        for body in paging.cursor_pages(self.http, url, request, cursor=paging.at("metadata", "nextPageToken")):
            elements = body.get("elements") if isinstance(body, Mapping) else None
            if not isinstance(elements, list):
                raise VendorError(SOURCE, f"{path}: the page has no 'elements' list")
            yield from elements

    def campaign_groups(self, account_id: str) -> Iterator[Mapping[str, Any]]:
        return self.finder(f"/rest/adAccounts/{account_id}/adCampaignGroups",
                           {"q": "search", "search": {"status": {"values": list(CAMPAIGN_GROUP_STATUSES)}}})

    def campaigns(self, account_id: str) -> Iterator[Mapping[str, Any]]:
        return self.finder(f"/rest/adAccounts/{account_id}/adCampaigns",
                           {"q": "search", "search": {"status": {"values": list(CAMPAIGN_STATUSES)}}})

    def creatives(self, account_id: str) -> Iterator[Mapping[str, Any]]:
        return self.finder(f"/rest/adAccounts/{account_id}/creatives", {"q": "criteria"})

    def analytics(self, pivot: str, account_id: str, start: date, end: date) -> Answer:
        """The DAILY elements of one pivot for one account and date range, in one call, as Arrow when the
        answer is well-formed (see `Answer`). Raises `ElementCapReached` when LinkedIn says the range holds
        too many elements, or answers exactly as many as its cap (a response cut at the cap cannot be told
        from a complete one)."""
        params = {"q": "analytics", "pivot": pivot, "timeGranularity": "DAILY",
                  "dateRange": {"start": restli_date(start), "end": restli_date(end)},
                  "accounts": [f"{ACCOUNT_URN}{account_id}"]}
        try:
            content = self.http.get(f"/rest/adAnalytics?{query_string(params, ANALYTICS_FIELDS)}", raw=True)
        except VendorError as exc:
            if is_element_cap(exc.status, str(exc)):
                raise ElementCapReached(start, end) from None
            raise
        answer = _arrow_answer(content)
        if answer is None:
            body = _json_body(content)
            elements = body.get("elements") if isinstance(body, Mapping) else None
            if not isinstance(elements, list):
                raise VendorError(SOURCE, f"adAnalytics {pivot} account {account_id}: the answer has no "
                                          "'elements' list")
            answer = Answer(elements, None)
        if len(answer) >= self.element_cap:
            raise ElementCapReached(start, end)
        return answer

    def analytics_split(self, pivot: str, account_id: str, start: date, end: date) -> list[Answer]:
        """`analytics`, halving the range while it holds too many elements; a single day that still does
        cannot be read through this finder and fails, saying so."""
        try:
            return [self.analytics(pivot, account_id, start, end)]
        except ElementCapReached:
            if start == end:
                raise VendorError(SOURCE, f"adAnalytics {pivot} account {account_id} {start}: one day holds "
                                          f"more than the {self.element_cap} elements one response may carry") from None
        middle = start + timedelta(days=(end - start).days // 2)
        log.info("%s: adAnalytics %s account %s %s..%s holds too many elements; splitting it",
                 SOURCE, pivot, account_id, start, end)
        return (self.analytics_split(pivot, account_id, start, middle)
                + self.analytics_split(pivot, account_id, middle + timedelta(days=1), end))


class Answer:
    """One adAnalytics answer: its elements decoded straight into Arrow (`arrow`, one row per element)
    when every value has the documented type, else as JSON objects (`elements`) for the checks that
    name the bad record and field."""

    __slots__ = ("arrow", "content", "elements")

    def __init__(self, elements: list[Any] | None, arrow: pa.StructArray | None = None, content: bytes = b""):
        self.elements, self.arrow, self.content = elements, arrow, content

    def json_elements(self) -> list[Any]:
        """The elements as LinkedIn sent them, read as JSON objects."""
        if self.elements is None:
            body = _json_body(self.content)
            self.elements = body["elements"]  # `_arrow_answer` found the list there
        return self.elements

    def __len__(self) -> int:
        return len(self.arrow) if self.arrow is not None else len(self.elements or ())


_DATE = pa.struct([("year", pa.int64()), ("month", pa.int64()), ("day", pa.int64())])
_ELEMENT = pa.struct([
    *((field, pa.int64() if kind == COUNT else pa.string()) for field, _, kind in METRICS),
    ("dateRange", pa.struct([("start", _DATE), ("end", _DATE)])),
    ("pivotValues", pa.list_(pa.string())),
])
_ANSWER_PARSE = pa_json.ParseOptions(explicit_schema=pa.schema([("elements", pa.list_(_ELEMENT))]),
                                     unexpected_field_behavior="ignore", newlines_in_values=True)


def _arrow_answer(content: bytes) -> Answer | None:
    """The answer's elements as Arrow, parsed without Python objects per element; None when any value
    is not of its documented type (a count that is not an integer, money that is not a string, ...)."""
    try:
        table = pa_json.read_json(pa.py_buffer(content), parse_options=_ANSWER_PARSE,
                                  read_options=pa_json.ReadOptions(use_threads=False,
                                                                           block_size=max(len(content) + 1, 1 << 20)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if table.num_rows != 1:
        return None
    column = table.column("elements")
    if column.null_count:
        return None
    elements = column.chunk(0).flatten() if column.num_chunks == 1 else pa.concat_arrays(
        [chunk.flatten() for chunk in column.chunks])
    if elements.null_count:
        return None
    return Answer(None, elements, content)


def _json_body(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(content)
    except ValueError:
        return None


class ElementCapReached(Exception):
    def __init__(self, start: date, end: date):
        super().__init__(f"{start}..{end}")
        self.start, self.end = start, end


class Catalog:
    """Each account's campaign groups, campaigns and creatives, read once per source and shared by the
    tables that load them and the analytics calls sized by them."""

    def __init__(self, api: LinkedInApi):
        self.api = api
        self._lists: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
        self._lock = threading.Lock()

    def elements(self, kind: str, account_id: str) -> list[Mapping[str, Any]]:
        with self._lock:
            key = (kind, account_id)
            if key not in self._lists:
                self._lists[key] = list(getattr(self.api, kind)(account_id))
            return self._lists[key]


# --- entities into Arrow -----------------------------------------------------------------------------
def _urn_id(value: Any, prefix: str) -> str | None:
    """The numeric id of `urn:li:...:123` (or of a bare number), None when it is neither."""
    if isinstance(value, bool):
        return None
    text = str(value) if isinstance(value, (int, str)) else ""
    text = text.removeprefix(prefix)
    return text if text.isascii() and text.isdigit() else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _required_id(table: str, account_id: str, element: Mapping[str, Any], field: str, prefix: str) -> str:
    value = element.get(field) if isinstance(element, Mapping) else None
    found = _urn_id(value, prefix)
    if found is None:
        raise RecordError(SOURCE, f"{table} account {account_id} element {_quote(element)}", field,
                          "is missing" if value is None else f"value {_quote(value)} is not a {prefix}<id>")
    return found


def account_table(table: Table, account_id: str, body: Mapping[str, Any]) -> pa.Table:
    found = _required_id(table.name, account_id, body, "id", ACCOUNT_URN)
    if found != account_id:
        raise RecordError(SOURCE, f"accounts account {account_id}", "id", f"the answer is account {found}")
    row = {"account_id": account_id, "name": _text(body.get("name")), "currency": _text(body.get("currency")),
           "status": _text(body.get("status")), "type": _text(body.get("type"))}
    return pa.Table.from_pylist([row], schema=table.arrow_schema())


def landing_page(content: Any) -> str | None:
    """The landing page a creative's content names: a text ad's or a spotlight ad's. Sponsored content
    references a post (`reference`), whose link only the Posts API gives: None."""
    if not isinstance(content, Mapping):
        return None
    for kind in ("textAd", "spotlight"):
        page = content.get(kind).get("landingPage") if isinstance(content.get(kind), Mapping) else None
        if page is not None:
            return _text(page)
    return None


def entity_table(table: Table, account_id: str, elements: Iterable[Mapping[str, Any]]) -> pa.Table:
    rows = []
    for element in elements:
        if table.name == "campaign_groups":
            rows.append({"account_id": account_id,
                         "campaign_group_id": _required_id(table.name, account_id, element, "id", CAMPAIGN_GROUP_URN),
                         "name": _text(element.get("name")), "status": _text(element.get("status"))})
        elif table.name == "campaigns":
            rows.append({"account_id": account_id,
                         "campaign_id": _required_id(table.name, account_id, element, "id", CAMPAIGN_URN),
                         "campaign_group_id": _urn_id(element.get("campaignGroup"), CAMPAIGN_GROUP_URN),
                         "name": _text(element.get("name")), "status": _text(element.get("status")),
                         "type": _text(element.get("type"))})
        else:
            rows.append({"account_id": account_id,
                         "creative_id": _required_id(table.name, account_id, element, "id", CREATIVE_URN),
                         "campaign_id": _urn_id(element.get("campaign"), CAMPAIGN_URN),
                         "name": _text(element.get("name")), "intended_status": _text(element.get("intendedStatus")),
                         "landing_page": landing_page(element.get("content"))})
    return pa.Table.from_pylist(rows, schema=table.arrow_schema())


# --- analytics into Arrow ----------------------------------------------------------------------------
class Quarantine:
    """Metric values set aside while building stats tables: each becomes a row of the quarantine table."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, table: str, record: str, field: str, raw_value: Any, error: str) -> None:
        log.warning("%s: %s %s, field '%s': %s (value %s); loaded as NULL and quarantined",
                    SOURCE, table, record, field, error, _quote(raw_value))
        with self._lock:
            self._rows.append({"source_table": table, "record_id": record, "field": field,
                               "raw_value": None if raw_value is None else _raw_text(raw_value), "error": error,
                               "quarantined_at": datetime.now(UTC)})

    def take(self) -> pa.Table | None:
        with self._lock:
            rows, self._rows = self._rows, []
        return pa.Table.from_pylist(rows, schema=QUARANTINE.arrow_schema()) if rows else None


class _Bad(ValueError):
    pass


def _count(value: Any) -> int:
    if isinstance(value, bool):
        raise _Bad("is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _Bad("is not a whole number")


def _money(value: Any) -> Decimal:
    """A decimal string (a JSON number is read by its text, never through a binary float)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _Bad("is not a decimal number")
    try:
        number = Decimal(value if isinstance(value, str) else repr(value))
    except InvalidOperation:
        raise _Bad("is not a decimal number") from None
    if not number.is_finite():
        raise _Bad("is not a finite number")
    return number.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN) if number.as_tuple().exponent < -MONEY_SCALE \
        else number  # type: ignore[operator]


def _day(element: Mapping[str, Any], record: str) -> date:
    date_range = element.get("dateRange")
    start = date_range.get("start") if isinstance(date_range, Mapping) else None
    end = date_range.get("end") if isinstance(date_range, Mapping) else None
    try:
        day = date(start["year"], start["month"], start["day"])  # type: ignore[index]
        last = date(end["year"], end["month"], end["day"]) if end is not None else day  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        raise RecordError(SOURCE, record, "dateRange",
                          "is missing" if date_range is None else f"value {_quote(date_range)} is not a day") from None
    if last != day:
        raise RecordError(SOURCE, record, "dateRange", f"spans {day}..{last}, not one DAILY day")
    return day


def stats_table(pivot: str, account_id: str, answer: Answer | Sequence[Mapping[str, Any]], quarantine: Quarantine,
                window: DateWindow) -> pa.Table:
    """One adAnalytics answer as the pivot's stats table. Metrics LinkedIn left out are zero; a metric that
    cannot be read loads as NULL and is quarantined; a row without its pivot or day fails the run.
    An answer decoded into Arrow is converted column by column; one the vectorized checks do not pass
    whole goes through the element by element reading, which names what is wrong."""
    if isinstance(answer, Answer):
        if answer.arrow is not None:
            fast = _arrow_stats(pivot, account_id, answer.arrow)
            if fast is not None:
                return check_batch(SOURCE, STATS_TABLES[pivot], fast, window)
        elements: Sequence[Any] = answer.json_elements()
    else:
        elements = answer
    table = STATS_TABLES[pivot]
    prefix, id_column = PIVOT_URNS[pivot], PIVOT_ID_COLUMNS[pivot]
    own = id_column == "account_id"
    columns: dict[str, list[Any]] = {name: [] for name in table.column_names}
    for element in elements:
        if not isinstance(element, Mapping):
            raise RecordError(SOURCE, f"{table.name} account {account_id}", "elements", "an element is not an object")
        values = element.get("pivotValues")
        pivot_value = values[0] if isinstance(values, list) and len(values) == 1 else None
        entity = _urn_id(pivot_value, prefix) if isinstance(pivot_value, str) else None
        if entity is None:
            raise RecordError(SOURCE, f"{table.name} account {account_id} element {_quote(element)}", "pivotValues",
                              "is missing" if values is None else f"value {_quote(values)} is not one {prefix}<id>")
        if own and entity != account_id:
            # Another account's totals under this one's would reconcile against the wrong campaigns.
            raise RecordError(SOURCE, f"{table.name} account {account_id} element {_quote(element)}", "pivotValues",
                              f"value {_quote(values)} is not the account asked about")
        record = f"account {account_id}" if own else f"account {account_id} {id_column.removesuffix('_id')} {entity}"
        day = _day(element, record)
        record = f"{record} date {day}"
        columns["account_id"].append(account_id)
        if not own:
            columns[id_column].append(entity)
        columns["date_day"].append(day)
        for field, column, kind in METRICS:
            raw = element.get(field)
            try:
                value: Any = (0 if kind == COUNT else Decimal(0)) if raw is None else \
                    (_count(raw) if kind == COUNT else _money(raw))
            except _Bad as exc:
                quarantine.add(table.name, record, field, raw, f"value {_quote(raw)} {exc}")
                value = None
            columns[column].append(value)
    batch = pa.Table.from_pydict(columns, schema=table.arrow_schema())
    return check_batch(SOURCE, table, batch, window)


def _raw_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _quote(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _arrow_stats(pivot: str, account_id: str, elements: pa.StructArray) -> pa.Table | None:
    """The stats table of elements decoded into Arrow, or None when a value would need the element by
    element reading (to be quarantined, or to fail naming its record): the same rows either way."""
    table = STATS_TABLES[pivot]
    schema = table.arrow_schema()
    rows = len(elements)
    if not rows:
        return schema.empty_table()
    # pivotValues: exactly one `urn:li:...:<digits>` (or bare digits).
    values = elements.field("pivotValues")
    if values.null_count or pc.any(pc.not_equal(pc.list_value_length(values), 1)).as_py():
        return None
    urns = values.flatten()
    prefix = PIVOT_URNS[pivot]
    has_prefix = pc.starts_with(urns, prefix)
    ids = pc.if_else(has_prefix, pc.utf8_slice_codeunits(urns, len(prefix)), urns)
    if not pc.all(pc.match_substring_regex(ids, "^[0-9]+$")).as_py():
        return None
    own = PIVOT_ID_COLUMNS[pivot] == "account_id"
    if own and not pc.all(pc.equal(ids, account_id)).as_py():
        return None
    # dateRange: one whole day (end, when sent, the same day).
    date_range = elements.field("dateRange")
    if date_range.null_count:
        return None
    start, end = date_range.field("start"), date_range.field("end")
    parts = [start.field(name) for name in ("year", "month", "day")]
    if start.null_count or any(part.null_count for part in parts):
        return None
    keys = pc.add(pc.add(pc.multiply(parts[0], 10_000), pc.multiply(parts[1], 100)), parts[2])
    end_parts = [end.field(name) for name in ("year", "month", "day")]
    if end.null_count != len(end):
        if end.null_count or any(part.null_count for part in end_parts):
            return None
        end_keys = pc.add(pc.add(pc.multiply(end_parts[0], 10_000), pc.multiply(end_parts[1], 100)), end_parts[2])
        if not pc.all(pc.equal(keys, end_keys)).as_py():
            return None
    distinct = pc.unique(keys).to_pylist()
    try:
        days = [date(key // 10_000, key // 100 % 100, key % 100) for key in distinct]
    except ValueError:
        return None
    if any(day.year * 10_000 + day.month * 100 + day.day != key for day, key in zip(days, distinct, strict=True)):
        return None
    date_day = pc.take(pa.array(days, pa.date32()), pc.index_in(keys, value_set=pa.array(distinct, pa.int64())))
    columns: dict[str, Any] = {"account_id": pa.repeat(pa.scalar(account_id, pa.string()), rows),
                               "date_day": date_day}
    if not own:
        columns[PIVOT_ID_COLUMNS[pivot]] = ids
    for field, column, kind in METRICS:
        arrow_type = schema.field(column).type
        raw = elements.field(field)
        try:
            value = pc.cast(raw, arrow_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        columns[column] = pc.fill_null(value, pa.scalar(0 if kind == COUNT else Decimal(0), arrow_type))
    return pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)
