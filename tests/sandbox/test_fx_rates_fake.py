"""The ECB fake on its own: the TARGET calendar, the rates as a pure function, the files' layouts."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from sandbox import fx_rates as fake
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY

# TARGET closing days on weekdays, from the ECB's calendar (Easter 2024-03-31, 2025-04-20, 2026-04-05).
CLOSED = [date(2024, 1, 1), date(2024, 3, 29), date(2024, 4, 1), date(2024, 5, 1), date(2024, 12, 25),
          date(2024, 12, 26), date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 1),
          date(2025, 12, 25), date(2025, 12, 26), date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6),
          date(2026, 5, 1), date(2026, 12, 25)]


def test_the_target_calendar() -> None:
    assert [fake.easter(y) for y in (2000, 2019, 2024, 2025, 2026, 2038)] == [
        date(2000, 4, 23), date(2019, 4, 21), date(2024, 3, 31), date(2025, 4, 20), date(2026, 4, 5),
        date(2038, 4, 25)]
    days = [date(2024, 1, 1) + timedelta(days=i) for i in range(3 * 365)]
    closed_weekdays = [d for d in days if d.weekday() < 5 and not fake.is_target_day(d)]
    assert closed_weekdays == CLOSED
    assert not any(fake.is_target_day(d) for d in days if d.weekday() >= 5)


def test_rates_are_a_pure_function_of_currency_and_day_on_business_days_only() -> None:
    world = World(today=date(2026, 4, 20), history_days=60)
    other = World(today=date(2026, 5, 20), history_days=200)
    days = fake.rate_days(world)
    assert days[0] >= world.start - timedelta(days=fake.LEAD_DAYS) and days[-1] < world.today
    assert date(2026, 4, 3) not in days and date(2026, 4, 6) not in days and date(2026, 4, 2) in days
    for day in days:
        assert fake.rate(world, "USD", day) == fake.rate(other, "USD", day) is not None
    assert fake.rate(world, "USD", date(2026, 4, 4)) is None  # a Saturday
    assert fake.rate(world, "USD", world.today) is None  # not published yet
    assert fake.rate(world, "USD", world.start - timedelta(days=fake.LEAD_DAYS + 1)) is None
    assert fake.rate(world, "EUR", days[-1]) is None and fake.rate(world, "CYP", days[-1]) is None


@pytest.mark.parametrize("currency", [c.code for c in fake.CURRENCIES])
def test_rates_move_smoothly_around_their_level(currency: str) -> None:
    world = World(today=TODAY, history_days=400)
    spec = fake.BY_CODE[currency]
    values = [v for d in fake.rate_days(world) if (v := fake.rate(world, currency, d)) is not None]
    assert values
    assert all(v.as_tuple().exponent >= -spec.decimals for v in values)
    level = Decimal(str(spec.level))
    assert all(abs(v / level - 1) < Decimal("0.2") for v in values)
    steps = [abs(b / a - 1) for a, b in zip(values, values[1:], strict=False)]
    assert max(steps) < Decimal("0.03")  # across a 4-day Easter gap too


def test_the_files_follow_the_ecb_layouts() -> None:
    world = World(today=TODAY, history_days=120)
    with SandboxServer(world=world, faults=Faults(), sources=["fx_rates"]) as server:
        def get(name: str) -> requests.Response:
            return requests.get(f"{server.url}/stats/eurofxref/{name}", timeout=10)

        zipped = get("eurofxref-hist.zip")
        assert zipped.content == get("eurofxref-hist.zip").content  # byte for byte, every time
        with zipfile.ZipFile(io.BytesIO(zipped.content)) as archive:
            [entry] = archive.infolist()
            assert entry.filename == "eurofxref-hist.csv" and entry.compress_type == zipfile.ZIP_DEFLATED
            lines = archive.read(entry).decode().split("\n")
        assert lines[0] == "Date," + ",".join(fake.CSV_COLUMNS) + ","
        assert lines[-1] == "" and all(line.endswith(",") for line in lines[:-1])
        dates = [line.split(",", 1)[0] for line in lines[1:-1]]
        assert dates == sorted(dates, reverse=True)  # newest first
        assert dates[0] == max(fake.rate_days(world)).isoformat()

        recent = get("eurofxref-hist-90d.xml").text
        assert recent.startswith('<?xml version="1.0" encoding="UTF-8"?><gesmes:Envelope '
                                 'xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
                                 'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">'
                                 '<gesmes:subject>Reference rates</gesmes:subject>')
        assert recent.endswith("</Cube></Cube></gesmes:Envelope>\n")
        daily = get("eurofxref-daily.xml").text
        assert f"\t\t<Cube time='{dates[0]}'>\n\t\t\t<Cube currency='USD' rate='" in daily
        # The daily file keeps the published decimals; the history files drop trailing zeros.
        gbp = fake.rate(world, "GBP", date.fromisoformat(dates[0]))
        assert f"<Cube currency='GBP' rate='{gbp:f}'/>" in daily and len(f"{gbp:f}") == 7

        for name, status in (("not_found", 404), ("unavailable", 503), ("rate_limit", 429)):
            server.state.faults.push("fx_rates", name)
            answer = get("eurofxref-daily.xml")
            assert answer.status_code == status and answer.headers["Content-Type"].startswith("text/html")
            if status != 404:
                assert float(answer.headers["Retry-After"]) <= 1


def test_expected_totals_count_every_quoted_rate() -> None:
    world = World(today=TODAY, history_days=30)
    totals = fake.expected_totals(world, TODAY, TODAY)
    quoted = [(c.code, d) for d in fake.rate_days(world) for c in fake.CURRENCIES
              if fake.rate(world, c.code, d) is not None]
    assert totals["rates"]["rows"] == len(quoted)
    assert totals["quarantine"] == {"rows": 0, "sums": {}}
