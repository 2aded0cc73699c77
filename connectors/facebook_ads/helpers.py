"""The Graph API client for ad accounts and their insights, and insights rows into Arrow.

The access token travels in the `Authorization: Bearer` header, never in a URL: Meta's `paging.next`
links carry the token as `access_token` when the first request did, so it is dropped from every link
before it is followed (and before it could reach a log line or an error message).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from connectors.common import paging
from connectors.common.errors import RecordError, VendorError
from connectors.common.http import RetryPolicy, StaticTokenAuth, VendorClient
from connectors.common.window import DateWindow, check_batch
from connectors.facebook_ads.errors import MetaErrors
from connectors.facebook_ads.settings import (
    ACCOUNT_FIELDS,
    ACCOUNTS_TABLE,
    AD_FIELDS,
    ADS_TABLE,
    QUARANTINE_TABLE,
    SOURCE,
    Level,
)

log = logging.getLogger("funnelhouse.connectors.facebook_ads")

_INT = re.compile(r"^-?[0-9]+$")
_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_SCALE = Decimal("0.000001")
_MAX_DECIMAL = Decimal(10) ** 32  # decimal(38, 6) keeps 32 digits before the point

# async_status values ("Insights API Asynchronous Jobs").
JOB_COMPLETED = "Job Completed"
JOB_ENDED_BADLY = ("Job Failed", "Job Skipped")


def without_token(link: str) -> str:
    """A paging link without its `access_token` (the header carries ours)."""
    parts = urlsplit(link)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _next_link(body: Any) -> str | None:
    link = paging.at("paging", "next")(body)
    return without_token(str(link)) if link else None


def _page_rows(body: Any, what: str) -> list[Mapping[str, Any]]:
    data = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(data, list):
        raise VendorError(SOURCE, f"{what}: the answer has no 'data' list")
    return data


class FacebookAdsApi:
    """Graph API calls for ad accounts. Building one does no I/O."""

    def __init__(self, base_url: str, access_token: str, *, page_size: int, attribution_windows: Sequence[str],
                 async_from_days: int, poll_seconds: float, poll_timeout_seconds: float,
                 policy: RetryPolicy | None = None, sleep: Callable[[float], None] = time.sleep):
        self.http = VendorClient(SOURCE, base_url, auth=StaticTokenAuth(access_token), policy=policy,
                                 errors=MetaErrors())
        self.page_size = page_size
        self.attribution_windows = list(attribution_windows)
        self.async_from_days = async_from_days
        self.poll_seconds = poll_seconds
        self.poll_timeout_seconds = poll_timeout_seconds
        self._sleep = sleep

    # --- nodes and edges -----------------------------------------------------------------------------
    def account(self, account_id: str) -> Mapping[str, Any]:
        body = self.http.get(f"act_{account_id}", params={"fields": ",".join(ACCOUNT_FIELDS)})
        if not isinstance(body, Mapping):
            raise VendorError(SOURCE, f"act_{account_id}: the answer is not a JSON object")
        return body

    def statuses(self, account_id: str, level: Level) -> dict[str, str]:
        """Each object's `effective_status` by id, from the account's edge (campaigns, adsets, ads);
        none at account level, whose rows carry no object of their own."""
        found: dict[str, str] = {}
        if level.edge is None:
            return found
        path = f"act_{account_id}/{level.edge}"
        for body in paging.next_url_pages(self.http, path, next_url=_next_link,
                                          params={"fields": "id,effective_status", "limit": self.page_size}):
            for item in _page_rows(body, path):
                if isinstance(item, Mapping) and item.get("id") is not None:
                    status = item.get("effective_status")
                    found[str(item["id"])] = status if isinstance(status, str) else None
        return found

    def ads(self, account_id: str) -> pa.Table:
        """Every ad of the account's ads edge, with its creative's link and url_tags."""
        path = f"act_{account_id}/ads"
        items = [item for body in paging.next_url_pages(self.http, path, next_url=_next_link,
                                                        params={"fields": ",".join(AD_FIELDS), "limit": self.page_size})
                 for item in _page_rows(body, path)]
        return ads_table(account_id, items)

    # --- insights ------------------------------------------------------------------------------------
    def insights_params(self, level: Level, start: date, end: date) -> dict[str, str]:
        return {
            "level": level.level,
            "fields": ",".join(level.fields),
            "time_range": json.dumps({"since": start.isoformat(), "until": end.isoformat()}, separators=(",", ":")),
            "time_increment": "1",
            "action_attribution_windows": json.dumps(self.attribution_windows, separators=(",", ":")),
            "limit": str(self.page_size),
        }

    def insights_pages(self, account_id: str, level: Level, start: date, end: date) -> Iterator[Any]:
        """The pages of one report: read directly for a short range, else through a report run. The
        next page is on the wire while the caller converts the current one."""
        params = self.insights_params(level, start, end)
        path = f"act_{account_id}/insights"
        if (end - start).days + 1 < self.async_from_days:
            yield from paging.next_url_pages(self.http, path, next_url=_next_link, params=params, ahead=True)
            return
        run_id = self.run_report(account_id, params)
        yield from paging.next_url_pages(self.http, f"{run_id}/insights", next_url=_next_link,
                                         params={"limit": str(self.page_size)}, ahead=True)

    def run_report(self, account_id: str, params: Mapping[str, str]) -> str:
        """Start an asynchronous report run and wait until it completes; its id."""
        created = self.http.post(f"act_{account_id}/insights", data=params)
        run_id = created.get("report_run_id") if isinstance(created, Mapping) else None
        if not isinstance(run_id, (str, int)) or isinstance(run_id, bool) or not str(run_id).isdigit():
            raise VendorError(SOURCE, f"act_{account_id}/insights: no report_run_id in the answer")
        run_id = str(run_id)
        what = f"report run {run_id} (act_{account_id}, level {params['level']}, {params['time_range']})"
        deadline = time.monotonic() + self.poll_timeout_seconds
        while True:
            run = self.http.get(run_id, params={"fields": "id,async_status,async_percent_completion"})
            status = run.get("async_status") if isinstance(run, Mapping) else None
            percent = run.get("async_percent_completion") if isinstance(run, Mapping) else None
            # A run may say "Job Completed" a moment before its percentage reaches 100: wait for both.
            if status == JOB_COMPLETED and percent in (None, 100, "100"):
                return run_id
            if status in JOB_ENDED_BADLY:
                raise VendorError(SOURCE, f"{what} ended with async_status {status!r}; run again, or shorten "
                                          f"chunk_days if it keeps failing")
            if time.monotonic() >= deadline:
                raise VendorError(SOURCE, f"{what} did not complete within {self.poll_timeout_seconds:.0f}s "
                                          f"(async_status {status!r}, {percent}%)")
            log.debug("%s: %s: %s, %s%%", SOURCE, what, status, percent)
            self._sleep(self.poll_seconds)

    def fetch_level(self, level: Level, account_id: str, start: date, end: date,
                    statuses: Callable[[], Mapping[str, str]], conversion_types: frozenset[str],
                    quarantine: Quarantine) -> pa.Table:
        """One report's rows as the level's table; `statuses()` gives the objects' effective_status."""
        # Each page becomes Arrow as it arrives: only the report's compact columns stay, never its
        # decoded JSON rows.
        window = DateWindow(start, end)
        what = f"act_{account_id}/insights ({level.level})"
        known: Mapping[str, str] | None = None
        tables: list[pa.Table] = []
        for body in self.insights_pages(account_id, level, start, end):
            rows = _page_rows(body, what)
            del body
            if not rows:
                continue
            if known is None:
                known = statuses()
            table = rows_to_table(level, account_id, rows, known, conversion_types, quarantine)
            del rows
            tables.append(check_batch(SOURCE, level.table, table, window))
        if not tables:
            return level.table.arrow_schema().empty_table()
        # Pages follow cursors, over a live report for a short range: a row the report moved
        # between two pages would come twice. One row per key here is what lets the stats tables
        # skip dlt's deduplication (see settings._stats_table).
        return level.table.last_per_key(tables[0] if len(tables) == 1 else pa.concat_tables(tables))


