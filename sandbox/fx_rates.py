"""Fake of the ECB's euro foreign exchange reference rate files under `/stats/eurofxref/`.

Serves, from the world, the three files the ECB publishes (see connectors/fx_rates/settings.py for
the documented layouts, checked against copies of the real files):

- `eurofxref-hist.zip`: a zip holding `eurofxref-hist.csv`, the ECB's header of every currency ever
  quoted (legacy ones such as CYP or TRL, and RUB, suspended since 2022, are `N/A` throughout), one
  line per day newest first, every line ending with a comma, trailing zeros dropped;
- `eurofxref-hist-90d.xml`: the gesmes envelope, one `<Cube time="...">` per day of the last 90
  calendar days, newest first, one line per day (the real file's layout);
- `eurofxref-daily.xml`: the newest day only, indented, single-quoted, with the published decimals.

Rates exist on TARGET business days (no weekends, 1 January, Good Friday, Easter Monday, 1 May, 25
and 26 December) from 14 days before the world's history starts to the business day before
`world.today`: today's rates are not published yet. Each is a pure function of the currency and the
day (`rate`), smooth around a realistic level, rounded to the decimals the ECB publishes for it.
HRK is quoted until the middle of the world's history and is `N/A` (CSV) or absent (XML) after, as
the kuna was when Croatia adopted the euro.

Faults (`req.fault`): `unavailable` (503) and `rate_limit` (429), both with a short `Retry-After`,
are retryable; `not_found` (404), and for the malformed cases `truncated` (the file cut in half),
`garbage_rate` (the newest day's USD rate is `#VALUE!`) and `bad_date` (the newest day written
DD/MM/YYYY).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from sandbox.core import Fake, Request, Response, SandboxState, TableTotals, source_env
from sandbox.world import World
from sandbox.world.core import uniforms

VENDOR = "fx_rates"
PATH = "/stats/eurofxref"
HIST_ZIP = "eurofxref-hist.zip"
HIST_CSV = "eurofxref-hist.csv"
HIST_90D_XML = "eurofxref-hist-90d.xml"
DAILY_XML = "eurofxref-daily.xml"

# Days of rates before the world's history starts, so the first days of history have a rate.
LEAD_DAYS = 14
# Calendar days the 90-day file reaches back from today.
RECENT_DAYS = 90
# The sandbox asks for a short wait so runs stay fast; a real server sends whole seconds.
RETRY_AFTER = "0.1"
GARBAGE = "#VALUE!"

GESMES_NS = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF_NS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"


@dataclass(frozen=True)
class Currency:
    code: str
    level: float  # units per euro around which it moves
    decimals: int  # as the ECB publishes it
    volatility: float  # relative swing; 0 for a peg


# The ECB's quoted currencies at realistic levels and published precision. BGN is pegged (1.9558).
CURRENCIES: tuple[Currency, ...] = (
    Currency("USD", 1.08, 4, 0.040), Currency("JPY", 160.0, 2, 0.060), Currency("BGN", 1.9558, 4, 0.0),
    Currency("CZK", 25.0, 3, 0.020), Currency("DKK", 7.46, 4, 0.0008), Currency("GBP", 0.85, 5, 0.030),
    Currency("HUF", 395.0, 2, 0.040), Currency("PLN", 4.30, 4, 0.030), Currency("RON", 4.97, 4, 0.010),
    Currency("SEK", 11.3, 4, 0.040), Currency("CHF", 0.95, 4, 0.030), Currency("ISK", 150.0, 1, 0.030),
    Currency("NOK", 11.6, 4, 0.040), Currency("HRK", 7.53, 4, 0.005), Currency("TRY", 35.0, 4, 0.100),
    Currency("AUD", 1.65, 4, 0.050), Currency("BRL", 6.0, 4, 0.080), Currency("CAD", 1.48, 4, 0.040),
    Currency("CNY", 7.8, 4, 0.040), Currency("HKD", 8.45, 4, 0.040), Currency("IDR", 17500.0, 2, 0.050),
    Currency("ILS", 4.0, 4, 0.050), Currency("INR", 90.0, 4, 0.040), Currency("KRW", 1450.0, 2, 0.050),
    Currency("MXN", 19.5, 4, 0.070), Currency("MYR", 5.0, 4, 0.040), Currency("NZD", 1.80, 4, 0.050),
    Currency("PHP", 62.0, 3, 0.040), Currency("SGD", 1.45, 4, 0.030), Currency("THB", 38.0, 3, 0.040),
    Currency("ZAR", 20.0, 4, 0.070),
)
BY_CODE = {c.code: c for c in CURRENCIES}
# The real file's header: every currency the ECB ever quoted, in its order.
CSV_COLUMNS = ("USD", "JPY", "BGN", "CYP", "CZK", "DKK", "EEK", "GBP", "HUF", "LTL", "LVL", "MTL", "PLN", "ROL",
               "RON", "SEK", "SIT", "SKK", "CHF", "ISK", "NOK", "HRK", "RUB", "TRL", "TRY", "AUD", "BRL", "CAD",
               "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN", "MYR", "NZD", "PHP", "SGD", "THB", "ZAR")
# Quoted until the middle of the world's history, then N/A.
DISCONTINUED = "HRK"


# --- the TARGET calendar -------------------------------------------------------------------------
@lru_cache(maxsize=256)
def easter(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month = (h + leap - 7 * m + 114) // 31
    day = (h + leap - 7 * m + 114) % 31 + 1
    return date(year, month, day)


def is_target_day(day: date) -> bool:
    """Whether TARGET is open (and the ECB sets rates): not a weekend or a TARGET closing day."""
    if day.weekday() >= 5:
        return False
    if (day.month, day.day) in ((1, 1), (5, 1), (12, 25), (12, 26)):
        return False
    sunday = easter(day.year)
    return day not in (sunday - timedelta(days=2), sunday + timedelta(days=1))


def first_day(world: World) -> date:
    return world.start - timedelta(days=LEAD_DAYS)


def rate_days(world: World) -> list[date]:
    """Every day with rates, oldest first: TARGET days from `first_day` to before today."""
    start = first_day(world)
    days = (start + timedelta(days=i) for i in range((world.today - start).days))
    return [d for d in days if is_target_day(d)]


def last_quoted(world: World, code: str) -> date | None:
    """The last day a currency is quoted, when it was discontinued within the world's history."""
    if code == DISCONTINUED:
        return world.start + timedelta(days=world.history_days // 2)
    return None


# --- the rates -----------------------------------------------------------------------------------
@lru_cache(maxsize=64)
def _waves(code: str) -> tuple[tuple[float, float, float], ...]:
    """(amplitude, period in days, phase) of the slow, medium and fast swings of a currency."""
    u = uniforms("fx", code, n=6)
    return ((0.6, 300 + 400 * u[0], 2 * math.pi * u[1]), (0.3, 60 + 90 * u[2], 2 * math.pi * u[3]),
            (0.1, 15 + 25 * u[4], 2 * math.pi * u[5]))


def _value(currency: Currency, day: date) -> Decimal:
    """The rate of a quoted currency on a day, at its published precision: a pure function of both."""
    if currency.volatility == 0:
        swing = 0.0
    else:
        t = day.toordinal()
        swing = sum(a * math.sin(2 * math.pi * t / period + phase) for a, period, phase in _waves(currency.code))
        swing += 0.05 * (uniforms("fx", currency.code, day.isoformat(), n=1)[0] - 0.5)
    value = currency.level * math.exp(currency.volatility * swing)
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-currency.decimals), rounding=ROUND_HALF_EVEN)


