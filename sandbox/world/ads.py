"""The ads domain: one ad model for every platform's accounts, campaigns and ad groups.

An ad platform's slice of the world (its accounts and campaigns, and where its paid clicks land in
web analytics and the CRM) lives with its fake, as an `AdPlatform`. The campaign catalogue is every
registered platform's slice, found through the fakes, so web traffic and CRM leads follow the
paid clicks of every platform without naming any.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

from sandbox.world.core import DayKey, World, day_key, uniforms


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    utm_campaign: str
    channel_type: str  # in the platform's own vocabulary (Google Ads: advertisingChannelType)
    status: str
    base_impressions: int
    ctr: float
    cpc: float  # account currency units
    conversion_rate: float
    value_per_conversion: float
    ad_group_count: int


@dataclass(frozen=True)
class Account:
    customer_id: str
    name: str
    currency_code: str
    time_zone: str
    campaigns: tuple[Campaign, ...]


@dataclass(frozen=True)
class Attribution:
    """Where a campaign's paid clicks show up outside its platform."""

    source: str  # utm_source, and web analytics' session source
    medium: str  # utm_medium, and web analytics' session medium
    channel_group: str  # web analytics' default channel group
    analytics_source: str  # the CRM's first-touch source of the leads it brings


@dataclass(frozen=True)
class AdPlatform:
    """One ad platform's slice of the world."""

    name: str
    accounts: tuple[Account, ...]
    attribution: Callable[[Campaign], Attribution]

    def account(self, customer_id: str) -> Account | None:
        return next((a for a in self.accounts if a.customer_id == customer_id), None)


@dataclass(frozen=True)
class PaidCampaign:
    account: Account
    campaign: Campaign
    attribution: Attribution


def normalize_campaign(name: str) -> str:
    """The join key rule the transforms implement in SQL, used here to build consistent data."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


# --- the catalogue ---------------------------------------------------------------------------------
@cache
def platforms() -> tuple[AdPlatform, ...]:
    """Every registered ad platform, in source order (web rows and contact ids follow this order)."""
    from sandbox.fakes import registered

    return tuple(fake.ad_platform for fake in registered() if fake.ad_platform is not None)


@cache
def paid_campaigns() -> tuple[PaidCampaign, ...]:
    """Every campaign of every platform, with its attribution: what web traffic and leads come from."""
    return tuple(PaidCampaign(account, campaign, platform.attribution(campaign))
                 for platform in platforms() for account in platform.accounts for campaign in account.campaigns)


@cache
def _by_ids() -> dict[tuple[str, str], tuple[Account, Campaign]]:
    found: dict[tuple[str, str], tuple[Account, Campaign]] = {}
    for paid in paid_campaigns():
        key = (paid.account.customer_id, paid.campaign.campaign_id)
        # The ad model hashes these ids: two campaigns sharing them would serve the same numbers.
        if key in found:
            raise ValueError(f"ad platforms share account {key[0]} campaign {key[1]}")
        found[key] = (paid.account, paid.campaign)
    return found


@cache
def _negative_campaigns() -> tuple[Campaign, ...]:
    return tuple(p.accounts[0].campaigns[0] for p in platforms() if p.accounts and p.accounts[0].campaigns)


# --- the ad model ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdMetrics:
    impressions: int
    clicks: int
    cost_micros: int
    conversions: float
    conversions_value: float


# One served ad group day: impressions, clicks, cost_micros, conversions, conversions_value.
AdDay = tuple[int, int, int, float, float]
# A sum of ad group days with the two-decimal measures in exact hundredths, so that any grouping
# of the sum gives the same total (float sums depend on their order).
AdTotal = tuple[int, int, int, int, int]

_FOUR = struct.Struct("<4Q")
_SEVEN = struct.Struct("<7Q")
# Multiplying by a power of two is exact, so this gives the very floats `v / 2**64` gives, 4x faster.
_UNIT = 2.0**-64


def ad_group_ids(world: World, campaign: Campaign) -> list[str]:
    return list(_ad_group_ids(campaign.campaign_id, campaign.ad_group_count * world.ad_group_scale))


@lru_cache(maxsize=64)
def _ad_group_ids(campaign_id: str, count: int) -> tuple[str, ...]:
    return tuple(f"{campaign_id[-4:]}{i:06d}" for i in range(1, count + 1))


def ad_group_name(campaign: Campaign, index: int) -> str:
    return f"{campaign.name} | Ad group {index}"


def ad_metrics(world: World, account: Account, campaign: Campaign, ad_group_id: str, day: date) -> AdMetrics | None:
    """One ad group's day. None where it served nothing: ad APIs omit all-zero rows."""
    for _, values in ad_group_days(world, account, campaign, ad_group_id, [day_key(day)]):
        return AdMetrics(*values)
    return None


