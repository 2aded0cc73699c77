"""simple-salesforce, the Python client most Salesforce integrations use, reads the fake and sees what
the connector loads.

simple-salesforce only speaks HTTPS (it builds every URL as https://<instance>), so the sandbox serves
TLS here with a self-signed certificate that both clients verify (REQUESTS_CA_BUNDLE). If the client
cannot parse a response or page through its locators, the fake strays from Salesforce's wire format.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import dlt
import pytest
import requests
from simple_salesforce import Salesforce

from connectors.salesforce import salesforce_source
from connectors.salesforce.settings import LEAD, OPPORTUNITY
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from sandbox.world import salesforce as sf_world
from tests.alerts.receivers import self_signed
from tests.conftest import TODAY

VERSION = "62.0"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key."""
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def world() -> World:
    return World(today=TODAY, history_days=20)


@pytest.fixture(scope="module")
def sandbox(world: World, certificate: tuple[Path, Path]) -> Iterator[SandboxServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    with SandboxServer(world=world, faults=Faults(), sources=["salesforce"], tls=context) as server:
        yield server


@pytest.fixture(scope="module")
def trusted(certificate: tuple[Path, Path]) -> Iterator[None]:
    # requests (in both clients) verifies the server against this bundle, as it would Salesforce's.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
        yield


@pytest.fixture(scope="module")
def loaded(sandbox: SandboxServer, trusted: None, tmp_path_factory: pytest.TempPathFactory) -> dlt.Pipeline:
    folder = tmp_path_factory.mktemp("official")
    pipeline = dlt.pipeline(pipeline_name="salesforce_official", destination=dlt.destinations.duckdb(
        str(folder / "w.duckdb")), dataset_name="raw_salesforce", pipelines_dir=str(folder / "pl"))
    with pytest.MonkeyPatch.context() as patch:
        for key, value in sandbox.source_settings().items():
            patch.setenv(key, value)
        pipeline.run(salesforce_source(batch_size=200))
    return pipeline


@pytest.fixture(scope="module")
def client(sandbox: SandboxServer, trusted: None) -> Salesforce:
    from sandbox import salesforce as fake

    answer = requests.post(sandbox.url + fake.TOKEN_PATH, timeout=10, data={
        "grant_type": "refresh_token", "client_id": fake.CLIENT_ID, "client_secret": fake.CLIENT_SECRET,
        "refresh_token": fake.REFRESH_TOKEN}).json()
    assert answer["instance_url"] == sandbox.url and sandbox.url.startswith("https://")
    return Salesforce(instance_url=answer["instance_url"], session_id=answer["access_token"], version=VERSION)


def query(pipeline: dlt.Pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as sql_client:
        return list(sql_client.execute_sql(sql))


def test_query_all_pages_through_locators_and_matches_the_connector(client: Salesforce, loaded: dlt.Pipeline,
                                                                    world: World) -> None:
    leads = sf_world.org(world).leads
    assert len(leads) > 2 * 200
    # Batches of 200, so query_all follows nextRecordsUrl with query_more.
    result = client.query_all(f"SELECT {', '.join(LEAD.field_names)} FROM Lead ORDER BY SystemModstamp",
                              include_deleted=True, headers={"Sforce-Query-Options": "batchSize=200"})
    assert result["totalSize"] == len(result["records"]) == len(leads)
    assert all(r["attributes"]["type"] == "Lead" for r in result["records"])
    warehouse = {r[0]: r[1:] for r in query(loaded, """
        select id, email, first_name, last_name, lead_source, status, is_converted, converted_contact_id
        from lead""")}
    assert {r["Id"]: (r["Email"], r["FirstName"], r["LastName"], r["LeadSource"], r["Status"], r["IsConverted"],
                      r["ConvertedContactId"]) for r in result["records"]} == warehouse
    usage = client.api_usage["api-usage"]
    assert usage.total == 15_000 and 0 < usage.used < usage.total


def test_deleted_opportunities_come_with_query_all_only(client: Salesforce, loaded: dlt.Pipeline) -> None:
    fields = ", ".join(OPPORTUNITY.field_names)
    everything = client.query_all(f"SELECT {fields} FROM Opportunity", include_deleted=True)["records"]
    live = client.query_all(f"SELECT {fields} FROM Opportunity")["records"]
    deleted = {r["Id"] for r in everything if r["IsDeleted"]}
    assert deleted and {r["Id"] for r in live} == {r["Id"] for r in everything} - deleted
    assert deleted == {r[0] for r in query(loaded, "select id from opportunity where is_deleted")}
    amounts = dict(query(loaded, "select id, amount from opportunity"))
    assert all(float(amounts[r["Id"]]) == r["Amount"] for r in everything)


def test_describe_matches_what_the_connector_asks_for(client: Salesforce) -> None:
    described = {f["name"] for f in client.Opportunity.describe()["fields"]}
    assert set(OPPORTUNITY.field_names) <= described