def rate(world: World, code: str, day: date) -> Decimal | None:
    """Units of `code` per euro the ECB set on `day` in this world, None when it set none (a weekend,
    a TARGET holiday, outside the published range, a currency not or no longer quoted)."""
    currency = BY_CODE.get(code)
    if currency is None or not is_target_day(day) or not first_day(world) <= day < world.today:
        return None
    last = last_quoted(world, code)
    if last is not None and day > last:
        return None
    return _value(currency, day)


def rates(world: World) -> Iterator[tuple[str, date, Decimal]]:
    """Every rate of the world: (currency, day, units per euro), days oldest first."""
    for day in rate_days(world):
        for currency in CURRENCIES:
            value = rate(world, currency.code, day)
            if value is not None:
                yield currency.code, day, value


def published(value: Decimal) -> str:
    """A rate as the history files write it: its decimals without trailing zeros (`1.46`, `13111`)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --- the files -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Key:
    today: date
    history_days: int
    fault: str | None


def _key(world: World, fault: str | None) -> _Key:
    return _Key(world.today, world.history_days, fault if fault in ("garbage_rate", "bad_date") else None)


def _world(key: _Key) -> World:
    return World(today=key.today, history_days=key.history_days)


def _day_text(day: date, fault: str | None, newest: bool) -> str:
    return day.strftime("%d/%m/%Y") if fault == "bad_date" and newest else day.isoformat()


def _rate_text(code: str, value: Decimal, fault: str | None, newest: bool, decimals: bool = False) -> str:
    if fault == "garbage_rate" and newest and code == "USD":
        return GARBAGE
    return f"{value:f}" if decimals else published(value)


@lru_cache(maxsize=16)
def hist_csv(key: _Key) -> bytes:
    world = _world(key)
    lines = ["Date," + ",".join(CSV_COLUMNS) + ","]
    days = rate_days(world)
    for day in reversed(days):
        newest = day == days[-1]
        cells = [_day_text(day, key.fault, newest)]
        for code in CSV_COLUMNS:
            value = rate(world, code, day)
            cells.append("N/A" if value is None else _rate_text(code, value, key.fault, newest))
        lines.append(",".join(cells) + ",")
    return ("\n".join(lines) + "\n").encode()


@lru_cache(maxsize=16)
def hist_zip(key: _Key) -> bytes:
    days = rate_days(_world(key))
    stamp = days[-1] if days else key.today
    entry = zipfile.ZipInfo(HIST_CSV, date_time=(stamp.year, stamp.month, stamp.day, 16, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(entry, hist_csv(key))
    return out.getvalue()


_ENVELOPE_OPEN = (f'<gesmes:Envelope xmlns:gesmes="{GESMES_NS}" xmlns="{EUROFXREF_NS}">')


def _day_cubes(world: World, days: list[date], fault: str | None) -> Iterator[tuple[str, list[tuple[str, str]]]]:
    """Per day, newest first: its time attribute and the (currency, rate) pairs quoted that day."""
    for day in reversed(days):
        newest = day == days[-1]
        quoted = [(code, value) for code in CSV_COLUMNS if (value := rate(world, code, day)) is not None]
        yield _day_text(day, fault, newest), [(code, _rate_text(code, v, fault, newest)) for code, v in quoted]


@lru_cache(maxsize=16)
def hist_90d_xml(key: _Key) -> bytes:
    world = _world(key)
    days = [d for d in rate_days(world) if d >= world.today - timedelta(days=RECENT_DAYS)]
    cubes = "\n".join(f'<Cube time="{time}">' + "".join(f'<Cube currency="{c}" rate="{r}"/>' for c, r in pairs)
                      + "</Cube>" for time, pairs in _day_cubes(world, days, key.fault))
    return (f'<?xml version="1.0" encoding="UTF-8"?>{_ENVELOPE_OPEN}<gesmes:subject>Reference rates</gesmes:subject>'
            f'<gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>'
            f'<Cube>{cubes}</Cube></gesmes:Envelope>\n').encode()


@lru_cache(maxsize=16)
def daily_xml(key: _Key) -> bytes:
    world = _world(key)
    days = rate_days(world)[-1:]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', _ENVELOPE_OPEN,
             "\t<gesmes:subject>Reference rates</gesmes:subject>", "\t<gesmes:Sender>",
             "\t\t<gesmes:name>European Central Bank</gesmes:name>", "\t</gesmes:Sender>", "\t<Cube>"]
    for day in days:
        newest = True
        lines.append(f"\t\t<Cube time='{_day_text(day, key.fault, newest)}'>")
        for code in CSV_COLUMNS:
            value = rate(world, code, day)
            if value is not None:
                # The daily file keeps the published decimals (0.86340).
                lines.append(f"\t\t\t<Cube currency='{code}' rate='"
                             f"{_rate_text(code, value, key.fault, newest, decimals=True)}'/>")
        lines.append("\t\t</Cube>")
    lines += ["\t</Cube>", "</gesmes:Envelope>"]
    return ("\n".join(lines) + "\n").encode()


# --- the routes --------------------------------------------------------------------------------
_PAGES = {
    404: ("Not Found", "The requested URL was not found on this server."),
    429: ("Too Many Requests", "You have sent too many requests. Please try again later."),
    503: ("Service Unavailable", "The server is temporarily unable to service your request. Please try again "
                                 "later."),
}


def _page(status: int) -> Response:
    title, text = _PAGES[status]
    body = f"<HTML><HEAD><TITLE>{title}</TITLE></HEAD><BODY><H1>{title}</H1>{text}</BODY></HTML>\n"
    headers = {"Content-Type": "text/html; charset=iso-8859-1"}
    if status in (429, 503):
        headers["Retry-After"] = RETRY_AFTER
    return Response(status, body.encode(), headers)


def _fault(req: Request) -> Response | None:
    return {"unavailable": lambda: _page(503), "rate_limit": lambda: _page(429),
            "not_found": lambda: _page(404)}.get(req.fault or "", lambda: None)()


def _file(content: bytes, content_type: str, fault: str | None) -> Response:
    if fault == "truncated":
        content = content[: len(content) // 2]
    return Response(200, content, {"Content-Type": content_type})


def serve_hist_zip(req: Request, state: SandboxState) -> Response:
    return _fault(req) or _file(hist_zip(_key(state.world, req.fault)), "application/zip", req.fault)


def serve_hist_90d(req: Request, state: SandboxState) -> Response:
    return _fault(req) or _file(hist_90d_xml(_key(state.world, req.fault)), "text/xml", req.fault)


def serve_daily(req: Request, state: SandboxState) -> Response:
    return _fault(req) or _file(daily_xml(_key(state.world, req.fault)), "text/xml", req.fault)


# --- what the sandbox needs of this fake -----------------------------------------------------------
def _env(sandbox_url: str) -> dict[str, str]:
    # The sandbox's root stands for www.ecb.europa.eu: the files are at the same paths under it.
    return source_env(VENDOR, {"base_url": sandbox_url})


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """What the connector loads, whatever the window (it follows a cursor): every rate of the world
    (no N/A), and nothing quarantined."""
    count, total = 0, Decimal(0)
    for _, _, value in rates(world):
        count += 1
        total += value
    return {"rates": {"rows": count, "sums": {"units_per_eur": total}}, "quarantine": {"rows": 0, "sums": {}}}


def warm(world: World) -> None:
    for render in (hist_zip, hist_90d_xml, daily_xml):
        render(_key(world, None))


FAKE = Fake(
    vendor=VENDOR,
    routes=(
        ("GET", re.escape(f"{PATH}/{HIST_ZIP}"), serve_hist_zip),
        ("GET", re.escape(f"{PATH}/{HIST_90D_XML}"), serve_hist_90d),
        ("GET", re.escape(f"{PATH}/{DAILY_XML}"), serve_daily),
    ),
    retryable=("unavailable", "rate_limit"),
    env=_env,
    warm=warm,
    expected_totals=expected_totals,
)
