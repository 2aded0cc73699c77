"""One deterministic marketing world that every fake serves from.

The same campaigns show up in Google Ads (campaign names), in GA4 (`sessionCampaignName`, the
utm_campaign) and in HubSpot (first-touch utm of contacts, and their deals). Everything is a pure
function of (world settings, ids, date), so the fakes are stateless and tests can compute exact
expected totals from here.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    utm_campaign: str
    channel_type: str  # Google Ads advertisingChannelType
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


def normalize_campaign(name: str) -> str:
    """The join key rule the transforms implement in SQL, used here to build consistent data."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def _campaign(cid: str, name: str, channel: str, imps: int, ctr: float, cpc: float, cvr: float, value: float,
              ad_groups: int = 3, utm: str | None = None, status: str = "ENABLED") -> Campaign:
    return Campaign(cid, name, utm or normalize_campaign(name), channel, status, imps, ctr, cpc, cvr, value, ad_groups)


ACCOUNTS: tuple[Account, ...] = (
    Account("1234567890", "Acme Outdoor US", "USD", "America/New_York", (
        _campaign("20000000001", "Brand | Search | US", "SEARCH", 4200, 0.085, 0.65, 0.060, 95.0),
        _campaign("20000000002", "Generic Tents | Search | US", "SEARCH", 9800, 0.042, 1.35, 0.028, 140.0),
        _campaign("20000000003", "Summer Sale | PMax | US", "PERFORMANCE_MAX", 15000, 0.018, 0.80, 0.015, 120.0),
        # Its name does not normalise to its utm_campaign: the overrides mapping joins it.
        _campaign("20000000004", "Q4 Remarketing - Display", "DISPLAY", 30000, 0.006, 0.45, 0.010, 80.0,
                  utm="remarketing_q4"),
    )),
    Account("2345678901", "Acme Outdoor DE", "EUR", "Europe/Berlin", (
        _campaign("20000000011", "Brand | Search | DE", "SEARCH", 2600, 0.080, 0.55, 0.055, 90.0),
        _campaign("20000000012", "Wanderschuhe | Search | DE", "SEARCH", 7000, 0.038, 1.10, 0.025, 110.0),
        _campaign("20000000013", "Herbst Video | DE", "VIDEO", 22000, 0.004, 0.30, 0.004, 60.0, ad_groups=2),
    )),
    Account("3456789012", "Acme Outdoor UK", "GBP", "Europe/London", (
        _campaign("20000000021", "Brand | Search | UK", "SEARCH", 2100, 0.082, 0.60, 0.058, 85.0),
        _campaign("20000000022", "Camping Gear | Shopping | UK", "SHOPPING", 8800, 0.022, 0.50, 0.020, 70.0),
    )),
)

GA4_PROPERTY_ID = "345678901"
GA4_CURRENCY = "USD"

# Traffic GA4 sees that no ad account pays for.
UNPAID_TRAFFIC: tuple[tuple[str, str, str, str, int], ...] = (
    ("google", "organic", "(organic)", "Organic Search", 900),
    ("(direct)", "(none)", "(not set)", "Direct", 500),
    ("newsletter", "email", "autumn_newsletter", "Email", 120),
    ("facebook.com", "referral", "(referral)", "Referral", 80),
)

HUBSPOT_PORTAL_ID = 24681357


@dataclass(frozen=True)
class AdMetrics:
    impressions: int
    clicks: int
    cost_micros: int
    conversions: float
    conversions_value: float


@dataclass(frozen=True)
class Contact:
    contact_id: str
    email: str
    firstname: str
    lastname: str
    created_at: datetime
    updated_at: datetime
    analytics_source: str
    source_data_1: str
    source_data_2: str
    first_url: str
    utm_campaign: str | None


@dataclass(frozen=True)
class Deal:
    deal_id: str
    name: str
    contact_id: str
    created_at: datetime
    updated_at: datetime
    close_date: datetime | None
    stage: str
    amount: str  # HubSpot sends amounts as strings
    currency_code: str
    is_closed: bool
    is_won: bool


def _uniforms(*key: object, n: int = 4) -> tuple[float, ...]:
    digest = hashlib.blake2b("|".join(map(str, key)).encode(), digest_size=8 * n).digest()
    return tuple(v / 2**64 for v in struct.unpack(f"<{n}Q", digest))


_WEEKDAY_FACTORS = (1.0, 1.05, 1.08, 1.04, 0.97, 0.78, 0.72)


