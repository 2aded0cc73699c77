"""The web analytics domain: daily sessions from every ad platform's paid clicks, plus unpaid traffic.

Rows are keyed by GA4's dimension and metric names, the vocabulary of this domain's fakes.

Some of those sessions are the CRM's contacts' (the site sets a user property to the contact id once
a visitor fills a form): each contact's first session, by the source that brought it; its return
through another ad, where the CRM records one; and, before a deal is opened, often a visit through
the newsletter. `contact_rows` splits the day's rows by that property; visitors not (yet) known are
GA4's `(not set)`, so the day's totals stay what `rows` says.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

from sandbox.world import ads, crm
from sandbox.world.core import World, uniforms, weekday_factor

# Traffic that no ad account pays for: source, medium, campaign name, channel group, daily volume.
UNPAID_TRAFFIC: tuple[tuple[str, str, str, str, int], ...] = (
    ("google", "organic", "(organic)", "Organic Search", 900),
    ("(direct)", "(none)", "(not set)", "Direct", 500),
    ("newsletter", "email", "autumn_newsletter", "Email", 120),
    ("facebook.com", "referral", "(referral)", "Referral", 80),
)
UNPAID_ORDER_VALUE = 75.0


def rows(world: World, day: date) -> list[dict]:
    """One day's rows, one per source, medium, campaign and channel group."""
    if not world.in_history(day):
        return []
    out = []
    for paid in ads.paid_campaigns():
        clicks = ads.campaign_clicks(world, paid.account, paid.campaign, day)
        if clicks == 0:
            continue
        a = paid.attribution
        out.append(_row(day, a.source, a.medium, paid.campaign.utm_campaign, a.channel_group, clicks,
                        paid.campaign.value_per_conversion))
    for source, medium, name, channel, base in UNPAID_TRAFFIC:
        scaled = int(base * (0.8 + 0.4 * uniforms("web", source, day.isoformat())[0]) * weekday_factor(day))
        out.append(_row(day, source, medium, name, channel, scaled, UNPAID_ORDER_VALUE, paid=False))
    return out


def _row(day: date, source: str, medium: str, campaign: str, channel: str, volume: int, order_value: float,
         paid: bool = True) -> dict:
    u1, u2, u3, u4 = uniforms("ga4", source, medium, campaign, day.isoformat())
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


NOT_SET = "(not set)"
# The unpaid sources a contact's session can come through, as rows() names them.
_ORGANIC = ("google", "organic", "(organic)")
_DIRECT = ("(direct)", "(none)", "(not set)")
_NEWSLETTER = ("newsletter", "email", "autumn_newsletter")
# The chance that a deal is preceded by a newsletter visit, in the day before the deal is opened.
NEWSLETTER_VISIT_CHANCE = 0.6

Visit = tuple[str, str, str, str]  # contact id, source, medium, campaign


def contact_visits(world: World, day: date) -> list[Visit]:
    """The day's sessions of visitors known as CRM (HubSpot) contacts, one per session."""
    return _visits_by_day(world.today, world.history_days, world.ad_group_scale).get(day, [])


def contact_rows(world: World, day: date) -> list[dict]:
    """The day's rows split by the contact id user property, sessions only: each row's sessions of
    known contacts as a row per contact, the rest under (not set). A contact's visit through a
    source with fewer sessions that day than visits is lost, as GA4 would not have counted it."""
    visits: dict[tuple[str, str, str], Counter[str]] = {}
    for contact_id, source, medium, campaign in contact_visits(world, day):
        visits.setdefault((source, medium, campaign), Counter())[contact_id] += 1
    out = []
    for row in rows(world, day):
        key = (row["sessionSource"], row["sessionMedium"], row["sessionCampaignName"])
        left = row["sessions"]
        dims = {d: row[d] for d in ("date", "sessionSource", "sessionMedium", "sessionCampaignName",
                                    "sessionDefaultChannelGroup")}
        for contact_id, count in sorted(visits.pop(key, Counter()).items()):
            count = min(count, left)
            if count:
                out.append({**dims, "contact": contact_id, "sessions": count})
                left -= count
        if left:
            out.append({**dims, "contact": NOT_SET, "sessions": left})
    return out


@lru_cache(maxsize=4)
def _visits_by_day(today: date, history_days: int, scale: int) -> dict[date, list[Visit]]:
    world = World(today=today, history_days=history_days, ad_group_scale=scale)
    by_day: dict[date, list[Visit]] = {}
    for contact in crm.contacts(world):
        for at, source, medium, campaign in _visits(world, contact):
            if world.in_history(at.date()):
                by_day.setdefault(at.date(), []).append((contact.contact_id, source, medium, campaign))
    return by_day


def _visits(world: World, contact: crm.Contact) -> list[tuple[datetime, str, str, str]]:
    out = [(contact.created_at, *_landing(contact.first_url, contact.analytics_source))]
    if contact.latest_at > contact.created_at:
        out.append((contact.latest_at, *_landing(contact.last_url, contact.latest_source)))
    for n, deal in enumerate(crm.deals_for(world, contact)):
        u1, u2, _, _ = uniforms("newsletter-visit", contact.contact_id, n)
        if u1 < NEWSLETTER_VISIT_CHANCE:
            out.append((deal.created_at - timedelta(hours=1 + int(u2 * 20)), *_NEWSLETTER))
    return out


def _landing(url: str, analytics_source: str) -> tuple[str, str, str]:
    """A session's source, medium and campaign as GA4 reads them: the landing page's utm parameters,
    else organic search or direct."""
    query = parse_qs(urlsplit(url).query)
    if "utm_source" in query:
        return query["utm_source"][0], query["utm_medium"][0], query["utm_campaign"][0]
    return _ORGANIC if analytics_source == "ORGANIC_SEARCH" else _DIRECT
