"""The CRM of a Salesforce org: another company's records, made from the same paid campaigns.

Every paid campaign of the catalogue is a Salesforce Campaign named by its utm_campaign (platforms
that share a utm_campaign share the Campaign). Its clicks bring Leads, each a member of that
Campaign (some also of a second one, later); some Leads convert, which creates a Contact, and most
converted Leads open an Opportunity with the Contact in a primary contact role, priced in the
currency of the campaign's ad account. A few Opportunities were deleted (they and their contact
roles sit in the recycle bin, `IsDeleted`). Organic web Leads belong to no Campaign.

Its dice are its own (`sf-*` keys), so it is not HubSpot's contacts renamed. Ids are 18 characters
with Salesforce's key prefixes, numbered by the day a Lead was created and its order that day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from sandbox.world import ads
from sandbox.world.core import World, uniforms, utc

# The org's own currency: Opportunities of Leads that no campaign brought are priced in it.
ORG_CURRENCY = "USD"
ORG_ID = "00D000000000001AAA"
CAMPAIGN_TYPE = "Advertisement"
ORGANIC_SOURCE = "Web"
CONVERTED_STATUS = "Closed - Converted"
OPEN_STATUSES = ("Open - Not Contacted", "Working - Contacted", "Closed - Not Converted")
OPEN_STAGES = ("Prospecting", "Qualification", "Proposal/Price Quote")

# Key prefixes of the standard objects, the first three characters of their ids.
PREFIX = {"Account": "001", "Contact": "003", "Opportunity": "006", "Lead": "00Q", "Campaign": "701",
          "CampaignMember": "00v", "OpportunityContactRole": "00K"}


def record_id(object_name: str, number: int, suffix: str = "") -> str:
    """An 18-character id: the object's key prefix, the number, and a fixed case-safe suffix."""
    body = f"{number:0{12 - len(suffix)}d}{suffix}"
    return f"{PREFIX[object_name]}{body}AAA"


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    type: str
    status: str
    start_date: date
    end_date: date | None
    created_at: datetime
    modstamp: datetime


@dataclass(frozen=True)
class Lead:
    id: str
    email: str
    first_name: str
    last_name: str
    lead_source: str
    status: str
    is_converted: bool
    converted_contact_id: str | None
    created_at: datetime
    modstamp: datetime


@dataclass(frozen=True)
class Contact:
    id: str
    email: str
    first_name: str
    last_name: str
    lead_source: str
    created_at: datetime
    modstamp: datetime


@dataclass(frozen=True)
class Opportunity:
    id: str
    name: str
    account_id: str
    amount: Decimal
    currency_code: str
    stage: str
    is_closed: bool
    is_won: bool
    close_date: date
    created_at: datetime
    modstamp: datetime
    is_deleted: bool
    campaign_id: str | None
    lead_source: str


@dataclass(frozen=True)
class CampaignMember:
    id: str
    campaign_id: str
    lead_id: str
    contact_id: str | None
    status: str
    has_responded: bool
    first_responded_date: date | None
    created_at: datetime
    modstamp: datetime


@dataclass(frozen=True)
class ContactRole:
    id: str
    opportunity_id: str
    contact_id: str
    role: str
    is_primary: bool
    created_at: datetime
    modstamp: datetime
    is_deleted: bool


@dataclass(frozen=True)
class Org:
    """Every record of the org, each object's in id order."""

    campaigns: tuple[Campaign, ...]
    leads: tuple[Lead, ...]
    contacts: tuple[Contact, ...]
    opportunities: tuple[Opportunity, ...]
    members: tuple[CampaignMember, ...]
    roles: tuple[ContactRole, ...]


@dataclass(frozen=True)
class _Day:
    leads: tuple[Lead, ...]
    contacts: tuple[Contact, ...]
    opportunities: tuple[Opportunity, ...]
    members: tuple[CampaignMember, ...]
    roles: tuple[ContactRole, ...]


def org(world: World) -> Org:
    return _org(world.today, world.history_days, world.ad_group_scale, ads.paid_campaigns())


def campaigns(world: World) -> tuple[Campaign, ...]:
    return _campaigns(world.start, ads.paid_campaigns())


@lru_cache(maxsize=8)
def _org(today: date, history_days: int, scale: int, paid: tuple[ads.PaidCampaign, ...]) -> Org:
    world = World(today=today, history_days=history_days, ad_group_scale=scale)
    days = [_day(today, history_days, scale, paid, day) for day in world.days()]
    return Org(
        campaigns=_campaigns(world.start, paid),
        leads=tuple(x for d in days for x in d.leads),
        contacts=tuple(x for d in days for x in d.contacts),
        opportunities=tuple(x for d in days for x in d.opportunities),
        members=tuple(sorted((x for d in days for x in d.members), key=lambda m: m.id)),
        roles=tuple(x for d in days for x in d.roles),
    )


@lru_cache(maxsize=8)
def _campaigns(start: date, paid: tuple[ads.PaidCampaign, ...]) -> tuple[Campaign, ...]:
    names = list(dict.fromkeys(p.campaign.utm_campaign for p in paid))
    created = datetime.combine(start, datetime.min.time(), tzinfo=UTC) + timedelta(hours=8)
    return tuple(Campaign(record_id("Campaign", i), name, CAMPAIGN_TYPE, "In Progress", start, None, created, created)
                 for i, name in enumerate(names, start=1))