def _weekday_factor(day: date) -> float:
    return _WEEKDAY_FACTORS[day.weekday()]


# One served ad group day: impressions, clicks, cost_micros, conversions, conversions_value.
AdDay = tuple[int, int, int, float, float]
# A sum of ad group days with the two-decimal measures in exact hundredths, so that any grouping
# of the sum gives the same total (float sums depend on their order).
AdTotal = tuple[int, int, int, int, int]

_FOUR = struct.Struct("<4Q")
_SEVEN = struct.Struct("<7Q")
# Multiplying by a power of two is exact, so this gives the very floats `v / 2**64` gives, 4x faster.
_UNIT = 2.0**-64


@dataclass(frozen=True)
class DayKey:
    """What the ad model needs of a day, computed once per day rather than once per ad group."""

    day: date
    iso: str
    hash_suffix: bytes
    weekday_factor: float


@lru_cache(maxsize=8192)
def day_key(day: date) -> DayKey:
    iso = day.isoformat()
    return DayKey(day, iso, iso.encode(), _weekday_factor(day))


@dataclass
class World:
    """Settings that shape the world.

    `ad_group_scale` splits every campaign into that many times more ad groups, for benchmarks:
    rows multiply while campaign totals (and the GA4 traffic and CRM records derived from them)
    stay about the same.
    """

    today: date = field(default_factory=lambda: datetime.now(UTC).date())
    history_days: int = 400
    ad_group_scale: int = 1
    negative_spend: bool = False

    @property
    def start(self) -> date:
        return self.today - timedelta(days=self.history_days)

    def accounts(self) -> tuple[Account, ...]:
        return ACCOUNTS

    def account(self, customer_id: str) -> Account | None:
        return next((a for a in ACCOUNTS if a.customer_id == customer_id), None)

    def ad_group_ids(self, campaign: Campaign) -> list[str]:
        return list(_ad_group_ids(campaign.campaign_id, campaign.ad_group_count * self.ad_group_scale))

    def ad_group_name(self, campaign: Campaign, index: int) -> str:
        return f"{campaign.name} | Ad group {index}"

    def in_history(self, day: date) -> bool:
        return self.start <= day < self.today

    def ad_metrics(self, account: Account, campaign: Campaign, ad_group_id: str, day: date) -> AdMetrics | None:
        """One ad group's day. None where it served nothing: the API omits all-zero rows."""
        for _, values in self.ad_group_days(account, campaign, ad_group_id, [day_key(day)]):
            return AdMetrics(*values)
        return None

    def ad_group_days(self, account: Account, campaign: Campaign, ad_group_id: str,
                      days: Iterable[DayKey]) -> Iterator[tuple[DayKey, AdDay]]:
        """The days an ad group served, in the order given. The one place ad metrics are made.

        Benchmarks read millions of these, so the per-day work is kept to one hash and plain
        arithmetic on locals.
        """
        share = 1.0 / (campaign.ad_group_count * self.ad_group_scale)
        volume = campaign.base_impressions * share
        ctr, cpc = campaign.ctr, campaign.cpc
        cvr, value = campaign.conversion_rate, campaign.value_per_conversion
        prefix = f"ads|{account.customer_id}|{campaign.campaign_id}|{ad_group_id}|".encode()
        start, today = self.start, self.today
        negative_day = (self.today - timedelta(days=1) if self.negative_spend and account is ACCOUNTS[0]
                        and campaign is ACCOUNTS[0].campaigns[0] else None)
        # At scale 1 volumes are large and rounded as they always were (tests pin those values).
        # Split finer, an ad group's day is a few impressions, a fraction of a click and of a
        # hundredth of a conversion, which truncation would zero: three more uniforms round them
        # up or down without bias instead, so campaign totals hold at any scale.
        smooth = self.ad_group_scale != 1
        unpack, size = (_SEVEN.unpack, 56) if smooth else (_FOUR.unpack, 32)
        blake2b = hashlib.blake2b
        r5 = r6 = 0.0
        for key in days:
            day = key.day
            if not start <= day < today:
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
            yield key, (impressions, clicks, cost_micros, conversions, round(conversions * value, 2))

    def campaign_day(self, account: Account, campaign: Campaign, day: date) -> AdTotal | None:
        """The sum of a campaign's ad group days; None when none served. Memoized."""
        if not self.in_history(day):
            return None
        month = _campaign_month(self.ad_group_scale, self.today if self.negative_spend else None,
                                account.customer_id, campaign.campaign_id, day.year, day.month)
        return month[day.day - 1]

    def campaign_clicks(self, account: Account, campaign: Campaign, day: date) -> int:
        total = self.campaign_day(account, campaign, day)
        return total[1] if total else 0

    # --- GA4 -------------------------------------------------------------------------------
    def web_rows(self, day: date) -> list[dict]:
        """GA4 rows for one day, keyed by the report's dimensions."""
        if not self.in_history(day):
            return []
        rows = []
        for account in ACCOUNTS:
            for campaign in account.campaigns:
                clicks = self.campaign_clicks(account, campaign, day)
                if clicks == 0:
                    continue
                medium = "cpc" if campaign.channel_type in ("SEARCH", "SHOPPING", "PERFORMANCE_MAX") else "display"
                channel = {"SEARCH": "Paid Search", "SHOPPING": "Paid Shopping", "PERFORMANCE_MAX": "Cross-network",
                           "DISPLAY": "Display", "VIDEO": "Paid Video"}[campaign.channel_type]
                rows.append(self._web_row(day, "google", medium, campaign.utm_campaign, channel,
                                          clicks, campaign.value_per_conversion))
        for source, medium, name, channel, base in UNPAID_TRAFFIC:
            scaled = int(base * (0.8 + 0.4 * _uniforms("web", source, day.isoformat())[0]) * _weekday_factor(day))
            rows.append(self._web_row(day, source, medium, name, channel, scaled, 75.0, paid=False))
        return rows

    def _web_row(self, day: date, source: str, medium: str, campaign: str, channel: str, volume: int,
                 order_value: float, paid: bool = True) -> dict:
        u1, u2, u3, u4 = _uniforms("ga4", source, medium, campaign, day.isoformat())
        sessions = int(volume * (0.82 + 0.1 * u1)) if paid else volume
        users = int(sessions * (0.78 + 0.1 * u2))
        new_users = int(users * (0.55 + 0.2 * u3))
        engaged = int(sessions * (0.5 + 0.2 * u4))
        key_events = int(sessions * 0.035 * (0.5 + u1))
        revenue = round(key_events * 0.4 * order_value, 2)
        return {
            "date": day, "sessionSource": source, "sessionMedium": medium, "sessionCampaignName": campaign,
            "sessionDefaultChannelGroup": channel, "sessions": sessions, "totalUsers": users, "newUsers": new_users,
            "engagedSessions": engaged, "keyEvents": key_events, "totalRevenue": revenue,
        }

    # --- HubSpot ---------------------------------------------------------------------------
    def contacts_for_day(self, day: date) -> list[Contact]:
        return list(_contacts_for_day(self.today, self.history_days, self.ad_group_scale, day))

    def contacts(self) -> list[Contact]:
        out: list[Contact] = []
        day = self.start
        while day < self.today:
            out.extend(self.contacts_for_day(day))
            day += timedelta(days=1)
        return out

    def deal_for(self, contact: Contact) -> Deal | None:
        return _deal_for(self.today, contact)

    def deals(self) -> list[Deal]:
        return [d for c in self.contacts() if (d := self.deal_for(c)) is not None]

    def now(self) -> datetime:
        return datetime.combine(self.today, datetime.min.time(), tzinfo=UTC)


