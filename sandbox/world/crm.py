"""The CRM domain: contacts from every ad platform's paid clicks plus organic and direct visits, and
the deals a quarter of them open; about a third of the customers who win a deal buy again later.
Some contacts come back later through another ad of the network that brought them: that
session is their latest (last) touch; the others' latest touch is their first.

Contact ids number a day's contacts in the order they are made (paid campaigns in catalogue order,
then organic, then direct), so that order is part of every id.

Each contact moves through HubSpot's lifecycle stages as a HubSpot portal moves it: lead when
created, some to marketing- and sales-qualified lead, opportunity when its first deal is created and
customer when a deal closes won, each stage with the time it was entered, and the contact's
last-modified time no earlier than its latest stage change.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache

from sandbox.world import ads
from sandbox.world.core import World, uniforms, utc

SITE = "https://www.acme-outdoor.example"
# Deals of leads no campaign brought are priced in the company's own currency.
HOME_CURRENCY = "USD"


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
    # The latest session: its source and drill-downs as the CRM classifies them, when, and its page.
    latest_source: str
    latest_data_1: str
    latest_data_2: str
    latest_at: datetime
    last_url: str
    lifecycle_stage: str = "lead"
    # When the contact entered each later stage, or None while it has not.
    mql_at: datetime | None = None
    sql_at: datetime | None = None
    opportunity_at: datetime | None = None
    customer_at: datetime | None = None


@dataclass(frozen=True)
class Deal:
    deal_id: str
    name: str
    contact_id: str
    created_at: datetime
    updated_at: datetime
    close_date: datetime | None
    stage: str
    amount: str  # CRMs send amounts as strings
    currency_code: str
    is_closed: bool
    is_won: bool


def contacts_for_day(world: World, day: date) -> list[Contact]:
    return list(_contacts_for_day(world.today, world.history_days, world.ad_group_scale, day))


def contacts(world: World) -> list[Contact]:
    return [contact for day in world.days() for contact in _contacts_for_day(
        world.today, world.history_days, world.ad_group_scale, day)]


def deal_for(world: World, contact: Contact) -> Deal | None:
    """The contact's first deal."""
    return _deal_for(world.today, contact)


def deals_for(world: World, contact: Contact) -> list[Deal]:
    """The contact's deals: its first and the repeat purchases that follow a won one."""
    return list(_deals_for(world.today, contact))


def deals(world: World) -> list[Deal]:
    return [d for c in contacts(world) for d in deals_for(world, c)]