def _campaign_ids(start: date, paid: tuple[ads.PaidCampaign, ...]) -> dict[str, str]:
    return {c.name: c.id for c in _campaigns(start, paid)}


@lru_cache(maxsize=4096)
def _day(today: date, history_days: int, scale: int, paid: tuple[ads.PaidCampaign, ...], day: date) -> _Day:
    world = World(today=today, history_days=history_days, ad_group_scale=scale)
    now = world.now()
    latest = now - timedelta(seconds=1)
    campaign_ids = _campaign_ids(world.start, paid)
    all_campaigns = list(campaign_ids.values())
    leads: list[Lead] = []
    contacts: list[Contact] = []
    opportunities: list[Opportunity] = []
    members: list[CampaignMember] = []
    roles: list[ContactRole] = []
    number = (day - date(2000, 1, 1)).days * 1000

    def add(source: str, campaign_id: str | None, currency: str) -> None:
        nonlocal number
        number += 1
        lead_id = record_id("Lead", number)
        u = uniforms("sf-lead", lead_id, n=8)
        created = utc(day, u[0] * 86399)
        converted_at = created + timedelta(hours=24 + int(u[2] * 96))
        converted = u[1] < 0.35 and converted_at < now
        first = ("Ada", "Linus", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret")[int(u[3] * 8)]
        last = f"Prospect{number}"
        email = f"prospect{number}@example.org"
        contact_id = record_id("Contact", number) if converted else None
        if converted:
            status, modstamp = CONVERTED_STATUS, converted_at
            contacts.append(Contact(contact_id, email, first, last, source, converted_at, converted_at))
        else:
            status = OPEN_STATUSES[int(u[4] * len(OPEN_STATUSES))]
            modstamp = min(created + timedelta(minutes=5 + int(u[5] * 600)), latest)
        leads.append(Lead(lead_id, email, first, last, source, status, converted, contact_id, created, modstamp))
        if campaign_id is not None:
            touched = converted_at if converted else created
            members.append(CampaignMember(record_id("CampaignMember", number, "0"), campaign_id, lead_id, contact_id,
                                          "Responded", True, created.date(), created, touched))
            v = uniforms("sf-second-touch", lead_id)
            later = created + timedelta(hours=1 + int(v[1] * 20))
            other = all_campaigns[int(v[2] * len(all_campaigns))]
            # Another campaign reaches some leads before they convert: not their first touch.
            if v[0] < 0.15 and other != campaign_id and later < now:
                members.append(CampaignMember(record_id("CampaignMember", number, "1"), other, lead_id, contact_id,
                                              "Sent", False, None, later, converted_at if converted else later))
        if converted and u[6] < 0.6:
            opportunities.append(_opportunity(number, contact_id, campaign_id, source, currency, converted_at, now))
            opp = opportunities[-1]
            roles.append(ContactRole(record_id("OpportunityContactRole", number), opp.id, contact_id,
                                     "Decision Maker", True, opp.created_at,
                                     opp.modstamp if opp.is_deleted else opp.created_at, opp.is_deleted))

    if world.in_history(day):
        for p in paid:
            clicks = ads.campaign_clicks(world, p.account, p.campaign, day)
            count = int(clicks * 0.015 * (0.5 + uniforms("sf-leads", p.campaign.campaign_id, day.isoformat())[0]))
            for _ in range(count):
                add(p.attribution.source, campaign_ids[p.campaign.utm_campaign], p.account.currency_code)
        for _ in range(int(5 * uniforms("sf-organic", day.isoformat())[0])):
            add(ORGANIC_SOURCE, None, ORG_CURRENCY)
    return _Day(tuple(leads), tuple(contacts), tuple(opportunities), tuple(members), tuple(roles))


def _opportunity(number: int, contact_id: str, campaign_id: str | None, source: str, currency: str,
                 converted_at: datetime, now: datetime) -> Opportunity:
    opp_id = record_id("Opportunity", number)
    u = uniforms("sf-opportunity", opp_id, n=6)
    created = converted_at + timedelta(minutes=1)
    close = (created + timedelta(days=5 + int(u[0] * 30))).date()
    amount = Decimal(f"{500 + u[1] * 4500:.2f}")
    latest = now - timedelta(seconds=1)
    if close < now.date():
        won = u[2] < 0.5
        stage, closed = ("Closed Won" if won else "Closed Lost"), True
        modstamp = min(datetime.combine(close, datetime.min.time(), tzinfo=UTC) + timedelta(hours=10), latest)
    else:
        won, closed = False, False
        stage = OPEN_STAGES[int(u[3] * len(OPEN_STAGES))]
        modstamp = min(created + timedelta(hours=2), latest)
    deleted = u[4] < 0.03
    if deleted:
        modstamp = min(modstamp + timedelta(hours=1 + int(u[5] * 48)), latest)
    return Opportunity(opp_id, f"Acme Outdoor order {number}", record_id("Account", number), amount, currency,
                       stage, closed, won, close, created, modstamp, deleted, campaign_id, source)
