"""HubSpot's own Python client (hubspot-api-client) reads the fake, and sees what the connector loads.

If the official client cannot parse a response, the fake strays from HubSpot's wire format.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dlt
import pytest
from hubspot import HubSpot
from hubspot.crm.associations.v4 import BatchInputPublicFetchAssociationsBatchRequest
from hubspot.crm.contacts import PublicObjectSearchRequest

from connectors.hubspot import hubspot_source
from connectors.hubspot.helpers import HubspotApi
from connectors.hubspot.settings import CONTACT_PROPERTIES, DEAL_PROPERTIES
from sandbox.hubspot import ACCESS_TOKEN as TOKEN
from sandbox.server import SandboxServer
from sandbox.world import World, crm
from tests.conftest import TODAY

TEXT_PROPERTIES = ("email", "firstname", "lastname", "hs_analytics_source", "hs_analytics_source_data_1",
                   "hs_analytics_source_data_2", "hs_analytics_first_url")


@pytest.fixture
def world() -> World:
    return World(today=TODAY, history_days=20)


@pytest.fixture
def loaded(sandbox_env: SandboxServer, tmp_path: Path) -> dlt.Pipeline:
    pipeline = dlt.pipeline(
        pipeline_name="hubspot_official",
        destination=dlt.destinations.duckdb(str(tmp_path / "w.duckdb")),
        dataset_name="raw_hubspot",
        pipelines_dir=str(tmp_path / "pl"),
    )
    pipeline.run(hubspot_source())
    return pipeline


@pytest.fixture
def client(sandbox: SandboxServer) -> HubSpot:
    # `host` is a Configuration attribute every generated API client takes from the HubSpot config.
    return HubSpot(access_token=TOKEN, host=sandbox.url)


def query(pipeline: dlt.Pipeline, sql: str) -> list[tuple]:
    with pipeline.sql_client() as sql_client:
        return list(sql_client.execute_sql(sql))


def parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_contact_pages_match_the_connector(client: HubSpot, loaded: dlt.Pipeline, world: World) -> None:
    seen, after, pages = [], None, 0
    while True:
        page = client.crm.contacts.basic_api.get_page(limit=100, after=after, properties=list(CONTACT_PROPERTIES))
        seen.extend(page.results)
        pages += 1
        if page.paging is None or page.paging.next is None:
            break
        after = page.paging.next.after
    assert pages == -(-len(crm.contacts(world)) // 100)

    warehouse = {r[0]: r[1:] for r in query(loaded, f"""
        select id, {", ".join(TEXT_PROPERTIES)}, createdate, lastmodifieddate, archived from contacts""")}
    assert [c.id for c in seen] == sorted(warehouse, key=int)
    for contact in seen:
        props = contact.properties
        assert props["hs_object_id"] == contact.id  # always returned
        expected = warehouse[contact.id]
        assert tuple(props[name] for name in TEXT_PROPERTIES) == expected[:len(TEXT_PROPERTIES)]
        assert (parse(props["createdate"]), parse(props["lastmodifieddate"]), contact.archived) == expected[-3:]
        assert (contact.created_at, contact.updated_at) == expected[-3:-1]


def test_search_matches_the_connector(client: HubSpot, loaded: dlt.Pipeline, world: World,
                                      sandbox: SandboxServer) -> None:
    since = max(c.updated_at for c in crm.contacts(world)) - timedelta(days=2)
    since_ms = str(int(since.timestamp() * 1000))
    found, after = [], None
    while True:
        request = PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE", "value": since_ms}]}],
            sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
            properties=["email"], limit=50, after=after,
        )
        page = client.crm.contacts.search_api.do_search(public_object_search_request=request)
        found.extend(page.results)
        if page.paging is None or page.paging.next is None:
            break
        after = page.paging.next.after
    assert page.total == len(found) > 50
    assert all(set(r.properties) == {"email", "createdate", "hs_object_id", "lastmodifieddate"} for r in found)

    connector_ids = [str(r["id"]) for p in HubspotApi(sandbox.url, TOKEN).search_modified_since(
        "contacts", since, CONTACT_PROPERTIES, 200) for r in p]
    assert [r.id for r in found] == connector_ids
    in_warehouse = {r[0] for r in query(loaded, f"select id from contacts where lastmodifieddate >= '{since.isoformat()}'")}
    assert set(connector_ids) == in_warehouse
    emails = dict(query(loaded, "select id, email from contacts"))
    assert all(emails[r.id] == r.properties["email"] for r in found)


def test_deals_with_associations_match_the_connector(client: HubSpot, loaded: dlt.Pipeline, world: World) -> None:
    deals = client.crm.deals.get_all(properties=list(DEAL_PROPERTIES), associations=["contacts"])
    assert len(deals) == len(crm.deals(world))

    warehouse = {r[0]: r[1:] for r in query(loaded, """
        select id, amount, dealname, dealstage, hs_is_closed, hs_is_closed_won, closedate from deals""")}
    for deal in deals:
        props = deal.properties
        amount, name, stage, closed, won, close_date = warehouse[deal.id]
        assert Decimal(props["amount"]) == amount  # the wire sends amounts as strings
        assert (props["dealname"], props["dealstage"]) == (name, stage)
        assert (props["hs_is_closed"], props["hs_is_closed_won"]) == (str(closed).lower(), str(won).lower())
        assert parse(props["closedate"]) == close_date
    listed = {(d.id, a.id) for d in deals for a in d.associations["contacts"].results}
    assert all(a.type == "deal_to_contact" for d in deals for a in d.associations["contacts"].results)
    assert listed == set(query(loaded, "select deal_id, contact_id from deal_contacts"))

    some = sorted(warehouse)[:25]
    batch = client.crm.associations.v4.batch_api.get_page(
        "deals", "contacts",
        batch_input_public_fetch_associations_batch_request=BatchInputPublicFetchAssociationsBatchRequest(
            inputs=[{"id": deal_id} for deal_id in some]),
    )
    assert batch.status == "COMPLETE" and batch.completed_at <= datetime.now(UTC)
    read = {(r._from.id, str(to.to_object_id)) for r in batch.results for to in r.to}
    assert read == {pair for pair in listed if pair[0] in some}
    assert all(t.type_id == 3 and t.category == "HUBSPOT_DEFINED" for r in batch.results for to in r.to
               for t in to.association_types)
