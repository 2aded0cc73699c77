"""Fake of a plan-file drop: the folder a marketing PMO keeps its campaign plans in.

No routes: the sandbox writes `plans.csv` into a folder of its own (`Fake.files`), in the layout of
the shipped example (`examples/campaign_plans/`), read with its mappings. One row per campaign and
month for every campaign of the world (the API platforms' catalogue and the spend files'), for the
month of the world's yesterday and the one before (one plan per campaign key: a campaign on two
platforms has one): budgets, planned delivery and targets drawn from
the world's dice, so tests recompute them with `plan_rows`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sandbox import ad_spend_files
from sandbox.core import Fake, TableTotals, source_env
from sandbox.world import World
from sandbox.world.ads import Campaign, normalize_campaign, paid_campaigns
from sandbox.world.core import uniforms

VENDOR = "campaign_plans"
MAPPINGS = Path(__file__).resolve().parent.parent / "examples" / "campaign_plans" / "mappings.toml"
OWNERS = ("Ana Ruiz", "Ben Okafor", "Chen Li")
HEADER = ("Campaign,Month,Budget,Currency,Planned impressions,Planned clicks,Planned conversions,Target CPA,"
          "Target ROAS,Owner,Start,End,Phase")


@dataclass(frozen=True)
class PlanRow:
    campaign: str
    month: date
    budget: Decimal
    currency_code: str
    impressions: int
    clicks: int
    conversions: Decimal
    target_cpa: Decimal
    target_roas: Decimal
    owner: str
    start: date
    end: date
    phase: str


def months(world: World) -> list[date]:
    last = (world.today - timedelta(days=1)).replace(day=1)
    before = (last - timedelta(days=1)).replace(day=1)
    return [before, last]


# Rough units of USD per unit of each currency: a PMO budgets a campaign run in several currencies in
# one of them at about these rates. The plans only need to be plausible; pacing converts exactly.
PLANNING_RATES = {"USD": 1.0, "EUR": 1.1, "GBP": 1.3}


def _plan_campaigns() -> list[tuple[str, str, list[tuple[Campaign, str]]]]:
    """Each campaign key once, as the PMO names it in the plan (the campaign's name, or its
    utm_campaign where the name does not give the key), with the plan's currency (that of the key's
    first platform account) and every platform campaign that carries the key."""
    found = [(p.campaign, p.account.currency_code) for p in paid_campaigns()]
    found += [(c, a.currency_code) for a in ad_spend_files.ACCOUNTS.values() for c in a.campaigns]
    by_key: dict[str, tuple[str, str, list[tuple[Campaign, str]]]] = {}
    for campaign, currency in found:
        label = campaign.name if normalize_campaign(campaign.name) == campaign.utm_campaign else campaign.utm_campaign
        by_key.setdefault(campaign.utm_campaign, (label, currency, []))[2].append((campaign, currency))
    return list(by_key.values())


def plan_rows(world: World) -> list[PlanRow]:
    # A plan is per campaign key: a campaign run on several platforms has one plan, budgeting all of
    # them, in the currency of the first platform's account.
    rows = []
    for month in months(world):
        for label, currency, campaigns in _plan_campaigns():
            first = campaigns[0][0]
            u1, u2, u3, u4 = uniforms("plan", first.campaign_id, month.isoformat())
            impressions = clicks = 0
            spend = conversions = 0.0
            for campaign, own in campaigns:
                planned = int(campaign.base_impressions * 30 * (0.9 + 0.2 * u1))
                planned_clicks = int(planned * campaign.ctr)
                impressions, clicks = impressions + planned, clicks + planned_clicks
                spend += planned_clicks * campaign.cpc * PLANNING_RATES[own] / PLANNING_RATES[currency]
                conversions += planned_clicks * campaign.conversion_rate
            budget = Decimal(round(spend * (0.85 + 0.3 * u2)))
            planned_conversions = Decimal(round(conversions, 1)).quantize(Decimal("0.1"))
            cpa = (budget / planned_conversions).quantize(Decimal("0.01")) if planned_conversions else Decimal(0)
            roas = Decimal(1.5 + 4 * u3).quantize(Decimal("0.1"))
            rows.append(PlanRow(label, month, budget, currency, impressions, clicks, planned_conversions, cpa, roas,
                                OWNERS[int(u4 * len(OWNERS))], world.start, world.today + timedelta(days=60),
                                "execution"))
    return rows


def _row(r: PlanRow) -> str:
    # A campaign name with a comma would need quoting; the world's names have none.
    return (f"{r.campaign},{r.month:%Y-%m},{r.budget:.2f},{r.currency_code},{r.impressions},{r.clicks},"
            f"{r.conversions},{r.target_cpa},{r.target_roas},{r.owner},{r.start.isoformat()},{r.end.isoformat()},"
            f"{r.phase}")


def files(world: World) -> dict[str, bytes]:
    return {"plans.csv": ("\n".join([HEADER, *map(_row, plan_rows(world))]) + "\n").encode()}


def _env(folder: str) -> dict[str, str]:
    return source_env(VENDOR, {"bucket_url": folder, "mappings": str(MAPPINGS)})


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """The plan file's rows, whatever the window."""
    rows = plan_rows(world)
    return {
        "plans": {"rows": len(rows), "sums": {
            "row_number": sum(range(2, len(rows) + 2)),
            "budget": sum((r.budget for r in rows), Decimal(0)),
            "planned_impressions": sum(r.impressions for r in rows),
            "planned_clicks": sum(r.clicks for r in rows),
            "planned_conversions": sum((r.conversions for r in rows), Decimal(0)),
            "target_cpa": sum((r.target_cpa for r in rows), Decimal(0)),
            "target_roas": sum((r.target_roas for r in rows), Decimal(0)),
        }},
        "files": {"rows": 1, "sums": {"size": len(files(world)["plans.csv"]), "rows_loaded": len(rows),
                                      "rows_quarantined": 0}},
        "quarantine": {"rows": 0, "sums": {}},
    }


FAKE = Fake(vendor=VENDOR, routes=(), env=_env, expected_totals=expected_totals, files=files)
