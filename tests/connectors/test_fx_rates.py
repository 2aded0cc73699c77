"""The fx_rates connector against the ECB fake over HTTP: every rate comes from the world, checked
against the fake's own `rate` and against the served files parsed here independently."""

from __future__ import annotations

import csv
import io
import logging
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dlt
import pytest
import requests

from connectors import registry
from connectors.common.errors import ConfigurationError, RecordError, VendorError
from connectors.fx_rates import SPEC, fx_rates_source
from connectors.fx_rates.errors import FileFormatError
from connectors.fx_rates.files import read_hist_csv, read_xml
from sandbox import fx_rates as fake
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY, point_sources_at

HIST = ("GET", "/stats/eurofxref/eurofxref-hist.zip")
RECENT = ("GET", "/stats/eurofxref/eurofxref-hist-90d.xml")
NS = {"e": "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"}
HISTORY_DAYS = 120


@pytest.fixture(scope="module")
def ecb() -> Iterator[SandboxServer]:
    """One fake ECB for the module; tests that change its world use their own."""
    with SandboxServer(world=World(today=TODAY, history_days=HISTORY_DAYS), faults=Faults(),
                       sources=["fx_rates"]) as server:
        yield server


@pytest.fixture
def sandbox(ecb: SandboxServer) -> Iterator[SandboxServer]:
    yield ecb
    ecb.state.faults.clear()


@pytest.fixture
def world(ecb: SandboxServer) -> World:
    return ecb.state.world


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(pipeline_name="fx_rates_test", destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
                        dataset_name="raw_fx_rates", pipelines_dir=str(tmp_path / "pl"))


