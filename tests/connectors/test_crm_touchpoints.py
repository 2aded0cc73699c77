"""CRM touches loaded from the sandbox over HTTP and staged, on DuckDB and PostgreSQL: HubSpot's
first and latest touch and Salesforce's campaign memberships are the world's, and the attribution
mart credits every won deal in full."""

from __future__ import annotations

from collections import Counter
from datetime import UTC
from pathlib import Path

import dlt
import pytest

from connectors.hubspot import hubspot_source
from connectors.salesforce import salesforce_source
from sandbox.server import SandboxServer
from sandbox.world import World, crm
from sandbox.world import salesforce as sf_world
from tests.conftest import TODAY
from tests.transforms.fixture import OVERRIDES_CSV
from transforms import runner
from transforms.project import project
from warehouse import Warehouse


@pytest.fixture
def world() -> World:
    return World(today=TODAY, history_days=30)


def _stage(warehouse_url: str, tmp_path: Path, name: str, source: object) -> Warehouse:
    warehouse = Warehouse(warehouse_url)
    pipeline = dlt.pipeline(pipeline_name=f"{name}_touchpoints_test", destination=warehouse.dlt_destination(),
                            dataset_name=f"raw_{name}", pipelines_dir=str(tmp_path / "dlt"))
    pipeline.run(source, loader_file_format=warehouse.dlt_file_format)
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(OVERRIDES_CSV)
    for seed in project((name,)).seeds:
        runner.load_seed(warehouse, seed, overrides)
    for model in project((name,)).models:
        runner.build(warehouse, model, {"reporting_currency": "USD"})
    return warehouse


@pytest.fixture
def staged(sandbox_env: SandboxServer, warehouse_url: str, tmp_path: Path) -> Warehouse:
    return _stage(warehouse_url, tmp_path, "hubspot", hubspot_source(page_size=100))


def test_first_and_latest_touches_are_the_worlds(staged: Warehouse, world: World):
    contacts = crm.contacts(world)
    returned = [c for c in contacts if c.latest_at > c.created_at]
    # The world brings a share of its contacts back through another campaign: both kinds are here.
    assert 0 < len(returned) < len(contacts)
    got = {(r[0], r[1]): (r[2].astimezone(UTC), r[3], r[4]) for r in staged.rows(
        "select contact_id, touch_type, touched_at, utm_source, utm_campaign from staging.stg_hubspot__touchpoints")}
    expected = {(c.contact_id, "first_touch"): (c.created_at, c.source_data_2 or None if c.utm_campaign else None,
                                                c.utm_campaign) for c in contacts}
    expected.update({(c.contact_id, "last_touch"): (c.latest_at, c.latest_data_2, c.latest_data_1) for c in returned})
    assert got == expected


def test_every_won_deal_is_credited_in_full_under_every_model(staged: Warehouse, world: World):
    won = Counter(d.close_date.astimezone(UTC).date().replace(day=1) for d in crm.deals(world) if d.is_won)
    assert won
    rows = staged.rows("select attribution_model, month, sum(attributed_deals), min(won_deals), max(won_deals) "
                       "from marts_candidate.campaign_attribution_monthly group by attribution_model, month")
    assert {r[0] for r in rows} == {"first_touch", "last_touch", "linear", "position_based", "time_decay"}
    for model, month, credited, least, most in rows:
        assert least == most == won[month], (model, month)
        assert abs(credited - won[month]) < 1e-6, (model, month)
    # A returning contact's won deal closing on or after its latest touch's day (the window is in UTC
    # days) credits that touch's campaign under last touch.
    contacts = {c.contact_id: c for c in crm.contacts(world)}
    last = dict(staged.rows("select deal_id, campaign_key from intermediate.int_attribution_weights "
                            "where attribution_model = 'last_touch' and weight = 1"))
    checked = 0
    for deal in crm.deals(world):
        contact = contacts[deal.contact_id]
        if deal.is_won and contact.latest_at > contact.created_at \
                and contact.latest_at.astimezone(UTC).date() <= deal.close_date.astimezone(UTC).date():
            assert last[deal.deal_id] == contact.latest_data_1, deal.deal_id
            checked += 1
    assert checked


def test_salesforce_touches_are_the_worlds_live_campaign_memberships(sandbox_env: SandboxServer, world: World,
                                                                    warehouse_url: str, tmp_path: Path):
    staged = _stage(warehouse_url, tmp_path, "salesforce", salesforce_source())
    org = sf_world.org(world)
    leads = {x.id: x for x in org.leads}
    names = {c.id: c.name for c in org.campaigns}
    # A member is its contact, the contact its lead became, or the lead; its utm_source the person's LeadSource.
    expected = {m.id: (m.contact_id or leads[m.lead_id].converted_contact_id or m.lead_id, m.created_at,
                       leads[m.lead_id].lead_source, names[m.campaign_id]) for m in org.members}
    got = {r[0]: (r[1], r[2].astimezone(UTC), r[3], r[4]) for r in staged.rows(
        "select touch_id, contact_id, touched_at, utm_source, utm_campaign from staging.stg_salesforce__touchpoints "
        "where touch_type = 'campaign_member'")}
    assert got == expected
    # Organic leads, whom no campaign reached, are touched once: when they became leads.
    reached = {person for person, *_ in expected.values()}
    organic = staged.rows("select contact_id, utm_source, utm_campaign from staging.stg_salesforce__touchpoints "
                          "where touch_type = 'lead_source'")
    people = {x.converted_contact_id or x.id for x in org.leads}
    assert organic and {r[0] for r in organic} == people - reached
    assert {(r[1], r[2]) for r in organic} == {(sf_world.ORGANIC_SOURCE, None)}
    won = Counter(x.close_date.replace(day=1) for x in org.opportunities if x.is_won and not x.is_deleted)
    credited = staged.rows("select month, sum(attributed_deals) from marts_candidate.campaign_attribution_monthly "
                           "where attribution_model = 'position_based' group by month")
    assert {m: round(n, 6) for m, n in credited} == dict(won)
