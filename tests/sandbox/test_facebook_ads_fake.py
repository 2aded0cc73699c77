"""The Meta Ads fake's account level: its totals are the world's account days, and the unreconciled
world takes one campaign day out of every finer report and out of nothing else."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import sandbox.facebook_ads as fake
from sandbox.facebook_ads import InsightsQuery, render
from sandbox.world import World, ads
from tests.conftest import TODAY

WORLD = World(today=TODAY, history_days=30)
YESTERDAY = TODAY - timedelta(days=1)


def _query(account_id: str, level: str) -> InsightsQuery:
    return InsightsQuery(account_id, level, ("account_id", "campaign_id", "date_start", "date_stop", "impressions",
                                             "clicks", "spend", "actions", "action_values"),
                         YESTERDAY - timedelta(days=2), YESTERDAY, ("7d_click", "1d_view"))


def test_account_rows_are_the_world_account_days_and_carry_no_campaign():
    for account in fake.ACCOUNTS:
        rows = render(WORLD, account, _query(account.customer_id, "account"))
        assert [r["date_start"] for r in rows] == [str(YESTERDAY - timedelta(days=i)) for i in (2, 1, 0)]
        for row in rows:
            impressions, clicks, cost_micros, conversion_cents, value_cents = ads.account_day(
                WORLD, account, date.fromisoformat(row["date_start"]))
            assert "campaign_id" not in row and row["account_id"] == account.customer_id
            assert (int(row["impressions"]), int(row["clicks"]), Decimal(row["spend"])) == (
                impressions, clicks, Decimal(cost_micros) / 10**6)
            actions = {a["action_type"]: Decimal(a["value"]) for a in row.get("actions", [])}
            values = {a["action_type"]: Decimal(a["value"]) for a in row.get("action_values", [])}
            assert actions.get("lead", 0) + actions.get("omni_purchase", 0) == Decimal(conversion_cents) / 100
            assert values.get("omni_purchase", 0) == Decimal(value_cents) / 100


def test_the_unreconciled_world_loses_one_campaign_day_below_the_account_level():
    unreconciled = replace(WORLD, unreconciled=True)
    lost_account, lost = fake.ACCOUNTS[0], fake.ACCOUNTS[0].campaigns[0]
    gap = ads.campaign_day(WORLD, lost_account, lost, YESTERDAY)
    assert gap is not None
    normal = fake.expected_totals(WORLD, YESTERDAY - timedelta(days=2), YESTERDAY)
    missing = fake.expected_totals(unreconciled, YESTERDAY - timedelta(days=2), YESTERDAY)
    assert missing["account_stats"] == normal["account_stats"]
    assert missing["campaign_stats"]["rows"] == normal["campaign_stats"]["rows"] - 1
    impressions, clicks, cost_micros, conversion_cents, value_cents = gap
    assert {name: normal["campaign_stats"]["sums"][name] - value for name, value in
            missing["campaign_stats"]["sums"].items()} == {
        "impressions": impressions, "clicks": clicks, "spend": Decimal(cost_micros) / 10**6,
        "conversions": Decimal(conversion_cents) / 100, "conversions_value": Decimal(value_cents) / 100}
    # Every finer report loses exactly that campaign's rows of that day; the other account loses nothing.
    for account in fake.ACCOUNTS:
        for level in ("campaign", "adset", "ad"):
            query = _query(account.customer_id, level)
            rows = render(WORLD, account, query)
            gone = [r for r in rows if r["campaign_id"] == lost.campaign_id and r["date_start"] == str(YESTERDAY)]
            assert bool(gone) == (account is lost_account), level
            assert render(unreconciled, account, query) == [r for r in rows if r not in gone], level