# --- rows --------------------------------------------------------------------------------------------
class Quarantine:
    """Values set aside while building tables; the quarantine resource takes them as they come."""

    def __init__(self) -> None:
        self._rows: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, table: str, record: str, field: str, raw_value: Any, error: str) -> None:
        shown = raw_value if isinstance(raw_value, str) else json.dumps(raw_value)
        log.warning("%s: %s %s, field '%s': %s (value %r); loaded as NULL and quarantined",
                    SOURCE, table, record, field, error, shown)
        with self._lock:
            self._rows.append({"source_table": table, "record_id": record, "field": field,
                               "raw_value": None if raw_value is None else shown, "error": error,
                               "quarantined_at": datetime.now(UTC)})

    def take(self) -> pa.Table | None:
        with self._lock:
            rows, self._rows = self._rows, []
        return pa.Table.from_pylist(rows, schema=QUARANTINE_TABLE.arrow_schema()) if rows else None


class _Bad(ValueError):
    pass


def _id(value: Any) -> str:
    if value is None:
        raise _Bad("is missing")
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    if not (text.isascii() and text.isdigit()):
        raise _Bad("is not a numeric id")
    return text


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Bad("is not a string")


def _day(value: Any) -> date:
    if value is None:
        raise _Bad("is missing")
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise _Bad("is not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Bad("is not a valid date") from None


def parse_int(value: Any) -> int:
    """A count: Meta sends "123"; absent is zero."""
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT.match(value):
        return int(value)
    raise ValueError("not a whole number")


def parse_decimal(value: Any) -> Decimal:
    """An amount: Meta sends "12.34"; absent is zero. Exact, to six decimals."""
    if value is None:
        return Decimal(0).quantize(_SCALE)
    if isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str) and _NUMBER.match(value):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError("not a number") from None
    else:
        raise ValueError("not a number")
    if abs(number) >= _MAX_DECIMAL:
        raise ValueError("too large for decimal(38, 6)")
    return number.quantize(_SCALE)


