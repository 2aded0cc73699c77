"""The Salesforce fake's wire, read with a bare HTTP client: the token answer, query batches and
locators, queryAll's deleted records, the SOQL it refuses, the limit header and the faults."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import pytest
import requests

from sandbox import salesforce as fake
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from sandbox.world import salesforce as sf_world
from tests.conftest import TODAY

WORLD = World(today=TODAY, history_days=20)
DATA = "/services/data/v62.0"
WIRE_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000")


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(world=WORLD, faults=Faults(), sources=["salesforce"]) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(server: SandboxServer) -> Iterator[SandboxServer]:
    yield server
    server.state.faults.clear()
    requests.post(f"{server.url}/_sandbox/salesforce/settings", json={"api_used": 0, "multi_currency": True},
                  timeout=10)


def login(sandbox: SandboxServer, **form: str) -> requests.Response:
    return requests.post(sandbox.url + fake.TOKEN_PATH, timeout=10, data={
        "grant_type": "refresh_token", "client_id": fake.CLIENT_ID, "client_secret": fake.CLIENT_SECRET,
        "refresh_token": fake.REFRESH_TOKEN, **form})


def session(sandbox: SandboxServer) -> dict[str, str]:
    return {"Authorization": f"Bearer {login(sandbox).json()['access_token']}"}


def soql(sandbox: SandboxServer, q: str, headers: dict[str, str], resource: str = "queryAll",
         batch: int | None = None) -> requests.Response:
    extra = {"Sforce-Query-Options": f"batchSize={batch}"} if batch else {}
    return requests.get(f"{sandbox.url}{DATA}/{resource}", params={"q": q}, headers={**headers, **extra}, timeout=10)


def test_the_token_answer_names_the_instance(sandbox: SandboxServer) -> None:
    body = login(sandbox).json()
    assert set(body) == {"access_token", "instance_url", "id", "token_type", "issued_at", "signature", "scope"}
    assert body["token_type"] == "Bearer" and body["instance_url"] == sandbox.url
    assert body["id"] == f"{sandbox.url}/id/{sf_world.ORG_ID}/{fake.USER_ID}" and body["issued_at"].isdigit()


@pytest.mark.parametrize(("form", "error"), [
    ({"refresh_token": "revoked"}, "invalid_grant"),
    ({"client_id": "someone-else"}, "invalid_client_id"),
    ({"client_secret": "wrong"}, "invalid_client"),
    ({"grant_type": "password"}, "unsupported_grant_type"),
])
def test_a_refused_grant_is_an_oauth_error(sandbox: SandboxServer, form: dict, error: str) -> None:
    response = login(sandbox, **form)
    assert response.status_code == 400
    assert response.json()["error"] == error and response.json()["error_description"]


def test_batches_and_locators(sandbox: SandboxServer) -> None:
    headers = session(sandbox)
    leads = sf_world.org(WORLD).leads
    first = soql(sandbox, "SELECT Id, Email FROM Lead", headers, batch=250)
    body = first.json()
    assert list(body) == ["totalSize", "done", "nextRecordsUrl", "records"]
    assert body["totalSize"] == len(leads) and body["done"] is False and len(body["records"]) == 250
    assert re.fullmatch(r"/services/data/v62\.0/query/01g[0-9A-Za-z]{15}-250", body["nextRecordsUrl"])
    assert body["records"][0] == {"attributes": {"type": "Lead", "url": f"{DATA}/sobjects/Lead/{leads[0].id}"},
                                  "Id": leads[0].id, "Email": leads[0].email}
    seen, pages = [r["Id"] for r in body["records"]], 1
    while not body["done"]:
        # The locator is fetched as given, without parameters.
        body = requests.get(sandbox.url + body["nextRecordsUrl"], headers=headers, timeout=10).json()
        seen += [r["Id"] for r in body["records"]]
        pages += 1
    assert "nextRecordsUrl" not in body and pages == math.ceil(len(leads) / 250)
    assert seen == [x.id for x in leads]


@pytest.mark.parametrize(("asked", "served"), [(None, 2000), (50, 200), (5000, 2000), (700, 700)])
def test_batch_size_stays_within_its_documented_range(sandbox: SandboxServer, asked: int | None, served: int) -> None:
    body = soql(sandbox, "SELECT Id FROM CampaignMember", session(sandbox), batch=asked).json()
    assert len(body["records"]) == min(served, body["totalSize"])


def test_query_all_keeps_deleted_records_and_query_does_not(sandbox: SandboxServer) -> None:
    headers = session(sandbox)
    opportunities = sf_world.org(WORLD).opportunities
    deleted = {x.id for x in opportunities if x.is_deleted}
    assert deleted
    everything = soql(sandbox, "SELECT Id, IsDeleted FROM Opportunity", headers).json()
    assert everything["totalSize"] == len(opportunities)
    assert {r["Id"] for r in everything["records"] if r["IsDeleted"]} == deleted
    live = soql(sandbox, "SELECT Id FROM Opportunity", headers, resource="query").json()
    assert live["totalSize"] == len(opportunities) - len(deleted)
    assert not deleted & {r["Id"] for r in live["records"]}


def test_records_carry_salesforce_types(sandbox: SandboxServer) -> None:
    fields = "Id, Amount, CloseDate, IsWon, CreatedDate, SystemModstamp, CurrencyIsoCode"
    opportunity = sf_world.org(WORLD).opportunities[0]
    record = soql(sandbox, f"SELECT {fields} FROM Opportunity", session(sandbox)).json()["records"][0]
    assert record["Amount"] == float(opportunity.amount) and isinstance(record["Amount"], float)
    assert record["CloseDate"] == opportunity.close_date.isoformat() and record["IsWon"] is opportunity.is_won
    assert WIRE_DATETIME.fullmatch(record["CreatedDate"]) and WIRE_DATETIME.fullmatch(record["SystemModstamp"])
    assert record["CurrencyIsoCode"] == opportunity.currency_code


def test_filter_and_order_on_systemmodstamp(sandbox: SandboxServer) -> None:
    contacts = sf_world.org(WORLD).contacts
    since = sorted(x.modstamp for x in contacts)[len(contacts) // 2]
    literal = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    body = soql(sandbox, f"select id, SYSTEMMODSTAMP from contact where SystemModstamp >= {literal} "
                         "order by SystemModstamp", session(sandbox)).json()
    expected = sorted((x for x in contacts if x.modstamp >= since), key=lambda x: x.modstamp)
    assert [r["Id"] for r in body["records"]] == [x.id for x in expected]
    # Field names come back as the API spells them, whatever the query's case.
    assert set(body["records"][0]) == {"attributes", "Id", "SystemModstamp"}


@pytest.mark.parametrize(("q", "code"), [
    ("SELECT Id FROM Lead WHERE Email = 'a@x'", "MALFORMED_QUERY"),
    ("SELECT Id FROM Lead LIMIT 5", "MALFORMED_QUERY"),
    ("SELECT COUNT() FROM Lead", "MALFORMED_QUERY"),
    ("SELECT Id FROM Lead WHERE SystemModstamp >= '2026-01-01T00:00:00Z'", "INVALID_FIELD"),
    ("SELECT Id, Shoe_Size__c FROM Lead", "INVALID_FIELD"),
    ("SELECT Id FROM Invoice__c", "INVALID_TYPE"),
])
def test_soql_it_does_not_understand_is_refused(sandbox: SandboxServer, q: str, code: str) -> None:
    response = soql(sandbox, q, session(sandbox))
    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == code and error["message"]


def test_every_data_call_reports_and_counts_api_usage(sandbox: SandboxServer) -> None:
    headers = session(sandbox)
    used = [soql(sandbox, "SELECT Id FROM Campaign", headers).headers["Sforce-Limit-Info"] for _ in range(2)]
    first = int(re.fullmatch(r"api-usage=(\d+)/15000", used[0]).group(1))
    assert used[1] == f"api-usage={first + 1}/{fake.DEFAULT_API_LIMIT}"


def test_the_daily_limit_refuses_every_call_until_it_resets(sandbox: SandboxServer) -> None:
    headers = session(sandbox)
    sandbox.state.faults.push("salesforce", "request_limit")
    for _ in range(2):
        response = soql(sandbox, "SELECT Id FROM Campaign", headers)
        assert response.status_code == 403
        assert response.json() == [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
        assert response.headers["Sforce-Limit-Info"] == f"api-usage={fake.DEFAULT_API_LIMIT}/{fake.DEFAULT_API_LIMIT}"
    requests.post(f"{sandbox.url}/_sandbox/salesforce/settings", json={"api_used": 0}, timeout=10)
    assert soql(sandbox, "SELECT Id FROM Campaign", headers).status_code == 200


def test_an_expired_session_stays_expired(sandbox: SandboxServer) -> None:
    headers = session(sandbox)
    sandbox.state.faults.push("salesforce", "expired_session")
    for _ in range(2):
        response = soql(sandbox, "SELECT Id FROM Campaign", headers)
        assert response.status_code == 401
        assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
    assert soql(sandbox, "SELECT Id FROM Campaign", session(sandbox)).status_code == 200


def test_an_unknown_locator_is_refused(sandbox: SandboxServer) -> None:
    response = requests.get(f"{sandbox.url}{DATA}/query/01g000000000999AAA-2000", headers=session(sandbox),
                            timeout=10)
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


def test_describe_lists_currency_only_in_a_multi_currency_org(sandbox: SandboxServer) -> None:
    def fields() -> set[str]:
        body = requests.get(f"{sandbox.url}{DATA}/sobjects/Opportunity/describe", headers=session(sandbox),
                            timeout=10).json()
        return {f["name"] for f in body["fields"]}

    assert "CurrencyIsoCode" in fields()
    requests.post(f"{sandbox.url}/_sandbox/salesforce/settings", json={"multi_currency": False}, timeout=10)
    assert "CurrencyIsoCode" not in fields() and "Amount" in fields()
    response = soql(sandbox, "SELECT Id, CurrencyIsoCode FROM Opportunity", session(sandbox))
    assert response.status_code == 400 and response.json()[0]["errorCode"] == "INVALID_FIELD"
    org = soql(sandbox, "SELECT DefaultCurrencyIsoCode FROM Organization", session(sandbox), resource="query")
    assert [r["DefaultCurrencyIsoCode"] for r in org.json()["records"]] == [sf_world.ORG_CURRENCY]


def test_expected_totals_are_the_world_records() -> None:
    org = sf_world.org(WORLD)
    totals = fake.expected_totals(WORLD, TODAY, TODAY)
    assert totals["lead"]["rows"] == len(org.leads) and totals["campaign_member"]["rows"] == len(org.members)
    assert totals["opportunity"]["sums"]["amount"] == sum(x.amount for x in org.opportunities)
    # Paid campaigns share Campaigns by utm_campaign; every converted lead is one contact.
    assert [c.name for c in org.campaigns] == list(dict.fromkeys(c.name for c in org.campaigns))
    assert {x.converted_contact_id for x in org.leads if x.is_converted} == {x.id for x in org.contacts}
    assert {x.opportunity_id for x in org.roles} == {x.id for x in org.opportunities}