def rows(pipeline: dlt.Pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as client:
        return [tuple(r) for r in client.execute_sql(sql)]


def loaded_rates(pipeline: dlt.Pipeline) -> dict[tuple[str, date], Decimal]:
    return {(c, d): v for c, d, v in rows(pipeline, "select currency_code, rate_date, units_per_eur from rates")}


def served(sandbox: SandboxServer, mark: int) -> list[tuple[str, str, int]]:
    return list(sandbox.state.requests[mark:])


def run(pipeline: dlt.Pipeline, sandbox: SandboxServer, **kwargs: object) -> list[tuple[str, str, int]]:
    mark = len(sandbox.state.requests)
    pipeline.run(fx_rates_source(**{"base_url": sandbox.url, **kwargs}))
    return served(sandbox, mark)


def fault(sandbox: SandboxServer, name: str, times: int = 1) -> None:
    sandbox.state.faults.push("fx_rates", name, times)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it wraps (dlt wraps resource errors twice)."""
    seen: set[int] = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        stack.extend([current.__cause__, current.__context__, getattr(current, "exception", None)])


def failure(pipeline: dlt.Pipeline, sandbox: SandboxServer, kind: type[BaseException], **kwargs: object
            ) -> BaseException:
    with pytest.raises(Exception) as caught:
        run(pipeline, sandbox, **kwargs)
    found = next((e for e in causes(caught.value) if isinstance(e, kind)), None)
    assert found is not None, f"no {kind.__name__} in {caught.value!r}"
    return found


def world_rates(world: World) -> dict[tuple[str, date], Decimal]:
    return {(c, d): v for c, d, v in fake.rates(world)}


# --- independent readings of what the fake serves ---------------------------------------------------
def parse_served_zip(content: bytes) -> dict[tuple[str, date], Decimal]:
    """The history CSV read with the csv module, as a user would, not with the connector's parser."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.namelist() == ["eurofxref-hist.csv"]
        text = archive.read("eurofxref-hist.csv").decode()
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header[0] == "Date" and header[-1] == ""  # every line ends with a comma
    out: dict[tuple[str, date], Decimal] = {}
    for line in reader:
        assert len(line) == len(header) and line[-1] == ""
        for code, value in zip(header[1:-1], line[1:-1], strict=True):
            if value != "N/A":
                out[(code, date.fromisoformat(line[0]))] = Decimal(value)
    return out


def parse_served_xml(content: bytes) -> dict[tuple[str, date], Decimal]:
    root = ET.fromstring(content)
    assert root.tag == "{http://www.gesmes.org/xml/2002-08-01}Envelope"
    return {(cube.get("currency"), date.fromisoformat(day.get("time"))): Decimal(cube.get("rate"))
            for day in root.findall("e:Cube/e:Cube", NS) for cube in day.findall("e:Cube", NS)}


# --- loads -----------------------------------------------------------------------------------------
def test_first_run_reads_the_full_history_then_the_90_day_file(sandbox: SandboxServer, world: World,
                                                                pipeline: dlt.Pipeline) -> None:
    expected = world_rates(world)

    log = run(pipeline, sandbox)
    assert log == [(*HIST, 200)]
    assert loaded_rates(pipeline) == expected
    assert rows(pipeline, "select distinct source_file from rates") == [("eurofxref-hist.zip",)]
    newest = max(d for _, d in expected)
    assert newest == max(d for d in fake.rate_days(world)) < world.today
    assert pipeline.state["sources"]["fx_rates"]["resources"]["rates"]["newest_rate_date"] == newest.isoformat()

    log = run(pipeline, sandbox)
    assert log == [(*RECENT, 200)]
    recent = {k for k in expected if k[1] >= world.today - timedelta(days=fake.RECENT_DAYS)}
    assert pipeline.last_trace.last_normalize_info.row_counts["rates"] == len(recent)
    # The same rows, each once, the recent ones now read from the 90-day file.
    assert loaded_rates(pipeline) == expected
    assert rows(pipeline, "select count(*), count(distinct (currency_code, rate_date)) from rates") == \
        [(len(expected), len(expected))]
    assert {k for k, in rows(pipeline, "select currency_code || ' ' || rate_date from rates "
                                       "where source_file = 'eurofxref-hist-90d.xml'")} == \
        {f"{c} {d.isoformat()}" for c, d in recent}
    assert rows(pipeline, "select count(*) from quarantine") == [(0,)]


def test_values_equal_the_served_files_parsed_independently(sandbox: SandboxServer, world: World,
                                                             pipeline: dlt.Pipeline) -> None:
    zipped = requests.get(f"{sandbox.url}/stats/eurofxref/eurofxref-hist.zip", timeout=10)
    assert zipped.status_code == 200 and zipped.headers["Content-Type"] == "application/zip"
    from_csv = parse_served_zip(zipped.content)
    recent_xml = requests.get(f"{sandbox.url}/stats/eurofxref/eurofxref-hist-90d.xml", timeout=10)
    from_xml = parse_served_xml(recent_xml.content)
    daily = parse_served_xml(requests.get(f"{sandbox.url}/stats/eurofxref/eurofxref-daily.xml", timeout=10).content)

    run(pipeline, sandbox)
    loaded = loaded_rates(pipeline)
    assert loaded == from_csv == world_rates(world)
    assert from_xml == {k: v for k, v in loaded.items() if k[1] >= world.today - timedelta(days=fake.RECENT_DAYS)}
    assert daily == {k: v for k, v in loaded.items() if k[1] == max(d for _, d in loaded)}
    # Realistic levels, exact as published.
    day = max(d for _, d in loaded)
    assert Decimal("1.0") < loaded[("USD", day)] < Decimal("1.2")
    assert Decimal("0.78") < loaded[("GBP", day)] < Decimal("0.92")
    assert Decimal("140") < loaded[("JPY", day)] < Decimal("180")
    assert Decimal("0.88") < loaded[("CHF", day)] < Decimal("1.02")
    assert loaded[("BGN", day)] == Decimal("1.9558")
    assert {c for c, _ in loaded} == {c.code for c in fake.CURRENCIES}


def test_not_available_rates_and_a_discontinued_currency_load_no_rows(sandbox: SandboxServer, world: World,
                                                                      pipeline: dlt.Pipeline) -> None:
    run(pipeline, sandbox)
    last = fake.last_quoted(world, "HRK")
    assert last is not None and world.start < last < world.today
    hrk = [d for d, in rows(pipeline, "select rate_date from rates where currency_code = 'HRK'")]
    assert hrk and max(hrk) <= last
    assert len(hrk) == sum(1 for d in fake.rate_days(world) if d <= last)
    # Legacy currencies and RUB are N/A in every line of the served CSV, EUR is never a row.
    assert rows(pipeline, "select count(*) from rates where currency_code in ('CYP', 'TRL', 'RUB', 'EUR')") == [(0,)]
    assert rows(pipeline, "select count(*) from rates where units_per_eur is null or units_per_eur <= 0") == [(0,)]
    # After HRK's last day it is absent from the XML (not N/A).
    xml = fake.hist_90d_xml(fake._key(world, None)).decode()
    if last < world.today - timedelta(days=fake.RECENT_DAYS):
        assert 'currency="HRK"' not in xml


def test_the_raw_table_types_and_keys(sandbox: SandboxServer, pipeline: dlt.Pipeline) -> None:
    run(pipeline, sandbox)
    columns = {name: (kind, precision, scale) for name, kind, precision, scale in rows(pipeline, """
        select column_name, data_type, numeric_precision, numeric_scale from information_schema.columns
        where table_schema = 'raw_fx_rates' and table_name = 'rates'""")}
    assert columns["units_per_eur"] == ("DECIMAL(38,10)", 38, 10)
    assert columns["rate_date"][0] == "DATE"
    tables = pipeline.default_schema.tables
    assert tables["rates"]["write_disposition"] == "merge"
    assert [c for c, h in tables["rates"]["columns"].items() if h.get("primary_key")] == ["currency_code", "rate_date"]
    assert tables["quarantine"]["write_disposition"] == "append"


def test_the_registry_builds_it_from_the_environment(sandbox: SandboxServer, world: World, pipeline: dlt.Pipeline,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    point_sources_at(sandbox, monkeypatch)
    mark = len(sandbox.state.requests)
    pipeline.run(registry.build_source("fx_rates"))
    assert served(sandbox, mark) == [(*HIST, 200)]
    assert len(loaded_rates(pipeline)) == len(world_rates(world))


def test_a_currency_filter_loads_only_those_and_a_wider_one_reads_the_history_again(
        sandbox: SandboxServer, world: World, pipeline: dlt.Pipeline) -> None:
    expected = world_rates(world)
    assert run(pipeline, sandbox, currencies="usd, GBP,EUR") == [(*HIST, 200)]
    assert loaded_rates(pipeline) == {k: v for k, v in expected.items() if k[0] in ("USD", "GBP")}
    # The same currencies (or fewer) read the 90-day file...
    assert run(pipeline, sandbox, currencies=["GBP"]) == [(*RECENT, 200)]
    # ...a currency not loaded before needs its history.
    assert run(pipeline, sandbox, currencies="GBP,JPY") == [(*HIST, 200)]
    assert {c for c, _ in loaded_rates(pipeline)} == {"USD", "GBP", "JPY"}
    assert run(pipeline, sandbox) == [(*HIST, 200)]
    assert loaded_rates(pipeline) == expected


def test_full_refresh_reads_the_history_again(sandbox: SandboxServer, world: World, pipeline: dlt.Pipeline) -> None:
    run(pipeline, sandbox)
    assert run(pipeline, sandbox, full_refresh=True) == [(*HIST, 200)]
    assert loaded_rates(pipeline) == world_rates(world)


def test_state_older_than_the_90_day_file_falls_back_to_the_full_history(pipeline: dlt.Pipeline) -> None:
    def without_hrk(found: dict[tuple[str, date], Decimal]) -> dict[tuple[str, date], Decimal]:
        # The world moves HRK's last day with its history's length; every other rate stays put.
        return {k: v for k, v in found.items() if k[0] != "HRK"}

    with SandboxServer(world=World(today=TODAY, history_days=30), faults=Faults(), sources=["fx_rates"]) as server:
        assert run(pipeline, server) == [(*HIST, 200)]
        # Four months without a run: the 90-day file no longer reaches the newest rate loaded.
        server.state.world = World(today=TODAY + timedelta(days=120), history_days=150)
        assert run(pipeline, server) == [(*RECENT, 200), (*HIST, 200)]
        assert without_hrk(loaded_rates(pipeline)) == without_hrk(world_rates(server.state.world))
        # A month later the 90-day file covers the gap again.
        server.state.world = World(today=TODAY + timedelta(days=150), history_days=180)
        assert run(pipeline, server) == [(*RECENT, 200)]
        assert without_hrk(loaded_rates(pipeline)) == without_hrk(world_rates(server.state.world))
        assert rows(pipeline, "select count(*) - count(distinct (currency_code, rate_date)) from rates") == [(0,)]


# --- faults ----------------------------------------------------------------------------------------
def test_unavailable_and_rate_limited_answers_are_retried(sandbox: SandboxServer, world: World,
                                                          pipeline: dlt.Pipeline) -> None:
    fault(sandbox, "unavailable")
    fault(sandbox, "rate_limit")
    fault(sandbox, "unavailable")
    assert run(pipeline, sandbox) == [(*HIST, 503), (*HIST, 429), (*HIST, 503), (*HIST, 200)]
    fault(sandbox, "rate_limit")
    assert run(pipeline, sandbox) == [(*RECENT, 429), (*RECENT, 200)]
    assert loaded_rates(pipeline) == world_rates(world)


def test_not_found_fails_at_once_naming_the_file_and_the_setting(sandbox: SandboxServer,
                                                                  pipeline: dlt.Pipeline) -> None:
    fault(sandbox, "not_found")
    mark = len(sandbox.state.requests)
    error = failure(pipeline, sandbox, VendorError)
    assert served(sandbox, mark) == [(*HIST, 404)]
    message = str(error)
    assert message.startswith("fx_rates: eurofxref-hist.zip not found at ")
    assert "HTTP 404" in message and "SOURCES__FX_RATES__BASE_URL" in message


def test_a_wrong_base_url_is_a_clear_404(sandbox: SandboxServer, pipeline: dlt.Pipeline) -> None:
    error = failure(pipeline, sandbox, VendorError, base_url=f"{sandbox.url}/mirror")
    assert f"{sandbox.url}/mirror/stats/eurofxref/eurofxref-hist.zip" in str(error)


def test_a_truncated_zip_fails_naming_the_file(sandbox: SandboxServer, pipeline: dlt.Pipeline) -> None:
    fault(sandbox, "truncated")
    error = failure(pipeline, sandbox, FileFormatError)
    assert str(error).startswith("fx_rates: eurofxref-hist.zip: not a readable zip archive")
    assert "truncated" in str(error)


def test_a_truncated_90_day_file_fails_naming_the_file_and_position(sandbox: SandboxServer,
                                                                     pipeline: dlt.Pipeline) -> None:
    run(pipeline, sandbox)
    fault(sandbox, "truncated")
    error = failure(pipeline, sandbox, FileFormatError)
    assert str(error).startswith("fx_rates: eurofxref-hist-90d.xml: is not well-formed XML at line ")
    # The state still says the history was loaded: the next run reads the 90-day file again.
    assert run(pipeline, sandbox) == [(*RECENT, 200)]


def test_a_bad_date_names_the_file_line_and_field(sandbox: SandboxServer, world: World,
                                                  pipeline: dlt.Pipeline) -> None:
    fault(sandbox, "bad_date")
    error = failure(pipeline, sandbox, RecordError)
    newest = max(fake.rate_days(world))
    assert str(error) == (f"fx_rates: record eurofxref-hist.csv line 2, field 'Date': not a date (YYYY-MM-DD): "
                          f"'{newest.strftime('%d/%m/%Y')}'")
    run(pipeline, sandbox)
    fault(sandbox, "bad_date")
    error = failure(pipeline, sandbox, RecordError)
    assert "eurofxref-hist-90d.xml" in str(error) and "field 'time'" in str(error)


@pytest.mark.parametrize("first_run", [True, False], ids=["history", "90-day"])
def test_a_garbage_rate_is_quarantined_by_day_and_currency(first_run: bool, sandbox: SandboxServer, world: World,
                                                           pipeline: dlt.Pipeline,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    newest = max(fake.rate_days(world))
    if not first_run:
        run(pipeline, sandbox)
        # Drop the USD rate of the newest day, so the quarantined value is visibly not loaded.
        with pipeline.sql_client() as client:
            client.execute_sql(f"delete from rates where currency_code = 'USD' and rate_date = '{newest}'")
    fault(sandbox, "garbage_rate")
    with caplog.at_level(logging.WARNING):
        run(pipeline, sandbox)
    quarantined = rows(pipeline, "select source_table, record_id, field, raw_value, error from quarantine")
    where = ("eurofxref-hist.csv line 2, column USD" if first_run
             else f"eurofxref-hist-90d.xml <Cube time='{newest}'>, currency USD")
    assert quarantined == [("rates", f"{newest} USD", "units_per_eur", "#VALUE!", f"not a number ({where})")]
    expected = world_rates(world)
    del expected[("USD", newest)]
    assert loaded_rates(pipeline) == expected
    assert "the USD rate of " + newest.isoformat() in caplog.text


# --- settings --------------------------------------------------------------------------------------
def test_the_source_is_built_without_io(sandbox: SandboxServer) -> None:
    mark = len(sandbox.state.requests)
    source = fx_rates_source(base_url=sandbox.url, currencies="USD")
    assert set(source.resources) == {"rates", "quarantine"}
    assert served(sandbox, mark) == []


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"base_url": "www.ecb.europa.eu"}, "base_url"),
    ({"currencies": "US,GBP"}, "currencies"),
    ({"currencies": "[1, 2]"}, "currencies"),
    ({"full_refresh": "yes"}, "full_refresh"),
])
def test_bad_settings_name_the_key(kwargs: dict, key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        fx_rates_source(**kwargs)
    assert caught.value.key == key
    assert f"SOURCES__FX_RATES__{key.upper()}" in str(caught.value)


def test_spec() -> None:
    assert SPEC.domain == "fx" and SPEC.mode == "cursor" and SPEC.needs == ()
    assert SPEC.freshness is not None and (SPEC.freshness.entity, SPEC.freshness.column) == ("rates", "rate_date")
    assert SPEC.freshness.max_lag_days == 4
    assert [s.key for s in SPEC.settings][0] == "base_url"
    assert SPEC.settings[0].default == "https://www.ecb.europa.eu"


# --- the parsers on their own ----------------------------------------------------------------------
def test_the_csv_parser_reads_the_documented_layout() -> None:
    text = ("Date,USD,JPY,BGN,CYP,GBP,\n"
            "2025-05-09,1.1252,163.36,1.9558,N/A,0.8477,\n"
            "2025-05-08,1.13,162.5,1.9558,N/A,0.85,\n")
    rates = read_hist_csv(text)
    assert rates.rows == 8 and (rates.oldest, rates.newest) == (date(2025, 5, 8), date(2025, 5, 9))
    assert rates.table().column("units_per_eur").to_pylist()[0] == Decimal("1.1252")
    assert read_hist_csv(text, wanted=["GBP"]).table().column("currency_code").to_pylist() == ["GBP", "GBP"]


@pytest.mark.parametrize(("text", "message"), [
    ("USD,JPY,\n2025-05-09,1,2,\n", "record eurofxref-hist.csv line 1, field 'USD': the header's first field"),
    ("Date,USD,JPY,\n2025-05-09,1.1,\n", "record eurofxref-hist.csv line 2, field 'line': 2 fields where the "
                                         "header has 3"),
    ("Date,USD,\n2025-05-09,1.1,\n2025-05-09,1.2,\n", "line 3, field 'Date': 2025-05-09 is listed twice (also on "
                                                     "line 2)"),
    ("Date,US$,\n2025-05-09,1.1,\n", "line 1, field 'US$': not a currency code"),
])
def test_the_csv_parser_names_the_line_and_field(text: str, message: str) -> None:
    with pytest.raises(RecordError) as caught:
        read_hist_csv(text)
    assert message in str(caught.value)


@pytest.mark.parametrize(("raw", "error"), [
    ("1,0842", "not a number"), ("NaN", "not a finite number"), ("0", "not a positive number"),
    ("-1.2", "not a positive number"), ("1.12345678901", "more than 10 decimal places"),
])
def test_unreadable_rates_are_quarantined_with_their_reason(raw: str, error: str) -> None:
    xml = (f'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="{NS["e"]}"><Cube>'
           f'<Cube time="2026-01-05"><Cube currency="USD" rate="{raw}"/><Cube currency="GBP" rate="0.86"/></Cube>'
           f'</Cube></gesmes:Envelope>').encode()
    rates = read_xml(xml, "eurofxref-daily.xml")
    assert rates.table().column("currency_code").to_pylist() == ["GBP"]
    [row] = rates.quarantined
    assert (row["record_id"], row["raw_value"]) == ("2026-01-05 USD", raw)
    assert row["error"] == f"{error} (eurofxref-daily.xml <Cube time='2026-01-05'>, currency USD)"


def test_the_xml_parser_refuses_what_is_not_a_gesmes_envelope() -> None:
    with pytest.raises(FileFormatError, match="eurofxref-daily.xml: is not a gesmes:Envelope"):
        read_xml(b"<html><body>Maintenance</body></html>", "eurofxref-daily.xml")
    with pytest.raises(FileFormatError, match="is not well-formed XML at line 1"):
        read_xml(b"<gesmes:Envelope", "eurofxref-daily.xml")