def ad_group_days(world: World, account: Account, campaign: Campaign, ad_group_id: str,
                  days: Iterable[DayKey]) -> Iterator[tuple[DayKey, AdDay]]:
    """The days an ad group served, in the order given. The one place ad metrics are made.

    Benchmarks read millions of these, so the per-day work is kept to one hash and plain
    arithmetic on locals.
    """
    share = 1.0 / (campaign.ad_group_count * world.ad_group_scale)
    volume = campaign.base_impressions * share
    ctr, cpc = campaign.ctr, campaign.cpc
    cvr, value = campaign.conversion_rate, campaign.value_per_conversion
    prefix = f"ads|{account.customer_id}|{campaign.campaign_id}|{ad_group_id}|".encode()
    start, today = world.start, world.today
    switched = any(campaign is c for c in _negative_campaigns())
    negative_day = today - timedelta(days=1) if world.negative_spend and switched else None
    spike_day = today - timedelta(days=1) if world.spend_spike and switched else None
    silent_day = (today - timedelta(days=1) if world.silent_account
                  and any(account is p.accounts[0] for p in platforms() if p.accounts) else None)
    restated_from = today - timedelta(days=7) if world.restated else None
    # At scale 1 volumes are large and rounded as they always were (tests pin those values).
    # Split finer, an ad group's day is a few impressions, a fraction of a click and of a
    # hundredth of a conversion, which truncation would zero: three more uniforms round them
    # up or down without bias instead, so campaign totals hold at any scale.
    smooth = world.ad_group_scale != 1
    unpack, size = (_SEVEN.unpack, 56) if smooth else (_FOUR.unpack, 32)
    blake2b = hashlib.blake2b
    r5 = r6 = 0.0
    for key in days:
        day = key.day
        if not start <= day < today or day == silent_day:
            continue
        words = unpack(blake2b(prefix + key.hash_suffix, digest_size=size).digest())
        if words[3] * _UNIT < 0.04:
            continue
        u1, u2, u3 = words[0] * _UNIT, words[1] * _UNIT, words[2] * _UNIT
        if smooth:
            r5, r6 = words[4] * _UNIT, words[5] * _UNIT
        impressions = int(volume * (0.6 + 0.8 * u1) * key.weekday_factor + r5)
        if impressions == 0:
            continue
        clicks = min(impressions, int(impressions * ctr * (0.7 + 0.6 * u2) + r6))
        cost_micros = round(clicks * cpc * (0.8 + 0.4 * u3) * 100) * 10_000
        if smooth:
            conversions = int(clicks * cvr * (0.5 + u1) * 100 + words[6] * _UNIT) / 100
        else:
            conversions = round(clicks * cvr * (0.5 + u1), 2)
        if day == negative_day:
            # Every ad group of the campaign that day, so the campaign-level row is negative too.
            cost_micros = -abs(cost_micros) - 1_000_000
        elif day == spike_day:
            cost_micros *= 10
        if restated_from is not None and day >= restated_from:
            conversions = round(conversions * 1.5, 2)
        yield key, (impressions, clicks, cost_micros, conversions, round(conversions * value, 2))


def campaign_day(world: World, account: Account, campaign: Campaign, day: date) -> AdTotal | None:
    """The sum of a campaign's ad group days; None when none served. Memoized."""
    if not world.in_history(day):
        return None
    switches = (world.negative_spend, world.spend_spike, world.silent_account, world.restated)
    month = _campaign_month(world.ad_group_scale, world.today if any(switches) else None, switches,
                            account.customer_id, campaign.campaign_id, day.year, day.month)
    return month[day.day - 1]


def omitted(world: World, campaign: Campaign, day: date) -> bool:
    """Whether the platform's campaign-level and finer reports leave this campaign day out (the
    `unreconciled` switch): its account-level totals still count it."""
    return world.unreconciled and day == world.today - timedelta(days=1) and campaign in _negative_campaigns()


def account_day(world: World, account: Account, day: date) -> AdTotal | None:
    """The account's total for the day, as the platform's account-level report gives it: every campaign,
    including one its finer reports leave out."""
    return sum_totals(campaign_day(world, account, campaign, day) for campaign in account.campaigns)


def campaign_clicks(world: World, account: Account, campaign: Campaign, day: date) -> int:
    total = campaign_day(world, account, campaign, day)
    return total[1] if total else 0


def warm(world: World, accounts: Iterable[Account] | None = None) -> None:
    """Sum every campaign day of history of these accounts (default: every platform's) now, rather
    than on the first requests that need them."""
    accounts = tuple(a for p in platforms() for a in p.accounts) if accounts is None else tuple(accounts)
    for day in world.days():
        for account in accounts:
            for campaign in account.campaigns:
                campaign_day(world, account, campaign, day)