@lru_cache(maxsize=64)
def _ad_group_ids(campaign_id: str, count: int) -> tuple[str, ...]:
    return tuple(f"{campaign_id[-4:]}{i:06d}" for i in range(1, count + 1))


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


# Campaign totals feed the Ads campaign report, GA4 traffic and CRM leads: at benchmark scale a
# day sums thousands of ad groups, so each campaign day is summed once. They are summed a calendar
# month at a time, one pass per ad group over the month, which costs a third of a pass per ad group
# per day. A served day does not depend on the world's today or history, only the negative-spend
# day does, so worlds that differ in those alone (a benchmark moving today on) share the sums.
# 9 campaigns x 37 months of small tuples per scale.
@lru_cache(maxsize=4096)
def _campaign_month(scale: int, negative_spend_today: date | None, customer_id: str, campaign_id: str,
                    year: int, month: int) -> tuple[AdTotal | None, ...]:
    first = date(year, month, 1)
    keys = [day_key(first + timedelta(days=i)) for i in range(calendar.monthrange(year, month)[1])]
    # A world whose history holds the month (up to its today, with negative spend).
    today = negative_spend_today or keys[-1].day + timedelta(days=1)
    world = World(today=today, history_days=max((today - first).days, 0), ad_group_scale=scale,
                  negative_spend=negative_spend_today is not None)
    account = next(a for a in ACCOUNTS if a.customer_id == customer_id)
    campaign = next(c for c in account.campaigns if c.campaign_id == campaign_id)
    totals: list[AdTotal | None] = [None] * len(keys)
    for ad_group_id in world.ad_group_ids(campaign):
        for key, values in world.ad_group_days(account, campaign, ad_group_id, keys):
            at = key.day.day - 1
            totals[at] = add_to_total(totals[at], values)
    return tuple(totals)