@lru_cache(maxsize=4096)
def _contacts_for_day(today: date, history_days: int, scale: int, day: date) -> tuple[Contact, ...]:
    world = World(today=today, history_days=history_days, ad_group_scale=scale)
    if not world.in_history(day):
        return ()
    made: list[Contact] = []
    ordinal = (day - date(2000, 1, 1)).days
    seq = 0
    paid_campaigns = ads.paid_campaigns()

    def add(source: str, d1: str, d2: str, url: str, utm: str | None, network: str | None) -> None:
        nonlocal seq
        seq += 1
        cid = str(ordinal * 1000 + seq)
        u1, u2, u3, _ = uniforms("contact", cid)
        created = utc(day, u1 * 86399)
        updated = created + timedelta(hours=1 + int(u2 * 40))
        updated = min(updated, world.now() - timedelta(seconds=1))
        first = ("Ada", "Linus", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret")[int(u3 * 8)]
        latest = (source, d1, d2, created, url)
        r1, r2, r3, _ = uniforms("return", cid)
        # About a third come back through another ad of the search engine or network that brought them
        # (retargeting; organic searchers clicking a search ad), before the record was last
        # modified (the visit is what modified it), so a deal opened later sees both touches.
        # Only campaigns of that same source qualify, so a further ad platform changes no return.
        again = [p for p in paid_campaigns if p.attribution.source == network and p.campaign.utm_campaign != utm]
        if r1 < 0.3 and again:
            back = again[int(r2 * len(again))]
            at = created + timedelta(seconds=int((updated - created).total_seconds() * (0.1 + 0.8 * r3)))
            a = back.attribution
            latest = (a.analytics_source, back.campaign.utm_campaign, a.source, at,
                      f"{SITE}/landing?utm_source={a.source}&utm_medium={a.medium}"
                      f"&utm_campaign={back.campaign.utm_campaign}")
        contact = Contact(cid, f"lead{cid}@example.com", first, f"Lead{cid}", created, updated,
                          source, d1, d2, url, utm, *latest)
        made.append(_with_lifecycle(today, contact))

    for paid in paid_campaigns:
        campaign, a = paid.campaign, paid.attribution
        clicks = ads.campaign_clicks(world, paid.account, campaign, day)
        leads = int(clicks * 0.02 * (0.5 + uniforms("leads", campaign.campaign_id, day.isoformat())[0]))
        for _ in range(leads):
            url = (f"{SITE}/landing?utm_source={a.source}&utm_medium={a.medium}"
                   f"&utm_campaign={campaign.utm_campaign}")
            add(a.analytics_source, campaign.utm_campaign, a.source, url, campaign.utm_campaign, a.source)
    organic = int(6 * uniforms("organic", day.isoformat())[0])
    for _ in range(organic):
        add("ORGANIC_SEARCH", "google", "", f"{SITE}/blog/tent-guide", None, "google")
    for _ in range(int(3 * uniforms("direct", day.isoformat())[0])):
        add("DIRECT_TRAFFIC", "", "", f"{SITE}/", None, None)
    return tuple(made)


@cache
def _currency_by_utm() -> dict[str, str]:
    return {p.campaign.utm_campaign: p.account.currency_code for p in ads.paid_campaigns()}


def _deal_for(today: date, contact: Contact) -> Deal | None:
    u1, u2, u3, u4 = uniforms("deal", contact.contact_id)
    # A quarter of leads open a deal and about half of those close won: ROAS lands between 1.5 and 7.
    if u1 > 0.25:
        return None
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    created = contact.created_at + timedelta(days=1 + int(u2 * 10), hours=3)
    if created >= now:
        return None
    close = created + timedelta(days=5 + int(u3 * 30))
    amount = round(300 + u4 * 1700, 2)
    currency = _currency_by_utm().get(contact.utm_campaign or "", HOME_CURRENCY)
    if close < now:
        won = u4 < 0.55
        stage, closed, close_date, updated = ("closedwon" if won else "closedlost"), True, close, close
    else:
        won, stage, closed, close_date = False, ("qualifiedtobuy" if u3 < 0.5 else "presentationscheduled"), False, close
        updated = created + timedelta(hours=2)
    return Deal(f"9{contact.contact_id}", f"Acme order {contact.contact_id}", contact.contact_id, created,
                min(updated, now - timedelta(seconds=1)), close_date, stage, f"{amount:.2f}", currency, closed, won)


# Repeat purchases: after each won deal, the chance of another, the days until it is created (after
# the won deal's close: at least 30, so it closes in a later month) and the chance it closes won.
REPEAT_CHANCE = 0.35
REPEAT_AFTER_DAYS = (30, 120)
REPEAT_WIN_CHANCE = 0.8
MAX_REPEATS = 2


@lru_cache(maxsize=65536)
def _deals_for(today: date, contact: Contact) -> tuple[Deal, ...]:
    first = _deal_for(today, contact)
    if first is None:
        return ()
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    made = [first]
    for n in range(1, MAX_REPEATS + 1):
        previous = made[-1]
        u1, u2, u3, u4 = uniforms("repeat-deal", contact.contact_id, n)
        if not previous.is_won or u1 >= REPEAT_CHANCE:
            break
        low, high = REPEAT_AFTER_DAYS
        created = previous.close_date + timedelta(days=low + int(u2 * (high - low)), hours=2)
        if created >= now:
            break
        close = created + timedelta(days=5 + int(u3 * 30))
        amount = round(200 + u4 * 1200, 2)
        if close < now:
            won = uniforms("repeat-won", contact.contact_id, n)[0] < REPEAT_WIN_CHANCE
            stage, closed, updated = ("closedwon" if won else "closedlost"), True, close
        else:
            won, stage, closed, updated = False, "qualifiedtobuy", False, created + timedelta(hours=2)
        # Numbered after every first deal ("9<contact>"): "8<n><contact>" is one digit longer.
        made.append(Deal(f"8{n}{contact.contact_id}", f"Acme repeat order {n} {contact.contact_id}",
                         contact.contact_id, created, min(updated, now - timedelta(seconds=1)), close, stage,
                         f"{amount:.2f}", first.currency_code, closed, won))
    return tuple(made)


def _with_lifecycle(today: date, contact: Contact) -> Contact:
    """The contact with the lifecycle stages it has reached by `today`: a deal makes it an
    opportunity when created and a customer when first won; without one, dice qualify some leads."""
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    deals = _deals_for(today, contact)
    u1, u2, u3, _ = uniforms("lifecycle", contact.contact_id)
    mql = sql = opportunity = customer = None
    if deals:
        opportunity = deals[0].created_at
        lead_time = opportunity - contact.created_at
        # Whole seconds, as the rest of the world's times (HubSpot sends milliseconds).
        mql = contact.created_at + timedelta(seconds=int(lead_time.total_seconds() * (0.2 + 0.2 * u2)))
        sql = contact.created_at + timedelta(seconds=int(lead_time.total_seconds() * (0.6 + 0.2 * u3)))
        customer = next((d.close_date for d in deals if d.is_won), None)
    elif u1 < 0.4:
        mql = contact.created_at + timedelta(hours=1 + int(u2 * 72))
        if u1 < 0.15:
            sql = mql + timedelta(days=1 + int(u3 * 5))
    reached = [(stage, at) for stage, at in (("marketingqualifiedlead", mql), ("salesqualifiedlead", sql),
                                             ("opportunity", opportunity), ("customer", customer))
               if at is not None and at < now]
    if not reached:
        return contact
    dated = dict(reached)
    latest = max(at for _, at in reached)
    return replace(contact, lifecycle_stage=reached[-1][0], mql_at=dated.get("marketingqualifiedlead"),
                   sql_at=dated.get("salesqualifiedlead"), opportunity_at=dated.get("opportunity"),
                   customer_at=dated.get("customer"),
                   updated_at=min(max(contact.updated_at, latest), now - timedelta(seconds=1)))
