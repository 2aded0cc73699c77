"""The Salesforce connector against the sandbox fake over HTTP: what lands comes from the world."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dlt
import pytest
import requests

from connectors.common import progress
from connectors.common.errors import AuthError, ConfigurationError, RecordError, VendorError
from connectors.common.http import RetryPolicy
from connectors.salesforce import SalesforceCredentials, salesforce_source
from connectors.salesforce import settings as sf_settings
from connectors.salesforce.settings import LEAD
from connectors.salesforce.tables import records_table
from sandbox import salesforce as fake
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from sandbox.world import salesforce as sf_world
from tests.conftest import TODAY

TOKEN = ("POST", fake.TOKEN_PATH)
# A fault name no handler knows: it lets the requests before a queued fault pass untouched.
PASS = "none"


@pytest.fixture
def world() -> World:
    # Thirty days: a thousand leads, enough for several batches of 200; every expectation from the world.
    return World(today=TODAY, history_days=30)


@pytest.fixture
def sandbox(world: World) -> Iterator[SandboxServer]:
    with SandboxServer(world=world, faults=Faults(), record=True, sources=["salesforce"]) as server:
        yield server


@pytest.fixture
def org(world: World) -> sf_world.Org:
    return sf_world.org(world)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Same retry rules, shorter waits.
    monkeypatch.setattr(sf_settings, "RETRY_POLICY", RetryPolicy(backoff_base=0.01))


@pytest.fixture
def pipeline(tmp_path: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name="salesforce_test",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="raw_salesforce",
        pipelines_dir=str(tmp_path / "pl"),
    )


def rows(pipeline: dlt.Pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as client:
        return list(client.execute_sql(sql))


def loaded(pipeline: dlt.Pipeline, table: str) -> int:
    return pipeline.last_trace.last_normalize_info.row_counts.get(table, 0)


def recorded(sandbox: SandboxServer, mark: int = 0) -> list[dict]:
    return list(sandbox.state.recorded[mark:])


def soql_of(entry: dict) -> str | None:
    return (parse_qs(urlsplit(entry["path"]).query).get("q") or [None])[0]


def queries_of(log: list[dict], object_name: str) -> list[dict]:
    return [e for e in log if (soql_of(e) or "").split(" FROM ")[-1].split(" ")[0] == object_name]


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


def touch(sandbox: SandboxServer, object_name: str, ids: list[str], fields: dict | None = None,
          delete: bool = False) -> None:
    response = requests.post(f"{sandbox.url}/_sandbox/salesforce/touch", timeout=10,
                             json={"object": object_name, "ids": ids, "fields": fields or {}, "delete": delete})
    assert response.status_code == 200, response.text


def fake_settings(sandbox: SandboxServer, **values: object) -> dict:
    response = requests.post(f"{sandbox.url}/_sandbox/salesforce/settings", json=values, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def opportunity_row(x: sf_world.Opportunity) -> tuple:
    return (x.name, x.account_id, x.amount, x.currency_code, x.stage, x.is_closed, x.is_won, x.close_date,
            x.campaign_id, x.lead_source, x.created_at, x.modstamp, x.is_deleted)


# --- full read -----------------------------------------------------------------------------------
def test_first_run_reads_every_record_of_every_object(sandbox_env: SandboxServer, org: sf_world.Org,
                                                       pipeline: dlt.Pipeline) -> None:
    progress.reset()

    pipeline.run(salesforce_source())

    counts = {"opportunity": len(org.opportunities), "lead": len(org.leads), "contact": len(org.contacts),
              "campaign": len(org.campaigns), "campaign_member": len(org.members),
              "opportunity_contact_role": len(org.roles)}
    for table, count in counts.items():
        assert rows(pipeline, f"select count(*), count(distinct id) from {table}") == [(count, count)], table
    assert progress.snapshot()["salesforce"] == sum(counts.values())
    assert rows(pipeline, "select count(*) from quarantine") == [(0,)]

    got = {r[0]: r[1:] for r in rows(pipeline, """
        select id, name, account_id, amount, currency_iso_code, stage_name, is_closed, is_won, close_date,
               campaign_id, lead_source, created_date, system_modstamp, is_deleted from opportunity""")}
    assert got == {x.id: opportunity_row(x) for x in org.opportunities}
    # Deleted opportunities come through queryAll, flagged, with their contact roles.
    deleted = {x.id for x in org.opportunities if x.is_deleted}
    assert deleted and set(dict(rows(pipeline, "select id, is_deleted from opportunity where is_deleted"))) == deleted
    assert {r[0] for r in rows(pipeline, "select opportunity_id from opportunity_contact_role where is_deleted")} \
        == deleted
    assert len({x.currency_code for x in org.opportunities}) > 1

    leads = {r[0]: r[1:] for r in rows(pipeline, """
        select id, email, first_name, last_name, lead_source, status, is_converted, converted_contact_id,
               created_date, system_modstamp, is_deleted from lead""")}
    assert leads == {x.id: (x.email, x.first_name, x.last_name, x.lead_source, x.status, x.is_converted,
                            x.converted_contact_id, x.created_at, x.modstamp, False) for x in org.leads}
    members = {r[0]: r[1:] for r in rows(pipeline, """
        select id, campaign_id, lead_id, contact_id, status, has_responded, first_responded_date, created_date,
               system_modstamp from campaign_member""")}
    assert members == {x.id: (x.campaign_id, x.lead_id, x.contact_id, x.status, x.has_responded,
                              x.first_responded_date, x.created_at, x.modstamp) for x in org.members}
    assert set(rows(pipeline, "select id, name, start_date, end_date from campaign")) == {
        (x.id, x.name, x.start_date, x.end_date) for x in org.campaigns}
    assert set(rows(pipeline, "select id, opportunity_id, contact_id, role, is_primary from opportunity_contact_role"
                    )) == {(x.id, x.opportunity_id, x.contact_id, x.role, x.is_primary) for x in org.roles}

    # One session, one describe (is the org multi-currency?), and one queryAll per object, ordered on
    # SystemModstamp with no filter: a first run reads everything.
    log = recorded(sandbox_env)
    assert [(e["method"], urlsplit(e["path"]).path) for e in log].count(TOKEN) == 1
    assert [urlsplit(e["path"]).path for e in log if "describe" in e["path"]] == [
        "/services/data/v62.0/sobjects/Opportunity/describe"]
    queries = [soql_of(e) for e in log if soql_of(e)]
    assert sorted(queries) == sorted(
        f"SELECT {', '.join(o.field_names)} FROM {o.name} ORDER BY SystemModstamp" for o in sf_settings.OBJECTS)
    assert all(urlsplit(e["path"]).path == "/services/data/v62.0/queryAll" for e in log if soql_of(e))
    assert all(e["headers"].get("sforce-query-options") == "batchSize=2000" for e in log if e["vendor"] and
               e["path"] != fake.TOKEN_PATH)


def test_raw_schema_types_and_keys(sandbox_env: SandboxServer, pipeline: dlt.Pipeline) -> None:
    pipeline.run(salesforce_source())
    columns = {
        (table, name): (col["data_type"], col.get("precision"), col.get("scale"))
        for table in ("opportunity", "lead", "campaign_member", "quarantine")
        for name, col in pipeline.default_schema.get_table_columns(table).items()
        if not name.startswith("_dlt")
    }
    assert columns[("opportunity", "amount")] == ("decimal", 38, 6)
    assert columns[("opportunity", "close_date")][0] == "date"
    assert columns[("lead", "system_modstamp")][0] == "timestamp"
    assert columns[("campaign_member", "has_responded")][0] == "bool"
    tables = pipeline.default_schema.tables
    assert all(tables[t]["write_disposition"] == "merge" and tables[t]["columns"]["id"].get("primary_key")
               for t in ("opportunity", "lead", "contact", "campaign", "campaign_member", "opportunity_contact_role"))
    assert tables["quarantine"]["write_disposition"] == "append"


def test_batches_follow_next_records_url(sandbox_env: SandboxServer, org: sf_world.Org,
                                         pipeline: dlt.Pipeline) -> None:
    pipeline.run(salesforce_source(batch_size=200).with_resources("lead", "campaign_member"))

    log = recorded(sandbox_env)
    for object_name, count in (("Lead", len(org.leads)), ("CampaignMember", len(org.members))):
        first = queries_of(log, object_name)
        assert len(first) == 1 and first[0]["headers"]["sforce-query-options"] == "batchSize=200"
        assert count > 3 * 200
    more = [urlsplit(e["path"]).path for e in log if "/query/01g" in e["path"]]
    # Each object: the query, then one locator per further batch of 200, fetched without parameters.
    assert len(more) == math.ceil(len(org.leads) / 200) - 1 + math.ceil(len(org.members) / 200) - 1
    assert all(e["path"] == urlsplit(e["path"]).path for e in log if "/query/01g" in e["path"])
    assert rows(pipeline, "select count(*), count(distinct id) from lead") == [(len(org.leads), len(org.leads))]
    assert rows(pipeline, "select count(*), count(distinct id) from campaign_member") == [
        (len(org.members), len(org.members))]


# --- incremental --------------------------------------------------------------------------------
def test_second_run_reads_changes_since_the_cursor_and_deletes_arrive_flagged(
        sandbox_env: SandboxServer, org: sf_world.Org, pipeline: dlt.Pipeline) -> None:
    pipeline.run(salesforce_source())
    live = [x for x in org.opportunities if not x.is_deleted]
    renamed, removed = [live[3].id, live[-5].id], live[10].id
    touch(sandbox_env, "Opportunity", renamed, {"StageName": "Closed Won", "Amount": 999.99})
    touch(sandbox_env, "Opportunity", [removed], delete=True)
    gone_lead = org.leads[7].id
    touch(sandbox_env, "Lead", [gone_lead], delete=True)
    mark = len(sandbox_env.state.recorded)

    pipeline.run(salesforce_source(lookback_days=1))

    log = recorded(sandbox_env, mark)
    cursor = max(x.modstamp for x in org.opportunities)
    since = (cursor - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    [query] = queries_of(log, "Opportunity")
    assert soql_of(query).endswith(f" FROM Opportunity WHERE SystemModstamp >= {since} ORDER BY SystemModstamp")
    recent = {x.id for x in org.opportunities if x.modstamp >= cursor - timedelta(days=1)}
    assert loaded(pipeline, "opportunity") == len(recent | {*renamed, removed})
    lead_cursor = max(x.modstamp for x in org.leads)
    assert loaded(pipeline, "lead") == len({x.id for x in org.leads if x.modstamp >= lead_cursor - timedelta(days=1)}
                                           | {gone_lead})

    assert rows(pipeline, "select count(*), count(distinct id) from opportunity") == [
        (len(org.opportunities), len(org.opportunities))]
    assert dict(rows(pipeline, "select id, amount from opportunity where stage_name = 'Closed Won' "
                               "and amount = 999.99")) == {i: Decimal("999.99") for i in renamed}
    deleted = {r[0] for r in rows(pipeline, "select id from opportunity where is_deleted")}
    assert deleted == {x.id for x in org.opportunities if x.is_deleted} | {removed}
    assert rows(pipeline, f"select is_deleted from lead where id = '{gone_lead}'") == [(True,)]
    assert rows(pipeline, "select count(*) from lead") == [(len(org.leads),)]

    # Nothing new and no lookback: the query asks from the cursor's second (the three touched
    # opportunities), and only the last touched one, at the cursor itself, is loaded again.
    mark = len(sandbox_env.state.recorded)
    pipeline.run(salesforce_source(lookback_days=0))
    [query] = queries_of(recorded(sandbox_env, mark), "Opportunity")
    assert f"WHERE SystemModstamp >= {sandbox_env.state.world.now():%Y-%m-%dT%H:%M:%SZ} " in soql_of(query)
    assert loaded(pipeline, "opportunity") == 1 and loaded(pipeline, "lead") == 1
    assert rows(pipeline, "select count(*) from opportunity") == [(len(org.opportunities),)]


def test_full_refresh_reads_every_record_again(sandbox_env: SandboxServer, org: sf_world.Org,
                                               pipeline: dlt.Pipeline) -> None:
    pipeline.run(salesforce_source())
    mark = len(sandbox_env.state.recorded)

    pipeline.run(salesforce_source(full_refresh=True))

    assert all(" WHERE " not in soql_of(e) for e in recorded(sandbox_env, mark) if soql_of(e))
    assert loaded(pipeline, "lead") == len(org.leads)
    assert loaded(pipeline, "opportunity") == len(org.opportunities)
    assert rows(pipeline, "select count(*) from lead") == [(len(org.leads),)]


def test_an_org_without_multi_currency_gets_its_default_currency(sandbox_env: SandboxServer, org: sf_world.Org,
                                                                 pipeline: dlt.Pipeline) -> None:
    fake_settings(sandbox_env, multi_currency=False)

    pipeline.run(salesforce_source().with_resources("opportunity"))

    log = recorded(sandbox_env)
    [query] = queries_of(log, "Opportunity")
    assert "CurrencyIsoCode" not in soql_of(query)
    assert [soql_of(e) for e in queries_of(log, "Organization")] == ["SELECT DefaultCurrencyIsoCode FROM Organization"]
    assert rows(pipeline, "select currency_iso_code, count(*) from opportunity group by 1") == [
        (sf_world.ORG_CURRENCY, len(org.opportunities))]


# --- session expiry -----------------------------------------------------------------------------
def test_an_expired_session_mid_query_renews_once_and_loses_or_repeats_no_batch(
        sandbox_env: SandboxServer, org: sf_world.Org, pipeline: dlt.Pipeline) -> None:
    # The token, the query and its first locator pass; the session expires on the second locator.
    sandbox_env.state.faults.push("salesforce", PASS, 3)
    sandbox_env.state.faults.push("salesforce", "expired_session")

    pipeline.run(salesforce_source(batch_size=200).with_resources("lead"))

    log = [(e["method"], urlsplit(e["path"]).path, e["status"]) for e in recorded(sandbox_env)]
    locators = [path for _, path, _ in log if "/query/01g" in path]
    assert log[:6] == [
        (*TOKEN, 200), ("GET", "/services/data/v62.0/queryAll", 200), ("GET", locators[0], 200),
        ("GET", locators[1], 401), (*TOKEN, 200), ("GET", locators[1], 200),
    ]
    assert [m for m, p, _ in log].count("POST") == 2
    assert len(locators) == len(set(locators)) + 1 == math.ceil(len(org.leads) / 200)
    assert loaded(pipeline, "lead") == len(org.leads)
    assert set(rows(pipeline, "select id from lead")) == {(x.id,) for x in org.leads}
    assert rows(pipeline, "select count(*), count(distinct id) from lead") == [(len(org.leads), len(org.leads))]


def test_a_session_refused_twice_fails_clearly(sandbox_env: SandboxServer, pipeline: dlt.Pipeline) -> None:
    # The query expires, the renewal passes, and the new session is refused as well.
    sandbox_env.state.faults.push("salesforce", PASS, 1)
    for fault in ("expired_session", PASS, "expired_session"):
        sandbox_env.state.faults.push("salesforce", fault)

    with pytest.raises(Exception) as caught:
        pipeline.run(salesforce_source().with_resources("lead"))

    error = find_cause(caught.value, AuthError)
    assert str(error).startswith("salesforce: Lead: ") and "INVALID_SESSION_ID" in str(error)
    assert [e["status"] for e in recorded(sandbox_env)] == [200, 401, 200, 401]


# --- limits and faults --------------------------------------------------------------------------
def test_request_limit_stops_the_run_and_the_cursor_stays(sandbox_env: SandboxServer, org: sf_world.Org,
                                                          pipeline: dlt.Pipeline) -> None:
    pipeline.run(salesforce_source(lookback_days=0))
    state_before = pipeline.state["sources"]["salesforce"]["resources"]
    touched = [org.leads[1].id, org.leads[2].id]
    touch(sandbox_env, "Lead", touched, {"Status": "Working - Contacted"})
    mark = len(sandbox_env.state.recorded)
    # A normal incremental run is a token, a describe and six queries: the limit runs out on the last.
    sandbox_env.state.faults.push("salesforce", PASS, 7)
    sandbox_env.state.faults.push("salesforce", "request_limit")
    started = time.monotonic()

    with pytest.raises(Exception) as caught:
        pipeline.run(salesforce_source(lookback_days=0))

    assert time.monotonic() - started < 10
    error = find_cause(caught.value, VendorError)
    assert str(error).startswith("salesforce: ") and "REQUEST_LIMIT_EXCEEDED" in str(error)
    assert f"daily API request limit ({fake.DEFAULT_API_LIMIT} of {fake.DEFAULT_API_LIMIT} used)" in str(error)
    statuses = [e["status"] for e in recorded(sandbox_env, mark)]
    assert statuses.count(403) == 1 and statuses[-1] == 403  # not retried
    assert pipeline.state["sources"]["salesforce"]["resources"] == state_before

    fake_settings(sandbox_env, api_used=0)  # a day later
    pipeline.run(salesforce_source(lookback_days=0))
    assert set(rows(pipeline, "select id from lead where status = 'Working - Contacted' and id in "
                              f"('{touched[0]}', '{touched[1]}')")) == {(i,) for i in touched}
    assert loaded(pipeline, "lead") == len(touched)


def test_unavailable_server_is_retried(sandbox_env: SandboxServer, org: sf_world.Org, pipeline: dlt.Pipeline,
                                       caplog: pytest.LogCaptureFixture) -> None:
    sandbox_env.state.faults.push("salesforce", "server_unavailable", 3)

    with caplog.at_level(logging.WARNING):
        pipeline.run(salesforce_source())

    assert sum("retrying" in r.getMessage() for r in caplog.records) == 3
    assert [e["status"] for e in recorded(sandbox_env)].count(503) == 3
    assert rows(pipeline, "select count(*), sum(amount) from opportunity") == [
        (len(org.opportunities), sum(x.amount for x in org.opportunities))]


@pytest.mark.parametrize(("setting", "value", "oauth_error"), [
    ("credentials.refresh_token", "5Aep861not.the.right.refresh.token", "invalid_grant"),
    ("credentials.client_secret", "not-the-consumer-secret", "invalid_client"),
])
def test_a_refused_grant_fails_at_once_naming_the_setting(sandbox_env: SandboxServer, pipeline: dlt.Pipeline,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          caplog: pytest.LogCaptureFixture,
                                                          setting: str, value: str, oauth_error: str) -> None:
    monkeypatch.setenv(f"SOURCES__SALESFORCE__{setting.replace('.', '__').upper()}", value)

    with pytest.raises(Exception) as caught, caplog.at_level(logging.DEBUG):
        pipeline.run(salesforce_source())

    error = find_cause(caught.value, ConfigurationError)
    assert error.key == setting and oauth_error in str(error) and str(error).startswith("salesforce: ")
    for secret in (value, fake.CLIENT_SECRET, fake.REFRESH_TOKEN):
        assert secret not in caplog.text
        assert all(secret not in str(exc) for exc in causes(caught.value))
    assert [(e["method"], e["path"], e["status"]) for e in recorded(sandbox_env)] == [(*TOKEN, 400)]


def test_a_bad_amount_is_quarantined_and_the_opportunity_still_loads(sandbox_env: SandboxServer,
                                                                     org: sf_world.Org, pipeline: dlt.Pipeline,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    sandbox_env.state.faults.push("salesforce", "bad_amount")

    with caplog.at_level(logging.WARNING, logger="funnelhouse.connectors.salesforce"):
        pipeline.run(salesforce_source())

    [bad_id] = fake_settings(sandbox_env)["corrupted"]
    quarantined = rows(pipeline, "select source_table, record_id, field, raw_value, error, quarantined_at "
                                 "from quarantine")
    assert len(quarantined) == 1 and quarantined[0][5] is not None
    assert quarantined[0][:5] == ("opportunity", bad_id, "Amount", fake.BAD_AMOUNT, "not a number")
    assert rows(pipeline, f"select amount from opportunity where id = '{bad_id}'") == [(None,)]
    assert rows(pipeline, "select count(*), sum(amount) from opportunity") == [
        (len(org.opportunities), sum(x.amount for x in org.opportunities if x.id != bad_id))]
    assert any(bad_id in r.getMessage() and "'Amount'" in r.getMessage() for r in caplog.records)


def test_no_secret_reaches_the_warehouse_or_pipeline_files(sandbox_env: SandboxServer, pipeline: dlt.Pipeline,
                                                           tmp_path: Path) -> None:
    pipeline.run(salesforce_source())
    issued = sorted(fake.sf_state(sandbox_env.state).tokens)
    assert issued
    secrets = [fake.CLIENT_SECRET, fake.REFRESH_TOKEN, *issued]
    with pipeline.sql_client() as client:
        tables = [r[0] for r in client.execute_sql(
            "select table_name from information_schema.tables where table_schema = 'raw_salesforce'")]
        assert {"opportunity", "lead", "quarantine", "_dlt_loads"} <= set(tables)
        for table in tables:
            for row in client.execute_sql(f'select * from raw_salesforce."{table}"'):
                assert not any(s in repr(row) for s in secrets), table
    for path in (tmp_path / "pl").rglob("*"):
        if path.is_file():
            assert not any(s.encode() in path.read_bytes() for s in secrets), path


# --- configuration and records ------------------------------------------------------------------
def test_source_is_built_without_io(sandbox: SandboxServer) -> None:
    source = salesforce_source(base_url="http://127.0.0.1:9", credentials=SalesforceCredentials(
        client_id="id", client_secret="secret", refresh_token="refresh"))
    assert set(source.resources) == {t.name for t in sf_settings.TABLES}
    assert sandbox.state.requests == []


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"batch_size": 199}, "batch_size"),
    ({"batch_size": 2001}, "batch_size"),
    ({"api_version": "latest"}, "api_version"),
    ({"lookback_days": -1}, "lookback_days"),
    ({"base_url": "login.salesforce.com"}, "base_url"),
    ({"credentials": SalesforceCredentials(client_id="id", client_secret=" ", refresh_token="r")},
     "credentials.client_secret"),
])
def test_bad_settings_name_the_key(kwargs: dict, key: str) -> None:
    explicit = {"credentials": SalesforceCredentials(client_id="id", client_secret="s3cr3t-value",
                                                     refresh_token="r3fresh"), **kwargs}
    with pytest.raises(ConfigurationError) as caught:
        salesforce_source(**explicit)
    assert caught.value.key == key and f"'{key}'" in str(caught.value)
    assert "s3cr3t-value" not in str(caught.value) and "r3fresh" not in str(caught.value)


def test_malformed_values_raise_record_errors_naming_object_record_and_field() -> None:
    good = {"attributes": {"type": "Lead"}, "Id": "00Q1", "IsConverted": False,
            "CreatedDate": "2026-01-02T03:04:05.000+0000", "SystemModstamp": "2026-01-02T03:04:05.250+0000"}
    table = records_table(LEAD, [good])
    assert table.column("system_modstamp").to_pylist()[0].isoformat() == "2026-01-02T03:04:05.250000+00:00"
    with pytest.raises(RecordError) as caught:
        records_table(LEAD, [good, {**good, "Id": "00Q2", "SystemModstamp": "yesterday"}])
    assert (caught.value.record, caught.value.field) == ("Lead 00Q2", "SystemModstamp")
    with pytest.raises(RecordError) as caught:
        records_table(LEAD, [{**good, "IsConverted": "maybe"}])
    assert (caught.value.record, caught.value.field) == ("Lead 00Q1", "IsConverted")
