"""Fake of a spend-file drop: the folder an agency fills with exports of platforms that have no API.

No routes: the sandbox writes this fake's files into a folder of its own (`Fake.files`) and points
`SOURCES__AD_SPEND_FILES__BUCKET_URL` at it, with the mappings of the shipped examples
(`examples/ad_spend_files/mappings.toml`). Two platforms, each as its real export looks:

- `tiktok_ads.csv`: TikTok Ads Manager's campaign report, comma-separated, ISO dates, a currency column;
- `microsoft_ads.csv`: Microsoft Advertising's German-locale export, semicolons, decimal commas,
  points grouping thousands, `dd.mm.yyyy` dates, no currency column (the mapping's default, EUR).

Each holds one row per campaign and day it served, for the `FILE_DAYS` days before the world's today
(within its history), from the same ad model as the API platforms (`sandbox.world.ads`): exact
amounts that tests recompute with `campaign_days`. These platforms are not in the campaign
catalogue, so web traffic and CRM leads stay what the API platforms make them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from sandbox.core import Fake, TableTotals, source_env
from sandbox.world import World
from sandbox.world.ads import Account, Campaign, ad_group_days, ad_group_ids
from sandbox.world.core import day_key

VENDOR = "ad_spend_files"
MAPPINGS = Path(__file__).resolve().parent.parent / "examples" / "ad_spend_files" / "mappings.toml"
# Four weeks: an agency's monthly export, inside the shortest history tests use (30 days).
FILE_DAYS = 28


def _campaign(campaign_id: str, name: str, impressions: int, ctr: float, cpc: float, cvr: float,
              value: float) -> Campaign:
    return Campaign(campaign_id, name, name.lower().replace(" | ", "_").replace(" ", "_"), "FILE", "ENABLED",
                    impressions, ctr, cpc, cvr, value, 2)


ACCOUNTS: dict[str, Account] = {
    "tiktok_ads": Account("7301000001", "Northwind TikTok", "USD", "UTC", (
        _campaign("1780000001", "Northwind | Holiday Teaser", 40_000, 0.012, 0.35, 0.03, 52.0),
        _campaign("1780000002", "Northwind | Creator Collab", 25_000, 0.009, 0.42, 0.025, 61.0),
    )),
    "microsoft_ads": Account("B0123456", "Northwind Microsoft", "EUR", "Europe/Berlin", (
        _campaign("411000001", "Northwind | Brand Search", 9_000, 0.06, 0.85, 0.07, 95.0),
        _campaign("411000002", "Northwind | Generic Search", 6_000, 0.035, 1.40, 0.04, 88.0),
    )),
}


@dataclass(frozen=True)
class CampaignDay:
    platform: str
    account: Account
    campaign: Campaign
    day: date
    impressions: int
    clicks: int
    spend: Decimal  # the account's currency, two decimals
    conversions: Decimal  # two decimals
    conversions_value: Decimal  # two decimals


def file_days(world: World) -> list[date]:
    return [d for d in (world.today - timedelta(days=k) for k in range(FILE_DAYS, 0, -1)) if world.in_history(d)]


@lru_cache(maxsize=16)
def _campaign_days(today: date, history_days: int) -> tuple[CampaignDay, ...]:
    world = World(today=today, history_days=history_days)
    keys = [day_key(d) for d in file_days(world)]
    rows = []
    for platform, account in ACCOUNTS.items():
        for campaign in account.campaigns:
            totals: dict[date, list] = {}
            for ad_group in ad_group_ids(world, campaign):
                for key, (imps, clicks, micros, conv, value) in ad_group_days(world, account, campaign, ad_group, keys):
                    t = totals.setdefault(key.day, [0, 0, 0, 0, 0])
                    t[0] += imps
                    t[1] += clicks
                    t[2] += micros
                    t[3] += round(conv * 100)
                    t[4] += round(value * 100)
            for day in sorted(totals):
                imps, clicks, micros, conv, value = totals[day]
                rows.append(CampaignDay(platform, account, campaign, day, imps, clicks,
                                        Decimal(micros) / 1_000_000, Decimal(conv) / 100, Decimal(value) / 100))
    return tuple(rows)


def campaign_days(world: World) -> tuple[CampaignDay, ...]:
    """Every campaign day the files hold, in file order (platform, campaign, day). The world's
    switches (negative spend, ...) are the API platforms' scenarios, not the files'."""
    return _campaign_days(world.today, world.history_days)


def totals_by_account(world: World) -> dict[tuple[str, str], tuple[int, int, Decimal]]:
    """Impressions, clicks and spend (the account's currency) per platform and account id: what the
    ads marts should hold for the file platforms after a run over this world."""
    totals: dict[tuple[str, str], tuple[int, int, Decimal]] = {}
    for r in campaign_days(world):
        key = (r.platform, r.account.customer_id)
        impressions, clicks, spend = totals.get(key, (0, 0, Decimal(0)))
        totals[key] = (impressions + r.impressions, clicks + r.clicks, spend + r.spend)
    return totals


def _money(value: Decimal, comma: bool = False) -> str:
    text = f"{value:.2f}"
    if not comma:
        return text
    whole, cents = text.split(".")
    return f"{int(whole):,}".replace(",", ".") + "," + cents


def _grouped(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _tiktok(rows: list[CampaignDay]) -> bytes:
    lines = ["Date,Advertiser ID,Advertiser name,Campaign ID,Campaign name,Cost,Currency,Impressions,Clicks,"
             "Conversions,Total conversion value"]
    lines += [f"{r.day.isoformat()},{r.account.customer_id},{r.account.name},{r.campaign.campaign_id},"
              f"{r.campaign.name},{_money(r.spend)},{r.account.currency_code},{r.impressions},{r.clicks},"
              f"{r.conversions:.2f},{_money(r.conversions_value)}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


def _microsoft(rows: list[CampaignDay]) -> bytes:
    lines = ["Day;Account Id;Account name;Campaign Id;Campaign;Spend;Impr.;Clicks;Conv.;Revenue"]
    lines += [f"{r.day.strftime('%d.%m.%Y')};{r.account.customer_id};{r.account.name};{r.campaign.campaign_id};"
              f"{r.campaign.name};{_money(r.spend, True)};{_grouped(r.impressions)};{_grouped(r.clicks)};"
              f"{_money(r.conversions, True)};{_money(r.conversions_value, True)}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


_WRITERS = {"tiktok_ads": _tiktok, "microsoft_ads": _microsoft}


def files(world: World) -> dict[str, bytes]:
    rows = campaign_days(world)
    return {f"{platform}.csv": write([r for r in rows if r.platform == platform])
            for platform, write in _WRITERS.items()}


def _env(folder: str) -> dict[str, str]:
    return source_env(VENDOR, {"bucket_url": folder, "mappings": str(MAPPINGS)})


def expected_totals(world: World, start: date, end: date) -> dict[str, TableTotals]:
    """Every file's rows, whatever the window: a file source loads what is in the folder."""
    rows = campaign_days(world)
    by_file: dict[str, int] = {}
    for r in rows:
        by_file[r.platform] = by_file.get(r.platform, 0) + 1
    contents = files(world)
    return {
        "spend": {"rows": len(rows), "sums": {
            # Row 1 is the header: a file of n rows numbers them 2 to n + 1.
            "row_number": sum(sum(range(2, n + 2)) for n in by_file.values()),
            "spend": sum((r.spend for r in rows), Decimal(0)),
            "impressions": sum(r.impressions for r in rows), "clicks": sum(r.clicks for r in rows),
            "conversions": sum((r.conversions for r in rows), Decimal(0)),
            "conversions_value": sum((r.conversions_value for r in rows), Decimal(0)),
        }},
        "files": {"rows": len(contents), "sums": {"size": sum(len(c) for c in contents.values()),
                                                  "rows_loaded": len(rows), "rows_quarantined": 0}},
        "quarantine": {"rows": 0, "sums": {}},
    }


FAKE = Fake(vendor=VENDOR, routes=(), env=_env, expected_totals=expected_totals, files=files)
