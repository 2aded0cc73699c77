"""The world's numbers: pinned at scale 1, and a scaled world keeps campaign totals while rows multiply."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from sandbox import google_ads
from sandbox.google_ads import ACCOUNTS
from sandbox.world import World, ads, crm, web
from sandbox.world.ads import AdMetrics
from sandbox.world.core import day_key
from tests.conftest import TODAY
from tests.sandbox import catalogue


def _campaign(campaign_id: str):
    return next((a, c) for a in ACCOUNTS for c in a.campaigns if c.campaign_id == campaign_id)


def _history(world: World) -> list:
    return [day_key(day) for day in world.days()]


def _campaign_totals(world: World) -> dict[str, tuple[list[float], int]]:
    """Per campaign: summed impressions, clicks, cost_micros, conversions, conversions_value; and rows."""
    days = _history(world)
    out = {}
    for account in ACCOUNTS:
        for campaign in account.campaigns:
            sums, rows = [0.0] * 5, 0
            for ad_group_id in ads.ad_group_ids(world, campaign):
                for _, values in ads.ad_group_days(world, account, campaign, ad_group_id, days):
                    rows += 1
                    sums = [s + v for s, v in zip(sums, values, strict=True)]
            out[campaign.campaign_id] = (sums, rows)
    return out


# --- scale 1: the values every other test computes its expectations from ------------------------------
def test_scale_one_values_are_pinned():
    # Google's slice alone: a further registered platform adds leads and sessions of its own.
    with catalogue.only(google_ads.PLATFORM):
        _assert_pinned(World(today=TODAY, history_days=120))


def _assert_pinned(world: World) -> None:
    account, campaign = _campaign("20000000002")
    assert ads.ad_group_ids(world, campaign) == ["0002000001", "0002000002", "0002000003"]
    assert ads.ad_metrics(world, account, campaign, "0002000001", date(2026, 10, 5)) == AdMetrics(
        impressions=3397, clicks=157, cost_micros=242_320_000, conversions=4.62, conversions_value=646.8)
    assert ads.campaign_clicks(world, account, campaign, date(2026, 10, 5)) == 489
    assert sum(ads.campaign_clicks(world, a, c, date(2026, 10, 5)) for a in ACCOUNTS for c in a.campaigns) == 2160
    assert len(crm.contacts(world)) == 4622
    assert len([c for c in crm.contacts(world) if crm.deal_for(world, c)]) == 1135
    # Each first deal, and the repeat purchases of customers who buy again.
    assert len(crm.deals(world)) == 1171
    assert web.rows(world, date(2026, 10, 5))[1] == {
        "date": date(2026, 10, 5), "sessionSource": "google", "sessionMedium": "cpc",
        "sessionCampaignName": "generic_tents_search_us", "sessionDefaultChannelGroup": "Paid Search",
        "sessions": 424, "totalUsers": 347, "newUsers": 242, "engagedSessions": 286, "keyEvents": 14,
        "totalRevenue": 784.0}
    first = crm.contacts(world)[0]
    assert (first.contact_id, first.created_at.isoformat(), first.utm_campaign) == (
        "9700001", "2026-07-23T15:27:18+00:00", "brand_search_us")


def test_outside_history_nothing_is_served():
    world = World(today=TODAY, history_days=120)
    account, campaign = _campaign("20000000001")
    for day in (world.start - timedelta(days=1), TODAY):
        assert ads.ad_metrics(world, account, campaign, "0001000001", day) is None
        assert ads.campaign_day(world, account, campaign, day) is None


# --- scaled worlds ----------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [3, 10])
def test_scaling_keeps_campaign_totals_and_multiplies_rows(scale):
    base = _campaign_totals(World(today=TODAY, history_days=365))
    scaled = _campaign_totals(World(today=TODAY, history_days=365, ad_group_scale=scale))
    for campaign_id, (sums, rows) in base.items():
        scaled_sums, scaled_rows = scaled[campaign_id]
        # Each measure within 5%: the day-to-day noise of a year of scale-1 ad groups, no drift.
        assert scaled_sums == pytest.approx(sums, rel=0.05), campaign_id
        assert scaled_rows == pytest.approx(rows * scale, rel=0.03), campaign_id


def test_tiny_ad_groups_keep_totals_and_omit_zero_impression_days():
    # Brand UK split 3000-fold: about 0.23 impressions an ad group day, so most days serve nothing.
    world = World(today=TODAY, history_days=14, ad_group_scale=3000)
    account, campaign = _campaign("20000000021")
    days = _history(world)
    served = [values for ad_group_id in ads.ad_group_ids(world, campaign)
              for _, values in ads.ad_group_days(world, account, campaign, ad_group_id, days)]
    assert served and all(values[0] > 0 for values in served)
    assert len(served) < 0.3 * len(days) * campaign.ad_group_count * 3000
    # Rounded without bias, the tiny parts still add up to what the campaign's model says.
    impressions, clicks, cost_micros, conversions, _ = (sum(column) for column in zip(*served, strict=True))
    expected_impressions = campaign.base_impressions * 0.96 * sum(d.weekday_factor for d in days)
    assert impressions == pytest.approx(expected_impressions, rel=0.03)
    assert clicks == pytest.approx(impressions * campaign.ctr, rel=0.03)
    assert cost_micros == pytest.approx(clicks * campaign.cpc * 1_000_000, rel=0.03)
    assert conversions == pytest.approx(clicks * campaign.conversion_rate, rel=0.1)


def test_campaign_day_is_the_sum_of_its_ad_groups():
    world = World(today=TODAY, history_days=60, ad_group_scale=3)
    account, campaign = _campaign("20000000013")
    day = TODAY - timedelta(days=10)
    parts = [m for ag in ads.ad_group_ids(world, campaign) if (m := ads.ad_metrics(world, account, campaign, ag, day))]
    total = ads.campaign_day(world, account, campaign, day)
    assert total[:3] == (sum(m.impressions for m in parts), sum(m.clicks for m in parts),
                         sum(m.cost_micros for m in parts))
    assert total[3] / 100 == round(sum(m.conversions for m in parts), 2)
    assert total[4] / 100 == round(sum(m.conversions_value for m in parts), 2)
    assert ads.campaign_clicks(world, account, campaign, day) == total[1]


def test_campaign_sums_are_computed_once_for_every_consumer():
    world = World(today=TODAY, history_days=60, ad_group_scale=5)
    day = TODAY - timedelta(days=3)
    ads._campaign_month.cache_clear()
    web.rows(world, day)
    computed = ads._campaign_month.cache_info().misses
    crm.contacts_for_day(world, day)
    # A world that differs only in today and history shares them (a benchmark moving today on).
    moved = World(today=TODAY + timedelta(days=1), history_days=61, ad_group_scale=5)
    assert [ads.campaign_clicks(moved, a, c, day) for a in ACCOUNTS for c in a.campaigns] == [
        ads.campaign_clicks(world, a, c, day) for a in ACCOUNTS for c in a.campaigns]
    assert ads._campaign_month.cache_info().misses == computed


def test_negative_spend_day_is_negative_for_the_campaign_only_that_day():
    world = World(today=TODAY, history_days=30, negative_spend=True)
    plain = World(today=TODAY, history_days=30)
    account, campaign = ACCOUNTS[0], ACCOUNTS[0].campaigns[0]
    yesterday = TODAY - timedelta(days=1)
    assert ads.campaign_day(world, account, campaign, yesterday)[2] < 0
    assert ads.campaign_day(plain, account, campaign, yesterday)[2] > 0
    earlier = yesterday - timedelta(days=1)
    assert ads.campaign_day(world, account, campaign, earlier) == ads.campaign_day(plain, account, campaign, earlier)


def test_contacts_progress_through_lifecycle_stages_with_their_deals():
    world = World(today=TODAY, history_days=120)
    by_contact: dict[str, list[crm.Deal]] = {}
    for deal in crm.deals(world):
        by_contact.setdefault(deal.contact_id, []).append(deal)
    repeats = 0
    for contact in crm.contacts(world):
        deals = by_contact.get(contact.contact_id, [])
        reached = [at for at in (contact.created_at, contact.mql_at, contact.sql_at, contact.opportunity_at,
                                 contact.customer_at) if at is not None]
        assert reached == sorted(reached) and reached[-1] < world.now(), contact.contact_id
        assert contact.updated_at >= reached[-1], contact.contact_id
        if any(d.is_won for d in deals):
            assert contact.lifecycle_stage == "customer"
            assert contact.customer_at == min(d.close_date for d in deals if d.is_won)
        elif deals:
            assert contact.lifecycle_stage == "opportunity" and contact.opportunity_at == deals[0].created_at
        else:
            assert contact.lifecycle_stage in ("lead", "marketingqualifiedlead", "salesqualifiedlead")
        # A repeat purchase follows a won deal, in a later month than the one it follows.
        for earlier, later in zip(deals, deals[1:], strict=False):
            repeats += 1
            assert earlier.is_won and later.created_at > earlier.close_date
            assert (later.close_date.year, later.close_date.month) > (earlier.close_date.year, earlier.close_date.month)
    assert repeats, "some customers buy again"


def test_contacts_web_sessions_are_carved_out_of_the_days_traffic():
    world = World(today=TODAY, history_days=120)
    contacts = {c.contact_id: c for c in crm.contacts(world)}
    deals = {d.contact_id: d for d in reversed(crm.deals(world))}  # each contact's first deal
    campaigns = {p.campaign.utm_campaign for p in ads.paid_campaigns()} | {"autumn_newsletter", "(organic)", "(not set)"}
    firsts, newsletter_before_deal = 0, 0
    for day in world.days()[-30:]:
        split = web.contact_rows(world, day)
        # The split invents no session: known contacts and (not set) add up to each row of the day.
        totals: dict[tuple, int] = {}
        for r in split:
            key = (r["sessionSource"], r["sessionMedium"], r["sessionCampaignName"], r["sessionDefaultChannelGroup"])
            totals[key] = totals.get(key, 0) + r["sessions"]
        assert totals == {(r["sessionSource"], r["sessionMedium"], r["sessionCampaignName"],
                           r["sessionDefaultChannelGroup"]): r["sessions"] for r in web.rows(world, day)}
        for r in split:
            if r["contact"] == web.NOT_SET:
                continue
            contact = contacts[r["contact"]]
            assert r["sessionCampaignName"] in campaigns
            assert contact.created_at.date() <= day
            if r["sessionCampaignName"] == "autumn_newsletter" and contact.contact_id in deals:
                newsletter_before_deal += deals[contact.contact_id].created_at.date() >= day
        # Each contact made that day has its first session that day, by the source that brought it.
        for contact in crm.contacts_for_day(world, day):
            campaign = contact.utm_campaign or ("(organic)" if contact.analytics_source == "ORGANIC_SEARCH"
                                                else "(not set)")
            assert any(r["contact"] == contact.contact_id and r["sessionCampaignName"] == campaign for r in split)
            firsts += 1
    assert firsts > 100 and newsletter_before_deal > 10
