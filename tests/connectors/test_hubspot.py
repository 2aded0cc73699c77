"""The HubSpot connector against the sandbox fake over HTTP: totals come from the world."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dlt
import pytest
import requests

from connectors.common import progress
from connectors.common.errors import AuthError, ConfigurationError, RecordError, VendorError
from connectors.common.http import RetryPolicy
from connectors.hubspot import HubspotCredentials, hubspot_source
from connectors.hubspot import settings as hs_settings
from connectors.hubspot.tables import Quarantine, contacts_table, deals_table
from sandbox import google_ads
from sandbox.hubspot import ACCESS_TOKEN as TOKEN
from sandbox.server import SandboxServer
from sandbox.world import World, crm
from tests.conftest import TODAY
from tests.sandbox import catalogue

LIST_CONTACTS = ("GET", "/crm/v3/objects/contacts")
LIST_DEALS = ("GET", "/crm/v3/objects/deals")
SEARCH_CONTACTS = ("POST", "/crm/v3/objects/contacts/search")
SEARCH_DEALS = ("POST", "/crm/v3/objects/deals/search")
BATCH_ASSOCIATIONS = ("POST", "/crm/v4/associations/deals/contacts/batch/read")


@pytest.fixture
def world() -> World:
    # Thirty days keep a full load well under a second; every expectation still comes from the world.
    return World(today=TODAY, history_days=30)


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name="hubspot_test",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="raw_hubspot",
        pipelines_dir=str(tmp_path / "pl"),
    )


def rows(pipeline: dlt.Pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as client:
        return list(client.execute_sql(sql))


def requests_since(sandbox: SandboxServer, mark: int) -> list[tuple[str, str, int]]:
    return list(sandbox.state.requests[mark:])


def calls(log: list[tuple[str, str, int]], endpoint: tuple[str, str]) -> int:
    return sum(1 for method, path, _ in log if (method, path) == endpoint)


def loaded(pipeline: dlt.Pipeline, table: str) -> int:
    return pipeline.last_trace.last_normalize_info.row_counts.get(table, 0)


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


def find_cause(exc: BaseException, kind: type[BaseException]) -> BaseException:
    found = next((e for e in causes(exc) if isinstance(e, kind)), None)
    assert found is not None, f"no {kind.__name__} in {exc!r}"
    return found


def touch(sandbox: SandboxServer, object_type: str, ids: list[str], properties: dict | None = None,
          at: str | None = None) -> None:
    spec = {"object_type": object_type, "ids": ids, "properties": properties or {}}
    if at:
        spec["at"] = at
    response = requests.post(f"{sandbox.url}/_sandbox/hubspot/touch", json=spec, timeout=10)
    assert response.status_code == 200, response.text


def set_fake_limits(sandbox: SandboxServer, **limits: int | None) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/hubspot/settings", json=limits, timeout=10)
    assert response.status_code == 200, response.text


# --- full refresh --------------------------------------------------------------------------------
def test_first_run_reads_list_endpoints_with_exact_totals(sandbox_env: SandboxServer, world: World,
                                                           pipeline: dlt.Pipeline) -> None:
    contacts, deals = crm.contacts(world), crm.deals(world)
    progress.reset()

    pipeline.run(hubspot_source(page_size=50))

    log = requests_since(sandbox_env, 0)
    assert calls(log, LIST_CONTACTS) == math.ceil(len(contacts) / 50)
    assert calls(log, LIST_DEALS) == math.ceil(len(deals) / 50)
    assert calls(log, SEARCH_CONTACTS) == calls(log, SEARCH_DEALS) == calls(log, BATCH_ASSOCIATIONS) == 0
    assert progress.snapshot()["hubspot"] == len(contacts) + 2 * len(deals)

    assert rows(pipeline, "select count(*), count(distinct id) from contacts") == [(len(contacts), len(contacts))]
    assert {r[0] for r in rows(pipeline, "select id from contacts")} == {c.contact_id for c in contacts}
    got = {r[0]: r[1:] for r in rows(pipeline, """
        select id, email, firstname, lastname, createdate, lastmodifieddate, hs_analytics_source,
               hs_analytics_source_data_1, hs_analytics_source_data_2, hs_analytics_first_url, archived,
               lifecyclestage, hs_lifecyclestage_marketingqualifiedlead_date,
               hs_lifecyclestage_salesqualifiedlead_date, hs_lifecyclestage_opportunity_date,
               hs_lifecyclestage_customer_date,
               hs_latest_source, hs_latest_source_data_1, hs_latest_source_data_2, hs_latest_source_timestamp,
               hs_analytics_last_url
        from contacts""")}
    for c in contacts:
        assert got[c.contact_id] == (
            c.email, c.firstname, c.lastname, c.created_at, c.updated_at, c.analytics_source,
            c.source_data_1 or None, c.source_data_2 or None, c.first_url or None, False,
            c.lifecycle_stage, c.mql_at, c.sql_at, c.opportunity_at, c.customer_at,
            c.latest_source, c.latest_data_1 or None, c.latest_data_2 or None, c.latest_at, c.last_url,
        )
    # The world's contacts stand at every stage.
    assert {c.lifecycle_stage for c in contacts} == {
        "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"}

    assert rows(pipeline, "select count(*), sum(amount) from deals") == [
        (len(deals), sum(Decimal(d.amount) for d in deals))]
    got_deals = {r[0]: r[1:] for r in rows(pipeline, """
        select id, dealname, amount, deal_currency_code, dealstage, pipeline, createdate, closedate,
               hs_lastmodifieddate, hs_is_closed, hs_is_closed_won, archived
        from deals""")}
    for d in deals:
        assert got_deals[d.deal_id] == (
            d.name, Decimal(d.amount), d.currency_code, d.stage, "default", d.created_at, d.close_date,
            d.updated_at, d.is_closed, d.is_won, False,
        )
    assert set(rows(pipeline, "select deal_id, contact_id from deal_contacts")) == {
        (d.deal_id, d.contact_id) for d in deals}
    assert rows(pipeline, "select count(*) from quarantine") == [(0,)]


def test_raw_schema_types_and_keys(sandbox_env: SandboxServer, pipeline: dlt.Pipeline) -> None:
    pipeline.run(hubspot_source())
    columns = {
        (table, name): (col["data_type"], col.get("precision"), col.get("scale"))
        for table in ("contacts", "deals", "deal_contacts", "quarantine")
        for name, col in pipeline.default_schema.get_table_columns(table).items()
        if not name.startswith("_dlt")
    }
    assert columns[("deals", "amount")] == ("decimal", 38, 6)
    assert columns[("contacts", "lastmodifieddate")][0] == "timestamp"
    assert columns[("deals", "hs_is_closed_won")][0] == "bool"
    assert columns[("quarantine", "quarantined_at")][0] == "timestamp"
    tables = pipeline.default_schema.tables
    assert tables["deal_contacts"]["write_disposition"] == "merge"
    assert tables["deal_contacts"]["x-merge-strategy"] == "delete-insert"  # type: ignore[typeddict-item]
    deal_contact_cols = tables["deal_contacts"]["columns"]
    assert deal_contact_cols["deal_id"].get("merge_key") and deal_contact_cols["deal_id"].get("primary_key")
    assert deal_contact_cols["contact_id"].get("primary_key")
    assert tables["contacts"]["columns"]["id"].get("primary_key")
    assert tables["quarantine"]["write_disposition"] == "append"


# --- incremental --------------------------------------------------------------------------------
def test_second_run_reads_changes_through_search(sandbox_env: SandboxServer, world: World,
                                                 pipeline: dlt.Pipeline) -> None:
    contacts, deals = crm.contacts(world), crm.deals(world)
    pipeline.run(hubspot_source())
    touched_contacts = [contacts[3].contact_id, contacts[40].contact_id, contacts[-7].contact_id]
    touched_deals = [deals[2].deal_id, deals[-3].deal_id]
    touch(sandbox_env, "contacts", touched_contacts, {"firstname": "Touched"})
    touch(sandbox_env, "deals", touched_deals, {"amount": "999.99", "dealstage": "closedwon"})

    mark = len(sandbox_env.state.requests)
    pipeline.run(hubspot_source(lookback_days=1))

    log = requests_since(sandbox_env, mark)
    assert calls(log, LIST_CONTACTS) == calls(log, LIST_DEALS) == 0
    assert calls(log, SEARCH_CONTACTS) >= 1 and calls(log, SEARCH_DEALS) >= 1
    assert calls(log, BATCH_ASSOCIATIONS) >= 1  # search returns no associations
    # The lookback re-reads the last day before the cursor, plus what was touched since.
    contact_cursor = max(c.updated_at for c in contacts)
    deal_cursor = max(d.updated_at for d in deals)
    recent_contacts = {c.contact_id for c in contacts if c.updated_at >= contact_cursor - timedelta(days=1)}
    recent_deals = {d.deal_id for d in deals if d.updated_at >= deal_cursor - timedelta(days=1)}
    assert loaded(pipeline, "contacts") == len(recent_contacts | set(touched_contacts))
    assert loaded(pipeline, "deals") == len(recent_deals | set(touched_deals))
    assert loaded(pipeline, "deal_contacts") == len(recent_deals | set(touched_deals))

    assert rows(pipeline, "select count(*), count(distinct id) from contacts") == [(len(contacts), len(contacts))]
    assert sorted(r[0] for r in rows(pipeline, "select id from contacts where firstname = 'Touched'")) == sorted(
        touched_contacts)
    changed = dict(rows(pipeline, "select id, amount from deals where dealstage = 'closedwon' and amount = 999.99"))
    assert changed == {d: Decimal("999.99") for d in touched_deals}
    assert rows(pipeline, "select count(*), count(distinct id) from deals") == [(len(deals), len(deals))]
    assert set(rows(pipeline, "select deal_id, contact_id from deal_contacts")) == {
        (d.deal_id, d.contact_id) for d in deals}

    # A third run with nothing new re-reads only the lookback window and duplicates nothing.
    pipeline.run(hubspot_source(lookback_days=0))
    assert loaded(pipeline, "contacts") <= len(touched_contacts)
    assert rows(pipeline, "select count(*) from contacts") == [(len(contacts),)]


def test_full_refresh_flag_reads_lists_and_every_row(sandbox_env: SandboxServer, world: World,
                                                     pipeline: dlt.Pipeline) -> None:
    pipeline.run(hubspot_source())
    touch(sandbox_env, "contacts", [crm.contacts(world)[0].contact_id], {"lastname": "Renamed"})
    mark = len(sandbox_env.state.requests)

    pipeline.run(hubspot_source(full_refresh=True))

    log = requests_since(sandbox_env, mark)
    assert calls(log, SEARCH_CONTACTS) == calls(log, SEARCH_DEALS) == calls(log, BATCH_ASSOCIATIONS) == 0
    assert calls(log, LIST_CONTACTS) >= 1 and calls(log, LIST_DEALS) >= 1
    # Rows older than the stored cursor are not filtered out on a full refresh.
    assert loaded(pipeline, "contacts") == len(crm.contacts(world))
    assert loaded(pipeline, "deals") == len(crm.deals(world))
    assert rows(pipeline, "select count(*) from contacts where lastname = 'Renamed'") == [(1,)]


def test_search_restarts_before_the_result_ceiling(sandbox_env: SandboxServer, world: World,
                                                   pipeline: dlt.Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    # The positions below were worked out for Google's campaigns' leads alone: other platforms add more.
    with catalogue.only(google_ads.PLATFORM):
        contacts = crm.contacts(world)
        pipeline.run(hubspot_source().with_resources("contacts"))
        # Shrink the 10,000 ceiling on both sides so a few pages reach it: with 25 a page, each query
        # serves 50 results and the next one restarts from the last modified time seen.
        set_fake_limits(sandbox_env, search_ceiling=60)
        monkeypatch.setattr(hs_settings, "SEARCH_RESULT_CEILING", 60)
        cursor = max(c.updated_at for c in contacts)
        window = sorted((c for c in contacts if c.updated_at >= cursor - timedelta(days=4)),
                        key=lambda c: (c.updated_at, int(c.contact_id)))
        # Ten old records get one modified time that sorts them to positions 45-54 of the read, so the
        # first restart lands inside them: five are read before it and must be skipped after it.
        same_time = [c.contact_id for c in contacts[:10]]
        assert window[44].updated_at < window[45].updated_at
        touch(sandbox_env, "contacts", same_time, {"firstname": "Same"},
              at=(window[44].updated_at + timedelta(milliseconds=500)).isoformat())
        mark = len(sandbox_env.state.requests)

        pipeline.run(hubspot_source(lookback_days=4, search_page_size=25).with_resources("contacts"))

        log = requests_since(sandbox_env, mark)
        assert all(status == 200 for *_, status in log), log  # never paged past the ceiling, never throttled
        expected = {c.contact_id for c in window} | set(same_time)
        assert len(expected) > 2 * 60  # one query cannot serve them: at least two restarts
        assert calls(log, SEARCH_CONTACTS) >= math.ceil(len(expected) / 25)
        assert loaded(pipeline, "contacts") == len(expected)  # nothing read twice, nothing missed
        assert rows(pipeline, "select count(*), count(distinct id) from contacts") == [(len(contacts), len(contacts))]
        assert sorted(r[0] for r in rows(pipeline, "select id from contacts where firstname = 'Same'")) == sorted(
            same_time)


def test_search_ceiling_of_equal_timestamps_fails_clearly(sandbox_env: SandboxServer, world: World,
                                                          pipeline: dlt.Pipeline,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    contacts = crm.contacts(world)
    pipeline.run(hubspot_source().with_resources("contacts"))
    set_fake_limits(sandbox_env, search_ceiling=10)
    monkeypatch.setattr(hs_settings, "SEARCH_RESULT_CEILING", 10)
    touch(sandbox_env, "contacts", [c.contact_id for c in contacts[:12]],
          at=(world.now() + timedelta(seconds=1)).isoformat())

    with pytest.raises(Exception) as caught:
        pipeline.run(hubspot_source(lookback_days=0, search_page_size=5).with_resources("contacts"))

    error = find_cause(caught.value, VendorError)
    assert "more than 10 records share" in str(error) and "full_refresh" in str(error)


def test_fake_rejects_paging_past_the_ceiling(sandbox: SandboxServer) -> None:
    response = requests.post(
        f"{sandbox.url}/crm/v3/objects/contacts/search",
        json={"after": "10000", "limit": 100}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10,
    )
    assert response.status_code == 400
    assert response.json()["category"] == "VALIDATION_ERROR"


# --- faults --------------------------------------------------------------------------------------
def test_rate_limits_and_server_errors_are_retried(sandbox_env: SandboxServer, world: World,
                                                   pipeline: dlt.Pipeline, monkeypatch: pytest.MonkeyPatch,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    # Same retry rules, shorter waits: HubSpot's 429 carries no wait hint, so backoff decides.
    monkeypatch.setattr(hs_settings, "RETRY_POLICY", RetryPolicy(backoff_base=0.02))
    sandbox_env.state.faults.push("hubspot", "rate_limit", 2)
    sandbox_env.state.faults.push("hubspot", "server_error", 2)

    with caplog.at_level(logging.DEBUG):
        pipeline.run(hubspot_source())

    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == 4 and any("TEN_SECONDLY_ROLLING" in m for m in retries)
    assert TOKEN not in caplog.text
    statuses = [status for *_, status in sandbox_env.state.requests]
    assert statuses.count(429) == 2 and statuses.count(502) == 1 and statuses.count(503) == 1
    assert rows(pipeline, "select count(*) from contacts") == [(len(crm.contacts(world)),)]
    assert rows(pipeline, "select count(*), sum(amount) from deals") == [
        (len(crm.deals(world)), sum(Decimal(d.amount) for d in crm.deals(world)))]


def test_daily_limit_fails_at_once_with_a_clear_message(sandbox_env: SandboxServer, pipeline: dlt.Pipeline) -> None:
    sandbox_env.state.faults.push("hubspot", "daily_limit", 1)
    started = time.monotonic()

    with pytest.raises(Exception) as caught:
        pipeline.run(hubspot_source())

    assert time.monotonic() - started < 10
    error = find_cause(caught.value, VendorError)
    assert str(error).startswith("hubspot:") and "DAILY" in str(error) and "resets" in str(error)
    assert [s for *_, s in sandbox_env.state.requests] == [429]  # not retried


def test_rejected_token_is_an_auth_error_without_the_secret(sandbox_env: SandboxServer, pipeline: dlt.Pipeline,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    wrong = "pat-na1-11111111-2222-4333-8444-wrongtoken00"
    monkeypatch.setenv("SOURCES__HUBSPOT__CREDENTIALS__ACCESS_TOKEN", wrong)
    started = time.monotonic()

    with pytest.raises(Exception) as caught, caplog.at_level(logging.DEBUG):
        pipeline.run(hubspot_source())

    assert wrong not in caplog.text

    assert time.monotonic() - started < 10
    error = find_cause(caught.value, AuthError)
    assert "hubspot" in str(error) and "INVALID_AUTHENTICATION" in str(error)
    assert "credentials.access_token" in str(error)
    for exc in causes(caught.value):
        assert wrong not in str(exc) and TOKEN not in str(exc)
    assert [s for *_, s in sandbox_env.state.requests] == [401]  # fails fast: no retry


def test_bad_amount_is_quarantined_and_the_deal_still_loads(sandbox_env: SandboxServer, world: World,
                                                            pipeline: dlt.Pipeline,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    sandbox_env.state.faults.push("hubspot", "bad_amount", 1)

    with caplog.at_level(logging.WARNING, logger="funnelhouse.connectors.hubspot"):
        pipeline.run(hubspot_source())

    corrupted = requests.get(f"{sandbox_env.url}/_sandbox/hubspot/settings", timeout=10).json()["corrupted_deals"]
    assert len(corrupted) == 1
    bad_id = corrupted[0]
    quarantined = rows(pipeline, "select source_table, record_id, field, raw_value, error, quarantined_at "
                                 "from quarantine")
    assert len(quarantined) == 1
    assert quarantined[0][:5] == ("deals", bad_id, "amount", "12,50 EUR", "not a number")
    assert quarantined[0][5] is not None
    assert rows(pipeline, f"select amount from deals where id = '{bad_id}'") == [(None,)]
    deals = crm.deals(world)
    assert rows(pipeline, "select count(*), sum(amount) from deals") == [
        (len(deals), sum(Decimal(d.amount) for d in deals if d.deal_id != bad_id))]
    assert any(bad_id in r.getMessage() and "'amount'" in r.getMessage() for r in caplog.records)


def test_no_secret_reaches_the_warehouse_or_pipeline_files(sandbox_env: SandboxServer, pipeline: dlt.Pipeline,
                                                           tmp_path: Path) -> None:
    sandbox_env.state.faults.push("hubspot", "bad_amount", 1)
    pipeline.run(hubspot_source())

    with pipeline.sql_client() as client:
        tables = [r[0] for r in client.execute_sql(
            "select table_name from information_schema.tables where table_schema = 'raw_hubspot'")]
        assert {"contacts", "deals", "deal_contacts", "quarantine", "_dlt_loads"} <= set(tables)
        for table in tables:
            for row in client.execute_sql(f'select * from raw_hubspot."{table}"'):
                assert TOKEN not in repr(row), table
    for path in (tmp_path / "pl").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


# --- configuration ------------------------------------------------------------------------------
def test_source_is_built_without_io_from_explicit_arguments(sandbox: SandboxServer) -> None:
    source = hubspot_source(base_url="http://127.0.0.1:9", credentials=HubspotCredentials(access_token="dummy"))
    assert set(source.resources) == {"contacts", "deals", "deal_contacts", "quarantine"}
    assert source.resources["deals"].write_disposition == "merge"
    assert sandbox.state.requests == []


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"page_size": 0}, "page_size"),
    ({"page_size": 101}, "page_size"),
    ({"search_page_size": 201}, "search_page_size"),
    ({"lookback_days": -1}, "lookback_days"),
    ({"base_url": "api.hubapi.com"}, "base_url"),
    ({"credentials": HubspotCredentials(access_token="  ")}, "credentials.access_token"),
])
def test_bad_settings_name_the_key(kwargs: dict, key: str) -> None:
    explicit = {"credentials": HubspotCredentials(access_token="s3cr3t-value"), **kwargs}
    with pytest.raises(ConfigurationError) as caught:
        hubspot_source(**explicit)
    assert caught.value.key == key and f"'{key}'" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value)


def test_malformed_values_outside_amount_raise_record_errors() -> None:
    good = {"id": "7", "properties": {"createdate": "2026-01-02T03:04:05.000Z"}, "archived": False}
    assert contacts_table([good]).column("createdate").to_pylist()[0].isoformat() == "2026-01-02T03:04:05+00:00"
    with pytest.raises(RecordError) as caught:
        contacts_table([{**good, "properties": {"lastmodifieddate": "yesterday"}}])
    assert caught.value.record == "7" and caught.value.field == "lastmodifieddate"
    with pytest.raises(RecordError) as caught:
        deals_table([{"id": "9", "properties": {"hs_is_closed": "maybe"}}], Quarantine())
    assert caught.value.record == "9" and caught.value.field == "hs_is_closed"
    table = deals_table([{"id": "9", "properties": {"amount": ""}}, {"id": "10", "properties": {"amount": "1e3"}}],
                        Quarantine())
    assert table.column("amount").to_pylist() == [None, Decimal("1000.000000")]
