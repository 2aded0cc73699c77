"""The GA4 connector against the sandbox over HTTP: exact rows, paging, lookback, faults, secrets, and
the contact sessions report (known visitors by the contact id custom dimension)."""

from __future__ import annotations

import base64
import json
import logging
import math
import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import dlt
import duckdb
import pytest
from dlt.pipeline.exceptions import PipelineStepFailed

from connectors.common import progress
from connectors.common.errors import AuthError, ConfigurationError, RecordError
from connectors.common.window import DateWindow
from connectors.google_analytics import GoogleAnalyticsCredentials, google_analytics_source
from connectors.google_analytics import settings as s
from connectors.google_analytics.helpers import make_client, report_pages
from connectors.google_analytics.rows import page_to_table
from sandbox import google_oauth
from sandbox.faults import Faults
from sandbox.google_analytics import CONTACT_DIMENSION, CURRENCY, DIMENSIONS, PROPERTY_ID, TIME_ZONE
from sandbox.server import SandboxServer
from sandbox.world import World, crm, web
from tests.conftest import point_sources_at

END = date(2026, 11, 19)
REPORT_PATH = f"/v1beta/properties/{PROPERTY_ID}:runReport"
METRICS = ("sessions", "totalUsers", "newUsers", "engagedSessions", "keyEvents", "totalRevenue")


def expected_rows(world: World, start: date, end: date) -> set[tuple]:
    """What GA4 reports for the window: the world's rows, less those with every metric zero."""
    rows = set()
    day = start
    while day <= end:
        for r in web.rows(world, day):
            if not any(r[m] for m in METRICS):
                continue
            rows.add((PROPERTY_ID, day, r["sessionSource"], r["sessionMedium"], r["sessionCampaignName"],
                      r["sessionDefaultChannelGroup"], r["sessions"], r["totalUsers"], r["newUsers"],
                      r["engagedSessions"], float(r["keyEvents"]), Decimal(str(r["totalRevenue"])),
                      CURRENCY, TIME_ZONE))
        day += timedelta(days=1)
    return rows


def expected_contact_rows(world: World, start: date, end: date) -> set[tuple]:
    """What the contact sessions report loads: each known contact's sessions by day, source, medium
    and campaign, the visitors GA4 has no contact id for ((not set)) left out."""
    sessions: Counter[tuple] = Counter()
    day = start
    while day <= end:
        for r in web.contact_rows(world, day):
            if r["contact"] != web.NOT_SET:
                sessions[(PROPERTY_ID, day, "hubspot", r["contact"], r["sessionSource"], r["sessionMedium"],
                          r["sessionCampaignName"])] += r["sessions"]
        day += timedelta(days=1)
    return {(*key, n) for key, n in sessions.items()}


def run(tmp_path: Path, contacts: bool = False, **kwargs) -> Path:
    """One load. The sandbox's settings turn the contact sessions report on; unless `contacts`, it is
    turned off here, for the tests of traffic_daily."""
    if not contacts:
        kwargs.setdefault("contact_id_dimension", "")
        kwargs.setdefault("contact_source", "")
    db = tmp_path / "w.duckdb"
    pipeline = dlt.pipeline(
        pipeline_name="ga4_test",
        destination=dlt.destinations.duckdb(str(db)),
        dataset_name="raw_google_analytics",
        pipelines_dir=str(tmp_path / "pl"),
    )
    pipeline.run(google_analytics_source(**kwargs))
    return db


def loaded(db: Path) -> set[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "select property_id, date_day, session_source, session_medium, session_campaign_name, "
            "session_default_channel_group, sessions, total_users, new_users, engaged_sessions, key_events, "
            "total_revenue, currency_code, time_zone from raw_google_analytics.traffic_daily"
        ).fetchall()
    assert len(rows) == len(set(rows)), "duplicate rows loaded"
    return set(rows)


def loaded_contacts(db: Path) -> set[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "select property_id, date_day, contact_source, contact_id, session_source, session_medium, "
            "session_campaign_name, sessions from raw_google_analytics.contact_sessions").fetchall()
    assert len(rows) == len(set(rows)), "duplicate rows loaded"
    return set(rows)