def add_to_total(total: AdTotal | None, values: AdDay) -> AdTotal:
    impressions, clicks, cost_micros, conversions, conversions_value = values
    conversion_cents, value_cents = round(conversions * 100), round(conversions_value * 100)
    if total is None:
        return impressions, clicks, cost_micros, conversion_cents, value_cents
    return (total[0] + impressions, total[1] + clicks, total[2] + cost_micros, total[3] + conversion_cents,
            total[4] + value_cents)


def sum_totals(totals: Iterable[AdTotal | None]) -> AdTotal | None:
    present = [t for t in totals if t is not None]
    if not present:
        return None
    impressions, clicks, cost_micros, conversion_cents, value_cents = (sum(c) for c in zip(*present, strict=True))
    return impressions, clicks, cost_micros, conversion_cents, value_cents


def total_metrics(total: AdTotal) -> AdMetrics:
    # Hundredths divided exactly equal what rounding the float sum to two decimals always gave.
    return AdMetrics(total[0], total[1], total[2], total[3] / 100, total[4] / 100)


# Campaign totals feed the ad reports, web traffic and CRM leads: at benchmark scale a day sums
# thousands of ad groups, so each campaign day is summed once. They are summed a calendar month at
# a time, one pass per ad group over the month, which costs a third of a pass per ad group per day.
# A served day does not depend on the world's today or history, only the switches' day does,
# so worlds that differ in those alone (a benchmark moving today on) share the sums. Small tuples:
# a few hundred campaign months per scale for three years of a dozen campaigns.
@lru_cache(maxsize=4096)
def _campaign_month(scale: int, switched_today: date | None, switches: tuple[bool, bool, bool, bool],
                    customer_id: str, campaign_id: str, year: int, month: int) -> tuple[AdTotal | None, ...]:
    first = date(year, month, 1)
    keys = [day_key(first + timedelta(days=i)) for i in range(calendar.monthrange(year, month)[1])]
    # A world whose history holds the month (up to its today, with the switches' yesterday).
    today = switched_today or keys[-1].day + timedelta(days=1)
    world = World(today=today, history_days=max((today - first).days, 0), ad_group_scale=scale,
                  negative_spend=switches[0], spend_spike=switches[1], silent_account=switches[2],
                  restated=switches[3])
    account, campaign = _by_ids()[(customer_id, campaign_id)]
    totals: list[AdTotal | None] = [None] * len(keys)
    for ad_group_id in ad_group_ids(world, campaign):
        for key, values in ad_group_days(world, account, campaign, ad_group_id, keys):
            at = key.day.day - 1
            totals[at] = add_to_total(totals[at], values)
    return tuple(totals)


# --- ads (creatives) within an ad group ------------------------------------------------------------
# Platforms that report below the ad group (Meta ads, LinkedIn creatives) split each ad group day
# among its ads: exactly, so that the ads of an ad group sum to the ad group's numbers.
ADS_PER_AD_GROUP = 2


def ad_ids(ad_group_id: str, count: int = ADS_PER_AD_GROUP) -> tuple[str, ...]:
    return tuple(f"{ad_group_id}{i:02d}" for i in range(1, count + 1))


def ad_name(ad_group_name_: str, index: int) -> str:
    return f"{ad_group_name_} | Ad {index}"


def split_ad_day(values: AdDay, ad_group_id: str, key: DayKey, parts: int = ADS_PER_AD_GROUP) -> list[AdDay | None]:
    """One ad group day shared among its `parts` ads, in ad order; None for an ad that served nothing
    (platforms omit it). Each measure is split in its own unit (impressions, clicks, cents of cost,
    hundredths of conversions and of value), so the parts sum to the whole exactly and every part
    keeps clicks <= impressions."""
    impressions, clicks, cost_micros, conversions, conversions_value = values
    remaining = [impressions, clicks, cost_micros // 10_000, round(conversions * 100), round(conversions_value * 100)]
    shares = uniforms("ad-split", ad_group_id, key.iso, n=max(parts - 1, 1))
    out: list[AdDay | None] = []
    for index in range(parts):
        share = 0.3 + 0.4 * shares[index] if index < parts - 1 else 1.0
        imps = round(remaining[0] * share)
        if imps == 0:
            # An ad that served nothing costs nothing: the rest goes to the ads after it.
            part = [0, 0, 0, 0, 0]
        elif imps == remaining[0]:
            part = list(remaining)
        else:
            # Clicks within this part's impressions, leaving no more than the rest's impressions.
            low, high = max(remaining[1] - (remaining[0] - imps), 0), min(imps, remaining[1])
            part = [imps, min(max(round(remaining[1] * share), low), high),
                    round(remaining[2] * share), round(remaining[3] * share), round(remaining[4] * share)]
        remaining = [r - p for r, p in zip(remaining, part, strict=True)]
        out.append(None if part[0] == 0 else
                   (part[0], part[1], part[2] * 10_000, part[3] / 100, part[4] / 100))
    return out