def _action_total(actions: Any, types: frozenset[str], field: str) -> tuple[Decimal | None, tuple[str, Any, str] | None]:
    """The sum of `value` over the actions of the given types; or None and (field, raw value, problem)."""
    if actions is None:
        return Decimal(0).quantize(_SCALE), None
    if not isinstance(actions, list):
        return None, (field, actions, "is not a list of actions")
    total = Decimal(0)
    for action in actions:
        if not isinstance(action, Mapping):
            return None, (field, action, "holds an action that is not an object")
        if action.get("action_type") not in types:
            continue
        try:
            total += parse_decimal(action.get("value"))
        except ValueError as exc:
            return None, (f"{field}[{action.get('action_type')}].value", action.get("value"), str(exc))
    if abs(total) >= _MAX_DECIMAL:
        return None, (field, None, "sum too large for decimal(38, 6)")
    return total.quantize(_SCALE), None


def describe(account_id: str, level: Level, row: Mapping[str, Any]) -> str:
    """'act_101 campaign 1202 date 2026-08-01' ('act_101 account date 2026-08-01' for the account's
    own totals): enough to find the row in Ads Manager."""
    own = f" {row.get(level.id_field) or '(missing)'}" if level.id_field else ""
    return f"act_{account_id} {level.level}{own} date {row.get('date_start') or '(missing)'}"


_NUMERIC_PARSERS: dict[str, Callable[[Any], Any]] = {"spend": parse_decimal, "impressions": parse_int,
                                                     "clicks": parse_int}


# Built as text and cast: Arrow reads "12.340000" into decimal128 exactly, many times faster than it
# converts Python Decimals (whose quantized str() never uses an exponent).
_DECIMAL_COLUMNS = ("spend", "conversions", "conversions_value")