def raw_tables(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {name for (name,) in con.sql("select table_name from information_schema.tables "
                                            "where table_schema = 'raw_google_analytics'").fetchall()}


def report_calls(sandbox: SandboxServer) -> int:
    return sum(1 for _, path, _ in sandbox.state.requests if path == REPORT_PATH)


def cause_chain(exc: BaseException) -> list[BaseException]:
    chain = []
    while exc is not None:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def test_loads_the_window_exactly(sandbox_env: SandboxServer, world: World, tmp_path: Path) -> None:
    start = END - timedelta(days=6)
    before = progress.snapshot().get("google_analytics", 0)
    db = run(tmp_path, start_date=start, end_date=END, lookback_days=0)
    expected = expected_rows(world, start, END)
    assert progress.snapshot()["google_analytics"] - before == len(expected)
    got = loaded(db)
    assert got == expected
    assert sum(r[6] for r in got) == sum(r[6] for r in expected) > 0
    assert sum(r[11] for r in got) == sum(r[11] for r in expected) > 0
    assert report_calls(sandbox_env) == 1


def test_warehouse_types_and_keys(sandbox_env: SandboxServer, tmp_path: Path) -> None:
    db = run(tmp_path, start_date=END, end_date=END, lookback_days=0)
    with duckdb.connect(str(db), read_only=True) as con:
        types = dict(con.sql("select column_name, data_type from information_schema.columns where "
                             "table_schema = 'raw_google_analytics' and table_name = 'traffic_daily'").fetchall())
    assert {k: v for k, v in types.items() if not k.startswith("_dlt")} == {
        "property_id": "VARCHAR", "date_day": "DATE", "session_source": "VARCHAR", "session_medium": "VARCHAR",
        "session_campaign_name": "VARCHAR", "session_default_channel_group": "VARCHAR", "sessions": "BIGINT",
        "total_users": "BIGINT", "new_users": "BIGINT", "engaged_sessions": "BIGINT", "key_events": "DOUBLE",
        "total_revenue": "DECIMAL(38,6)", "currency_code": "VARCHAR", "time_zone": "VARCHAR",
    }
    schema = google_analytics_source(start_date=END, end_date=END).resources["traffic_daily"].compute_table_schema()
    assert [n for n, col in schema["columns"].items() if col.get("primary_key")] == [
        "property_id", "date_day", "session_source", "session_medium", "session_campaign_name",
        "session_default_channel_group"]
    assert [n for n, col in schema["columns"].items() if col.get("merge_key")] == ["property_id", "date_day"]
    assert schema["write_disposition"] == "merge" and schema["x-merge-strategy"] == "delete-insert"


@pytest.mark.parametrize("shape", ["one_exact_page", "several_exact_pages", "remainder"])
def test_pages_until_row_count(sandbox_env: SandboxServer, world: World, tmp_path: Path, shape: str) -> None:
    start = END - timedelta(days=3)
    expected = expected_rows(world, start, END)
    total = len(expected)
    if shape == "one_exact_page":
        page_size = total
    elif shape == "several_exact_pages":
        page_size = next((total // d for d in range(2, total) if total % d == 0), 1)
    else:
        page_size = next(p for p in range(5, total) if total % p)
    db = run(tmp_path, start_date=start, end_date=END, lookback_days=0, page_size=page_size)
    assert loaded(db) == expected
    # Reaching rowCount ends paging: an exact multiple costs no extra, empty request.
    assert report_calls(sandbox_env) == math.ceil(total / page_size)
    assert shape == "one_exact_page" or report_calls(sandbox_env) > 1


def test_pages_advance_by_offset(sandbox_env: SandboxServer, world: World) -> None:
    window = DateWindow(END - timedelta(days=2), END)
    total = len(expected_rows(world, window.start, window.end))
    creds = GoogleAnalyticsCredentials(client_id=google_oauth.CLIENT_ID, client_secret=google_oauth.CLIENT_SECRET,
                                       refresh_token=google_oauth.REFRESH_TOKEN)
    client = make_client(f"{sandbox_env.url}/v1beta", f"{sandbox_env.url}/token", creds)
    pages = list(report_pages(client, PROPERTY_ID, window, 10))
    assert [offset for offset, _ in pages] == list(range(0, total, 10))
    assert all(body["rowCount"] == total for _, body in pages)
    assert sum(len(body["rows"]) for _, body in pages) == total


def test_empty_window_loads_nothing(sandbox_env: SandboxServer, world: World, tmp_path: Path) -> None:
    # Before the world's history: GA4 leaves out rows and rowCount altogether.
    day = world.start - timedelta(days=10)
    db = run(tmp_path, start_date=day, end_date=day, lookback_days=0)
    assert report_calls(sandbox_env) == 1
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.sql("select table_name from information_schema.tables "
                         "where table_schema = 'raw_google_analytics'").fetchall()
    assert ("traffic_daily",) not in tables


def test_lookback_widens_the_window_and_replaces_days(
    sandbox_env: SandboxServer, world: World, tmp_path: Path
) -> None:
    first_end = END - timedelta(days=5)
    db = run(tmp_path, start_date=first_end, end_date=first_end, lookback_days=3)
    assert {r[1] for r in loaded(db)} == {first_end - timedelta(days=i) for i in range(3)}
    # The second run overlaps the first by one day; that day is replaced, not duplicated.
    db = run(tmp_path, end_date=END, lookback_days=5)
    assert loaded(db) == expected_rows(world, first_end - timedelta(days=2), END)


def test_rerun_is_idempotent(sandbox_env: SandboxServer, world: World, tmp_path: Path) -> None:
    start = END - timedelta(days=4)
    expected = expected_rows(world, start, END)
    assert loaded(run(tmp_path, start_date=start, end_date=END, lookback_days=0)) == expected
    assert loaded(run(tmp_path, start_date=start, end_date=END, lookback_days=0)) == expected


@pytest.mark.parametrize("vendor, fault, times", [
    ("google_analytics", "rate_limit", 2),
    ("google_analytics", "unavailable", 2),
    ("google_analytics", "expired_token", 1),
    ("google_oauth", "unavailable", 1),
])
def test_faults_are_retried(
    sandbox_env: SandboxServer, world: World, tmp_path: Path, vendor: str, fault: str, times: int
) -> None:
    sandbox_env.state.faults.push(vendor, fault, times)
    start = END - timedelta(days=2)
    db = run(tmp_path, start_date=start, end_date=END, lookback_days=0, page_size=15)
    assert loaded(db) == expected_rows(world, start, END)
    assert sandbox_env.state.faults.served().count((vendor, fault)) == times


def test_invalid_refresh_token_fails_fast_without_secrets(
    sandbox_env: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    bad_token = "1//revoked-refresh-token-do-not-print"
    monkeypatch.setenv("SOURCES__GOOGLE_ANALYTICS__CREDENTIALS__REFRESH_TOKEN", bad_token)
    began = time.monotonic()
    with caplog.at_level(logging.DEBUG), pytest.raises(PipelineStepFailed) as failed:
        run(tmp_path, start_date=END, end_date=END)
    assert time.monotonic() - began < 5
    auth = next(e for e in cause_chain(failed.value) if isinstance(e, AuthError))
    assert auth.source == "google_analytics"
    assert "invalid_grant" in str(auth)
    assert [p for _, p, _ in sandbox_env.state.requests] == ["/token"]
    for secret in (bad_token, google_oauth.CLIENT_SECRET):
        assert secret not in str(failed.value)
        assert secret not in caplog.text


def test_unknown_property_is_an_auth_error(sandbox_env: SandboxServer, tmp_path: Path) -> None:
    with pytest.raises(PipelineStepFailed) as failed:
        run(tmp_path, property_ids="properties/999999", start_date=END, end_date=END)
    auth = next(e for e in cause_chain(failed.value) if isinstance(e, AuthError))
    assert "PERMISSION_DENIED" in str(auth)
    assert report_calls(sandbox_env) == 0  # nothing was asked of the property we may read
    assert ("POST", "/v1beta/properties/999999:runReport", 403) in sandbox_env.state.requests


def test_missing_property_ids_names_the_key(sandbox_env: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCES__GOOGLE_ANALYTICS__PROPERTY_IDS")
    with pytest.raises(ConfigurationError) as missing:
        google_analytics_source()
    assert missing.value.key == "property_ids"
    assert sandbox_env.state.requests == []


@pytest.mark.parametrize("kwargs, key", [
    ({"property_ids": "GA-123"}, "property_ids"),
    ({"page_size": 250_001}, "page_size"),
    ({"lookback_days": -1}, "lookback_days"),
    ({"start_date": "2026-13-01"}, "start_date"),
    ({"base_url": "analyticsdata.googleapis.com"}, "base_url"),
    ({"contact_id_dimension": "crm_contact_id"}, "contact_id_dimension"),
    ({"contact_id_dimension": "customEvent:crm_contact_id"}, "contact_id_dimension"),
    ({"contact_id_dimension": "customUser:1st_contact"}, "contact_id_dimension"),
    ({"contact_id_dimension": "customUser:crm-contact-id"}, "contact_id_dimension"),
    ({"contact_id_dimension": "customUser:a_user_property_name_too_long"}, "contact_id_dimension"),
    ({"contact_id_dimension": "customUser:ga_contact_id"}, "contact_id_dimension"),
    ({"contact_id_dimension": "", "contact_source": "hubspot"}, "contact_id_dimension"),
    ({"contact_source": ""}, "contact_source"),
    ({"contact_source": "HubSpot CRM"}, "contact_source"),
    ({"contact_source": "google_ads"}, "contact_source"),
])
def test_bad_settings_name_the_key(sandbox_env: SandboxServer, kwargs: dict, key: str) -> None:
    with pytest.raises(ConfigurationError) as bad:
        google_analytics_source(**kwargs)
    assert bad.value.key == key


def test_missing_credential_names_the_key(sandbox_env: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCES__GOOGLE_ANALYTICS__CREDENTIALS__CLIENT_SECRET")
    with pytest.raises(ConfigurationError) as missing:
        google_analytics_source()
    assert missing.value.key == "credentials.client_secret"
    assert google_oauth.REFRESH_TOKEN not in str(missing.value)


def test_building_the_source_does_no_io(sandbox: SandboxServer) -> None:
    creds = GoogleAnalyticsCredentials(client_id="dummy", client_secret="dummy", refresh_token="dummy")
    source = google_analytics_source(property_ids=["1", "properties/2"], credentials=creds,
                                     base_url=f"{sandbox.url}/v1beta", token_url=f"{sandbox.url}/token")
    assert list(source.resources) == ["traffic_daily", "contact_sessions"]
    assert list(source.selected_resources) == ["traffic_daily"]
    assert sandbox.state.requests == []


def test_contact_sessions_load_each_known_contacts_sessions(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = END - timedelta(days=3)
    with SandboxServer(world=world, faults=Faults(), record=True) as server:
        point_sources_at(server, monkeypatch)
        # Pages short enough that (not set) rows, left out, fall on several of them.
        db = run(tmp_path, contacts=True, start_date=start, end_date=END, lookback_days=0, page_size=25)
        recorded = list(server.state.recorded)
    expected = expected_contact_rows(world, start, END)
    got = loaded_contacts(db)
    assert got == expected and len(got) > 20
    assert loaded(db) == expected_rows(world, start, END)  # traffic_daily is read as ever
    # Every id is a contact the HubSpot fake serves; each one's sessions, at least its first, are there.
    contacts = {c.contact_id: c for c in crm.contacts(world)}
    assert {r[3] for r in got} <= set(contacts)
    firsts = {c.contact_id for c in contacts.values() if start <= c.created_at.date() <= END}
    assert firsts <= {r[3] for r in got}
    bodies = [json.loads(base64.b64decode(r["body"])) for r in recorded if r["path"].endswith(":runReport")]
    by_report: dict[tuple, list[dict]] = {}
    for body in bodies:
        asked = (tuple(d["name"] for d in body["dimensions"]), tuple(m["name"] for m in body["metrics"]))
        by_report.setdefault(asked, []).append(body)
    contact_dims = ("date", CONTACT_DIMENSION, "sessionSource", "sessionMedium", "sessionCampaignName")
    assert set(by_report) == {(tuple(DIMENSIONS), METRICS), (contact_dims, ("sessions",))}
    pages = by_report[(contact_dims, ("sessions",))]
    # Paged exactly as traffic_daily: ordered by every dimension, offset by the page size.
    assert len(pages) > 1 and [b["offset"] for b in pages] == [str(25 * i) for i in range(len(pages))]
    assert all(b["orderBys"] == [{"dimension": {"dimensionName": d, "orderType": "ALPHANUMERIC"}}
                                 for d in contact_dims] for b in pages)
    assert all(b["dateRanges"] == [{"startDate": start.isoformat(), "endDate": END.isoformat()}] for b in pages)
    assert [r["path"] for r in recorded].count("/token") == 1  # both reports on one access token


def test_contact_sessions_replace_the_days_re_read(sandbox_env: SandboxServer, world: World, tmp_path: Path) -> None:
    first_end = END - timedelta(days=4)
    run(tmp_path, contacts=True, start_date=first_end - timedelta(days=1), end_date=first_end, lookback_days=0)
    db = run(tmp_path, contacts=True, start_date=first_end, end_date=END, lookback_days=0)
    assert loaded_contacts(db) == expected_contact_rows(world, first_end - timedelta(days=1), END)


def test_contact_sessions_are_off_by_default(
    sandbox_env: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCES__GOOGLE_ANALYTICS__CONTACT_ID_DIMENSION")
    monkeypatch.delenv("SOURCES__GOOGLE_ANALYTICS__CONTACT_SOURCE")
    source = google_analytics_source(start_date=END, end_date=END, lookback_days=0)
    assert list(source.selected_resources) == ["traffic_daily"]
    db = run(tmp_path, contacts=True, start_date=END, end_date=END, lookback_days=0)
    assert report_calls(sandbox_env) == 1
    assert raw_tables(db) >= {"traffic_daily"} and "contact_sessions" not in raw_tables(db)


def test_an_unregistered_custom_dimension_is_ga4s_invalid_argument(sandbox_env: SandboxServer, tmp_path: Path) -> None:
    with pytest.raises(PipelineStepFailed) as failed:
        run(tmp_path, contacts=True, contact_id_dimension="customUser:other_id", start_date=END, end_date=END,
            lookback_days=0)
    text = " | ".join(str(e) for e in cause_chain(failed.value))
    assert "INVALID_ARGUMENT" in text and "customUser:other_id is not a valid dimension" in text
    assert ("POST", REPORT_PATH, 400) in sandbox_env.state.requests


def test_not_set_contacts_are_left_out_of_a_page() -> None:
    dims = ("date", "customUser:crm_contact_id", "sessionSource", "sessionMedium", "sessionCampaignName")
    body = {
        "dimensionHeaders": [{"name": d} for d in dims],
        "metricHeaders": [{"name": "sessions", "type": "TYPE_INTEGER"}],
        "rows": [{"dimensionValues": [{"value": v} for v in values], "metricValues": [{"value": n}]}
                 for values, n in ((["20261119", "(not set)", "google", "cpc", "brand"], "90"),
                                   (["20261119", "c42", "google", "cpc", "brand"], "2"))],
        "rowCount": 2,
    }
    report = s.contact_report("customUser:crm_contact_id", "hubspot")
    assert page_to_table("42", 0, body, report).to_pylist() == [{
        "property_id": "42", "date_day": date(2026, 11, 19), "contact_source": "hubspot", "contact_id": "c42",
        "session_source": "google", "session_medium": "cpc", "session_campaign_name": "brand", "sessions": 2}]


def test_malformed_metric_is_a_record_error(sandbox_env: SandboxServer, tmp_path: Path) -> None:
    sandbox_env.state.faults.push("google_analytics", "malformed_metric")
    with pytest.raises(PipelineStepFailed) as failed:
        run(tmp_path, start_date=END, end_date=END, lookback_days=0)
    error = next(e for e in cause_chain(failed.value) if isinstance(e, RecordError))
    assert error.record == f"property {PROPERTY_ID} date {END:%Y%m%d} row 0"
    assert error.field == "metricValues.sessions"
    assert "'n/a'" in str(error)


def test_other_row_is_kept_and_reported(
    sandbox_env: SandboxServer, world: World, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox_env.state.faults.push("google_analytics", "other_row")
    with caplog.at_level(logging.WARNING):
        db = run(tmp_path, start_date=END, end_date=END, lookback_days=0)
    got = loaded(db)
    expected = expected_rows(world, END, END)
    assert any(r[2] == "(other)" for r in got)
    assert len(got) < len(expected)
    for i in (6, 7, 8, 9, 10, 11):
        assert sum(r[i] for r in got) == sum(r[i] for r in expected)
    assert "(other)" in caplog.text


def test_no_secret_reaches_the_warehouse_or_logs(
    sandbox_env: SandboxServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox_env.state.faults.push("google_analytics", "expired_token")
    with caplog.at_level(logging.DEBUG):
        db = run(tmp_path, start_date=END - timedelta(days=1), end_date=END, lookback_days=0)
    secrets = [google_oauth.CLIENT_SECRET, google_oauth.REFRESH_TOKEN, *sandbox_env.state.vendor("google_oauth").tokens]
    assert len(secrets) >= 3  # at least one access token was issued and is still valid
    dumped = []
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.sql("select table_schema, table_name from information_schema.tables").fetchall()
        for schema, table in tables:
            dumped.append(str(con.sql(f'select * from "{schema}"."{table}"').fetchall()))
    text = "\n".join(dumped)
    assert "traffic_daily" in text  # dlt's own tables were read too
    for secret in secrets:
        assert secret not in text
        assert secret not in caplog.text
    for path in (tmp_path / "pl").rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            for secret in secrets:
                assert secret.encode() not in content, path


def _page(*rows: tuple[list[str], list[str | None]]) -> dict:
    return {
        "dimensionHeaders": [{"name": d} for d in ("date", "sessionSource", "sessionMedium", "sessionCampaignName",
                                                   "sessionDefaultChannelGroup")],
        # Header order differs from the request on purpose: columns are matched by name.
        "metricHeaders": [{"name": m, "type": t} for m, t in (
            ("totalRevenue", "TYPE_CURRENCY"), ("sessions", "TYPE_INTEGER"), ("totalUsers", "TYPE_INTEGER"),
            ("newUsers", "TYPE_INTEGER"), ("engagedSessions", "TYPE_INTEGER"), ("keyEvents", "TYPE_FLOAT"))],
        "rows": [{"dimensionValues": [{"value": v} for v in dims],
                  "metricValues": [{} if v is None else {"value": v} for v in mets]} for dims, mets in rows],
        "rowCount": len(rows),
        "metadata": {"currencyCode": "EUR", "timeZone": "Europe/Berlin"},
    }


GOOD = (["20261119", "google", "cpc", "brand", "Paid Search"], ["12.5", "10", "8", "5", "6", "1.5"])


def test_page_to_table_reads_by_header_name() -> None:
    table = page_to_table("42", 0, _page(GOOD, (["20261118", "(other)", "(other)", "(other)", "(other)"],
                                                ["1e2", "3.0", "2", "1", "0", "0"])))
    assert table.to_pylist() == [
        {"property_id": "42", "date_day": date(2026, 11, 19), "session_source": "google", "session_medium": "cpc",
         "session_campaign_name": "brand", "session_default_channel_group": "Paid Search", "sessions": 10,
         "total_users": 8, "new_users": 5, "engaged_sessions": 6, "key_events": 1.5,
         "total_revenue": Decimal("12.500000"), "currency_code": "EUR", "time_zone": "Europe/Berlin"},
        {"property_id": "42", "date_day": date(2026, 11, 18), "session_source": "(other)",
         "session_medium": "(other)", "session_campaign_name": "(other)", "session_default_channel_group": "(other)",
         "sessions": 3, "total_users": 2, "new_users": 1, "engaged_sessions": 0, "key_events": 0.0,
         "total_revenue": Decimal("100.000000"), "currency_code": "EUR", "time_zone": "Europe/Berlin"},
    ]


@pytest.mark.parametrize("dims, mets, field, problem", [
    (GOOD[0], ["12.5", "ten", "8", "5", "6", "1"], "metricValues.sessions", "not a number"),
    (GOOD[0], ["12.5", "10.5", "8", "5", "6", "1"], "metricValues.sessions", "not a whole number"),
    (GOOD[0], ["12.5", "10", "8", "5", "6", "NaN"], "metricValues.keyEvents", "not a finite number"),
    (GOOD[0], ["12.5", "10", None, "5", "6", "1"], "metricValues.totalUsers", "missing"),
    (["2026-11-19", *GOOD[0][1:]], GOOD[1], "dimensionValues.date", "YYYYMMDD"),
    (["20261319", *GOOD[0][1:]], GOOD[1], "dimensionValues.date", "YYYYMMDD"),
])
def test_bad_values_name_record_and_field(dims: list, mets: list, field: str, problem: str) -> None:
    with pytest.raises(RecordError) as bad:
        page_to_table("42", 200, _page(GOOD, GOOD, (dims, mets)))
    assert bad.value.record == f"property 42 date {dims[0]} row 202"
    assert bad.value.field == field
    assert problem in str(bad.value)