def _utc(day: date, seconds: float) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(seconds=int(seconds))


@lru_cache(maxsize=4096)
def _contacts_for_day(today: date, history_days: int, scale: int, day: date) -> tuple[Contact, ...]:
    world = World(today=today, history_days=history_days, ad_group_scale=scale)
    if not world.in_history(day):
        return ()
    contacts: list[Contact] = []
    ordinal = (day - date(2000, 1, 1)).days
    seq = 0

    def add(source: str, d1: str, d2: str, url: str, utm: str | None) -> None:
        nonlocal seq
        seq += 1
        cid = str(ordinal * 1000 + seq)
        u1, u2, u3, _ = _uniforms("contact", cid)
        created = _utc(day, u1 * 86399)
        updated = created + timedelta(hours=1 + int(u2 * 40))
        now = world.now()
        updated = min(updated, now - timedelta(seconds=1))
        first = ("Ada", "Linus", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret")[int(u3 * 8)]
        contacts.append(Contact(cid, f"lead{cid}@example.com", first, f"Lead{cid}", created, updated,
                                source, d1, d2, url, utm))

    for account in ACCOUNTS:
        for campaign in account.campaigns:
            clicks = world.campaign_clicks(account, campaign, day)
            leads = int(clicks * 0.02 * (0.5 + _uniforms("leads", campaign.campaign_id, day.isoformat())[0]))
            source = "PAID_SEARCH" if campaign.channel_type in ("SEARCH", "SHOPPING", "PERFORMANCE_MAX") else "PAID_SOCIAL" \
                if campaign.channel_type == "VIDEO" else "OTHER_CAMPAIGNS"
            medium = "cpc" if source == "PAID_SEARCH" else "display"
            for _ in range(leads):
                url = (f"https://www.acme-outdoor.example/landing?utm_source=google&utm_medium={medium}"
                       f"&utm_campaign={campaign.utm_campaign}")
                add(source, campaign.utm_campaign, "google", url, campaign.utm_campaign)
    organic = int(6 * _uniforms("organic", day.isoformat())[0])
    for _ in range(organic):
        add("ORGANIC_SEARCH", "google", "", "https://www.acme-outdoor.example/blog/tent-guide", None)
    for _ in range(int(3 * _uniforms("direct", day.isoformat())[0])):
        add("DIRECT_TRAFFIC", "", "", "https://www.acme-outdoor.example/", None)
    return tuple(contacts)


_CURRENCY_BY_UTM = {c.utm_campaign: a.currency_code for a in ACCOUNTS for c in a.campaigns}


def _deal_for(today: date, contact: Contact) -> Deal | None:
    u1, u2, u3, u4 = _uniforms("deal", contact.contact_id)
    # A quarter of leads open a deal and about half of those close won: ROAS lands between 1.5 and 7.
    if u1 > 0.25:
        return None
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    created = contact.created_at + timedelta(days=1 + int(u2 * 10), hours=3)
    if created >= now:
        return None
    close = created + timedelta(days=5 + int(u3 * 30))
    amount = round(300 + u4 * 1700, 2)
    currency = _CURRENCY_BY_UTM.get(contact.utm_campaign or "", "USD")
    if close < now:
        won = u4 < 0.55
        stage, closed, close_date, updated = ("closedwon" if won else "closedlost"), True, close, close
    else:
        won, stage, closed, close_date = False, ("qualifiedtobuy" if u3 < 0.5 else "presentationscheduled"), False, close
        updated = created + timedelta(hours=2)
    return Deal(f"9{contact.contact_id}", f"Acme order {contact.contact_id}", contact.contact_id, created,
                min(updated, now - timedelta(seconds=1)), close_date, stage, f"{amount:.2f}", currency, closed, won)