def _table(columns: Mapping[str, list[Any]], schema: pa.Schema) -> pa.Table:
    arrays = []
    for schema_field in schema:
        values = columns[schema_field.name]
        if pa.types.is_decimal(schema_field.type):
            arrays.append(pa.array(values, pa.string()).cast(schema_field.type))
        else:
            arrays.append(pa.array(values, schema_field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


# A page whose every value has its plain form (what Meta sends) is read column by column in Arrow;
# any other page goes row by row through `rows_to_table`, which names what is wrong. The patterns
# admit only values both paths read alike: amounts with at most six decimals (nothing to round),
# counts that fit a bigint.
_PLAIN_ID = "^[0-9]+$"
_PLAIN_DAY = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_PLAIN_COUNT = "^-?[0-9]{1,18}$"
_PLAIN_AMOUNT_TEXT = "^-?[0-9]{1,20}([.][0-9]{1,6})?$"
_PLAIN_AMOUNT = re.compile(_PLAIN_AMOUNT_TEXT)
_ZERO = Decimal(0).quantize(_SCALE)


def _text_array(rows: list[Any], name: str, *, nulls: bool) -> tuple[list[Any], pa.Array] | None:
    values = [row.get(name) for row in rows]
    try:
        array = pa.array(values)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    if pa.types.is_null(array.type):
        array = array.cast(pa.string())
    if not pa.types.is_string(array.type) or (not nulls and array.null_count):
        return None
    return values, array


def _all_match(array: pa.Array, pattern: str) -> bool:
    return array.null_count == len(array) or bool(pc.all(pc.match_substring_regex(array, pattern)).as_py())


def _plain_totals(lists: list[Any], types: frozenset[str]) -> tuple[list[str], list[str | None]] | None:
    totals: list[str] = []
    texts: list[str | None] = []
    zero = str(_ZERO)
    try:
        for actions in lists:
            if actions is None:
                totals.append(zero)
                texts.append(None)
                continue
            if type(actions) is not list:
                return None
            total = _ZERO
            for action in actions:
                if type(action) is not dict:
                    return None
                if action.get("action_type") in types:
                    value = action.get("value")
                    if type(value) is not str or not _PLAIN_AMOUNT.match(value):
                        return None
                    total += Decimal(value)
            if abs(total) >= _MAX_DECIMAL:
                return None
            totals.append(str(total.quantize(_SCALE)))
            texts.append(_json(actions))
    except TypeError:  # an unhashable action_type, say
        return None
    return totals, texts


def _plain_table(level: Level, account_id: str, rows: list[Any], statuses: Mapping[str, str],
                 conversion_types: frozenset[str]) -> pa.Table | None:
    """The page as `rows_to_table` reads it, when every value is plain; else None."""
    if not rows or not all(type(row) is dict for row in rows):
        return None
    schema = level.table.arrow_schema()
    arrays: dict[str, pa.Array] = {"account_id": pa.array([account_id] * len(rows), pa.string())}
    own_ids: list[Any] = []
    for name in level.id_fields:
        found = _text_array(rows, name, nulls=False)
        if found is None or not _all_match(found[1], _PLAIN_ID):
            return None
        own_ids, arrays[name] = found
    if level.name_field:
        found = _text_array(rows, level.name_field, nulls=True)
        if found is None:
            return None
        arrays[level.name_field] = found[1]
    start, stop = _text_array(rows, "date_start", nulls=False), _text_array(rows, "date_stop", nulls=False)
    if start is None or stop is None or not _all_match(start[1], _PLAIN_DAY) \
            or not pc.all(pc.equal(start[1], stop[1])).as_py():
        return None
    try:
        arrays["date_day"] = start[1].cast(pa.date32())
    except pa.ArrowException:
        return None
    if level.status_column:
        arrays[level.status_column] = pa.array([statuses.get(i) for i in own_ids], pa.string())
    for name, pattern in (("spend", _PLAIN_AMOUNT_TEXT), ("impressions", _PLAIN_COUNT), ("clicks", _PLAIN_COUNT)):
        found = _text_array(rows, name, nulls=True)
        if found is None or not _all_match(found[1], pattern):
            return None
        arrays[name] = found[1].fill_null("0").cast(schema.field(name).type)
    for column, key in (("conversions", "actions"), ("conversions_value", "action_values")):
        totals = _plain_totals([row.get(key) for row in rows], conversion_types)
        if totals is None:
            return None
        arrays[column] = pa.array(totals[0], pa.string()).cast(schema.field(column).type)
        arrays[key] = pa.array(totals[1], pa.string())
    return pa.Table.from_arrays([arrays[f.name] for f in schema], schema=schema)


def rows_to_table(level: Level, account_id: str, rows: Iterable[Mapping[str, Any]], statuses: Mapping[str, str],
                  conversion_types: frozenset[str], quarantine: Quarantine) -> pa.Table:
    """Insights rows of one level as its raw table. A missing or malformed id or day is a
    `RecordError`; a metric that is not a number loads as NULL, set aside in the quarantine."""
    table = level.table
    if isinstance(rows, list):
        fast = _plain_table(level, account_id, rows, statuses, conversion_types)
        if fast is not None:
            return fast
    columns: dict[str, list[Any]] = {name: [] for name in table.column_names}
    text_fields = (level.name_field,) if level.name_field else ()
    id_fields = level.id_fields
    for row in rows:
        if not isinstance(row, Mapping):
            raise RecordError(SOURCE, f"act_{account_id} {level.level} row", "(row)", "is not a JSON object")
        record = None
        try:
            for name in id_fields:
                field = name
                columns[name].append(_id(row.get(name)))
            for name in text_fields:
                field = name
                columns[name].append(_text(row.get(name)))
            field = "date_start"
            day = _day(row.get("date_start"))
            field = "date_stop"
            if row.get("date_stop") != row.get("date_start"):
                raise _Bad(f"is {row.get('date_stop')!r}, not the row's date_start: not a daily row "
                           "(time_increment=1)")
        except _Bad as exc:
            raw = row.get(field)
            problem = str(exc) if raw is None or field == "date_stop" else f"value {_quote(raw)} {exc}"
            raise RecordError(SOURCE, describe(account_id, level, row), field, problem) from None
        columns["account_id"].append(account_id)
        columns["date_day"].append(day)
        if level.status_column and level.id_field:
            columns[level.status_column].append(statuses.get(columns[level.id_field][-1]))
        for name, parse in _NUMERIC_PARSERS.items():
            raw = row.get(name)
            try:
                value = parse(raw)
            except ValueError as exc:
                record = record or describe(account_id, level, row)
                quarantine.add(table.name, record, name, raw, str(exc))
                value = None
            columns[name].append(value)
        for column, key in (("conversions", "actions"), ("conversions_value", "action_values")):
            actions = row.get(key)
            total, problem = _action_total(actions, conversion_types, key)
            if problem is not None:
                record = record or describe(account_id, level, row)
                quarantine.add(table.name, record, *problem)
            columns[column].append(total)
            columns[key].append(None if actions is None else _json(actions))
    for name in _DECIMAL_COLUMNS:
        columns[name] = [None if value is None else str(value) for value in columns[name]]
    return _table(columns, table.arrow_schema())


def account_table(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in ACCOUNTS_TABLE.column_names}
    for account_id, body in rows:
        record = f"act_{account_id}"
        columns["account_id"].append(account_id)
        for name in ("name", "currency", "timezone_name"):
            try:
                columns[name].append(_text(body.get(name)))
            except _Bad as exc:
                raise RecordError(SOURCE, record, name, f"value {_quote(body.get(name))} {exc}") from None
        status = body.get("account_status")
        try:
            columns["account_status"].append(None if status is None else parse_int(status))
        except ValueError as exc:
            raise RecordError(SOURCE, record, "account_status", f"value {_quote(status)} {exc}") from None
    return pa.Table.from_pydict(columns, schema=ACCOUNTS_TABLE.arrow_schema())


def creative_link(spec: Any) -> str | None:
    """Where the creative's object_story_spec sends a click: a link ad's (or carousel's) link, a video
    ad's call to action link, or a dynamic ad's template link."""
    if not isinstance(spec, Mapping):
        return None
    for path in (("link_data", "link"), ("video_data", "call_to_action", "value", "link"), ("template_data", "link")):
        value: Any = spec
        for key in path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is not None:
            return _text(value)
    return None


def ads_table(account_id: str, items: Sequence[Any]) -> pa.Table:
    columns: dict[str, list[Any]] = {name: [] for name in ADS_TABLE.column_names}
    for item in items:
        if not isinstance(item, Mapping):
            raise VendorError(SOURCE, f"act_{account_id}/ads: an item is not a JSON object")
        record = f"act_{account_id} ad {item.get('id')}"
        creative = item.get("creative") if isinstance(item.get("creative"), Mapping) else {}
        values = {"ad_id": ("id", item.get("id"), _id), "ad_name": ("name", item.get("name"), _text),
                  "campaign_id": ("campaign_id", item.get("campaign_id"), _optional_id),
                  "adset_id": ("adset_id", item.get("adset_id"), _optional_id),
                  "ad_status": ("effective_status", item.get("effective_status"), _text),
                  "creative_id": ("creative.id", creative.get("id"), _optional_id),
                  "link": ("creative.object_story_spec", creative.get("object_story_spec"), creative_link),
                  "url_tags": ("creative.url_tags", creative.get("url_tags"), _text)}
        columns["account_id"].append(account_id)
        for column, (field, raw, read) in values.items():
            try:
                columns[column].append(read(raw))
            except _Bad as exc:
                raise RecordError(SOURCE, record, field, f"value {_quote(raw)} {exc}") from None
    return pa.Table.from_pydict(columns, schema=ADS_TABLE.arrow_schema())


def _optional_id(value: Any) -> str | None:
    return None if value is None else _id(value)


def _json(value: Any) -> str:
    """Compact JSON, as Meta sent it."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # beyond 64-bit integers, say
        return json.dumps(value, separators=(",", ":"))


def _quote(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."
