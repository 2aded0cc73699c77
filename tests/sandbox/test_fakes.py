"""Fakes plug in through the source specs: a sandbox serves the sources it is given and what they
require, and an ad platform's slice reaches web traffic and CRM leads without either naming it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from connectors import registry
from sandbox import fakes, google_ads, google_oauth, hubspot
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World, ads, crm, web
from sandbox.world.ads import Account, AdPlatform, Attribution, Campaign
from tests.conftest import TODAY
from tests.sandbox import catalogue


@pytest.mark.parametrize("name", registry.source_names())
def test_every_source_has_a_fake_that_sets_its_required_settings(name):
    spec = registry.spec(name)
    fake = next(f for f in fakes.registered() if f.vendor == name)
    assert fake.env is not None and fake.expected_totals is not None
    env = fake.env("http://127.0.0.1:1")
    assert {s.env(name) for s in spec.settings if s.required} <= set(env)
    assert all(key.startswith(f"SOURCES__{name.upper()}__") for key in env)


def test_a_source_alone_is_served_with_the_fakes_it_requires():
    with SandboxServer(world=World(today=TODAY, history_days=10), faults=Faults(),
                       sources=["google_analytics"]) as server:
        assert server.sources == ["google_analytics"]
        assert [f.vendor for f in server.fakes] == ["google_oauth", "google_analytics"]
        assert {key.split("__")[1] for key in server.source_settings()} == {"GOOGLE_ANALYTICS"}
        token = requests.post(f"{server.url}/token", timeout=10, data={
            "grant_type": "refresh_token", "client_id": google_oauth.CLIENT_ID,
            "client_secret": google_oauth.CLIENT_SECRET, "refresh_token": google_oauth.REFRESH_TOKEN})
        assert token.status_code == 200
        assert server.state.vendor("google_oauth").valid(token.json()["access_token"])
        listed = requests.get(f"{server.url}/crm/v3/objects/contacts", timeout=10,
                              headers={"authorization": f"Bearer {hubspot.ACCESS_TOKEN}"})
        assert listed.status_code == 404


def test_an_unknown_source_is_refused():
    with pytest.raises(ValueError, match="no source named nowhere"):
        SandboxServer(sources=["nowhere"])


def test_chaos_cycles_through_the_faults_each_fake_declares_retryable():
    faults = Faults(chaos=True, every=2)
    served = [faults.next("google_ads", google_ads.FAKE.retryable) for _ in range(8)]
    assert served == [None, "unavailable", None, "stream_rate_limit", None, "expired_token", None, "rate_limit"]
    # A fake that declares none is never served one unasked.
    assert [faults.next("quiet") for _ in range(4)] == [None] * 4


# --- a further ad platform --------------------------------------------------------------------------
SOCIAL = AdPlatform(
    "social_ads",
    (Account("77001", "Acme Outdoor Social", "EUR", "Europe/Paris", (
        Campaign("880001", "Autumn Hiking | Social", "autumn_hiking_social", "FEED", "ACTIVE", 40000, 0.012, 0.40,
                 0.02, 90.0, 2),
    )),),
    lambda campaign: Attribution("social", "paid_social", "Paid Social", "PAID_SOCIAL"),
)


@pytest.fixture
def registered() -> tuple[AdPlatform, ...]:
    return ads.platforms()


def test_a_further_ad_platform_feeds_web_traffic_and_leads_and_changes_nothing_before_it(registered):
    world = World(today=TODAY, history_days=30)
    day = TODAY - timedelta(days=3)
    with catalogue.only(*registered):
        before_rows = web.rows(world, day)
        before_leads = [c for c in crm.contacts_for_day(world, day) if c.utm_campaign]
    with catalogue.only(*registered, SOCIAL):
        rows = web.rows(world, day)
        leads = [c for c in crm.contacts_for_day(world, day) if c.utm_campaign]
        deals = [d for c in leads[len(before_leads):] if (d := crm.deal_for(world, c))]
    social = [r for r in rows if r["sessionSource"] == "social"]
    assert [(r["sessionMedium"], r["sessionCampaignName"], r["sessionDefaultChannelGroup"]) for r in social] == [
        ("paid_social", "autumn_hiking_social", "Paid Social")]
    assert [r for r in rows if r["sessionSource"] != "social"] == before_rows
    # The registered platforms' leads come first, ids and all; the new platform's follow.
    assert leads[:len(before_leads)] == before_leads
    assert leads[len(before_leads):] and all(
        (c.analytics_source, c.source_data_2, c.utm_campaign) == ("PAID_SOCIAL", "social", "autumn_hiking_social")
        for c in leads[len(before_leads):])
    assert all(d.currency_code == "EUR" for d in deals)
