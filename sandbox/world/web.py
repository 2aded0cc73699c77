"""The web analytics domain: daily sessions from every ad platform's paid clicks, plus unpaid traffic.

Rows are keyed by GA4's dimension and metric names, the vocabulary of this domain's fakes.
"""

from __future__ import annotations

from datetime import date

from sandbox.world import ads
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
