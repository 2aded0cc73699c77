"""A tiny raw world with hand-computed expectations (see EXPECTED_KPIS)."""

from __future__ import annotations

from pathlib import Path

from connectors import registry
from transforms import runner
from transforms.project import project
from warehouse import Warehouse


def raw_ddl(sources: tuple[str, ...] | None = None) -> list[str]:
    """The raw tables of these sources (default: all), created from their specs' declarations."""
    specs = [registry.spec(n) for n in (sources or registry.source_names())]
    return [statement for spec in specs for statement in (
        f"CREATE SCHEMA IF NOT EXISTS {spec.dataset}", *(table.ddl(spec.dataset) for table in spec.tables))]


URL = "https://shop.example/landing?utm_source=google&utm_medium={medium}&utm_campaign={campaign}"

RAW_ROWS = [
    "INSERT INTO raw_google_ads.customers VALUES ('111', 'Acct US', 'USD', 'America/New_York'), ('222', 'Acct DE', 'eur', 'Europe/Berlin')",
    """INSERT INTO raw_google_ads.campaign_stats VALUES
        ('111', 'c1', 'Brand | Search', 'ENABLED', 'SEARCH', DATE '2026-01-01', 1000, 50, 25000000, 25.000000, 5, 500),
        ('111', 'c1', 'Brand | Search', 'ENABLED', 'SEARCH', DATE '2026-01-02', 0, 0, 0, 0, 0, 0),
        ('222', 'c2', 'Promo Herbst', 'ENABLED', 'DISPLAY', DATE '2026-01-01', 2000, 20, 10000000, 10.000000, 0, 0)""",
    """INSERT INTO raw_google_ads.ad_group_stats VALUES
        ('111', 'c1', 'ag1', 'Brand exact', 'ENABLED', DATE '2026-01-01', 1000, 50, 25000000, 25.000000, 5, 500)""",
    """INSERT INTO raw_google_analytics.traffic_daily VALUES
        ('p1', DATE '2026-01-01', 'google', 'cpc', 'brand_search', 'Paid Search', 40, 30, 20, 25, 2, 100, 'USD', 'UTC'),
        ('p1', DATE '2026-01-01', 'google', 'organic', '(organic)', 'Organic Search', 100, 90, 60, 70, 3, 150, 'USD', 'UTC'),
        ('p1', DATE '2026-01-02', 'google', 'cpc', 'brand_search', 'Paid Search', 5, 5, 5, 2, 0, 0, 'USD', 'UTC'),
        ('p1', DATE '2026-01-01', 'google', 'display', 'autumn_promo', 'Display', 10, 9, 9, 4, 1, 20, 'USD', 'UTC')""",
    f"""INSERT INTO raw_hubspot.contacts VALUES
        ('k1', 'a@x', 'A', 'A', TIMESTAMPTZ '2026-01-01 10:00:00+00', TIMESTAMPTZ '2026-01-02 10:00:00+00', 'PAID_SEARCH', 'brand_search', 'google', '{URL.format(medium="cpc", campaign="brand_search")}', false),
        ('k2', 'b@x', 'B', 'B', TIMESTAMPTZ '2026-01-01 12:00:00+00', TIMESTAMPTZ '2026-01-02 10:00:00+00', 'PAID_SEARCH', 'brand_search', 'google', '{URL.format(medium="cpc", campaign="brand_search")}&gclid=x', false),
        ('k3', 'c@x', 'C', 'C', TIMESTAMPTZ '2026-01-01 23:30:00+00', TIMESTAMPTZ '2026-01-02 10:00:00+00', 'PAID_SEARCH', 'Brand Search', 'google', 'https://shop.example/', false),
        ('k4', 'd@x', 'D', 'D', TIMESTAMPTZ '2026-01-01 08:00:00+00', TIMESTAMPTZ '2026-01-02 10:00:00+00', 'ORGANIC_SEARCH', 'google', '', 'https://shop.example/blog', false),
        ('k5', 'e@x', 'E', 'E', TIMESTAMPTZ '2026-01-01 09:00:00+00', TIMESTAMPTZ '2026-01-02 10:00:00+00', 'OTHER_CAMPAIGNS', 'autumn_promo', 'google', '{URL.format(medium="display", campaign="autumn_promo")}', false),
        ('k6', 'f@x', 'F', 'F', TIMESTAMPTZ '2026-01-01 09:00:00+00', TIMESTAMPTZ '2026-01-02 10:00:00+00', 'PAID_SEARCH', 'brand_search', 'google', '{URL.format(medium="cpc", campaign="brand_search")}', true)""",
    """INSERT INTO raw_hubspot.deals VALUES
        ('d1', 'Deal 1', 300, 'USD', 'closedwon', 'default', TIMESTAMPTZ '2026-01-01 11:00:00+00', TIMESTAMPTZ '2026-01-02 15:00:00+00', TIMESTAMPTZ '2026-01-02 15:00:00+00', true, true, false),
        ('d2', 'Deal 2', 999, 'USD', 'closedlost', 'default', TIMESTAMPTZ '2026-01-01 13:00:00+00', TIMESTAMPTZ '2026-01-02 16:00:00+00', TIMESTAMPTZ '2026-01-02 16:00:00+00', true, false, false),
        ('d3', 'Deal 3', 200, 'EUR', 'closedwon', 'default', TIMESTAMPTZ '2026-01-01 23:45:00+00', TIMESTAMPTZ '2026-01-02 17:00:00+00', TIMESTAMPTZ '2026-01-02 17:00:00+00', true, true, false),
        ('d4', 'Deal 4', 50, 'EUR', 'closedwon', 'default', TIMESTAMPTZ '2026-01-01 09:30:00+00', TIMESTAMPTZ '2026-01-01 20:00:00+00', TIMESTAMPTZ '2026-01-01 20:00:00+00', true, true, false),
        ('d5', 'Deal 5', NULL, 'USD', 'qualifiedtobuy', 'default', TIMESTAMPTZ '2026-01-01 09:30:00+00', TIMESTAMPTZ '2026-02-01 00:00:00+00', TIMESTAMPTZ '2026-01-01 09:30:00+00', false, false, false)""",
    "INSERT INTO raw_hubspot.deal_contacts VALUES ('d1', 'k1'), ('d2', 'k2'), ('d3', 'k3'), ('d4', 'k5'), ('d5', 'k4'), ('d1', 'k2')",
]

OVERRIDES_CSV = "platform,campaign_id,campaign_key\ngoogle_ads,c2,autumn_promo\n"

# Hand-computed from the rows above; None where the denominator is 0.
EXPECTED_KPIS = {
    ("2026-01-01", "brand_search"): dict(
        currency_code="USD", spend=25, impressions=1000, clicks=50, conversions=5, sessions=40, leads=3,
        deals_won=0, revenue=0, ctr=0.05, cpc=0.5, cpm=25.0, cpa=5.0, cac=None, roas=0.0, roi=-1.0,
        click_to_session_rate=0.8, lead_to_deal_rate=0.0,
    ),
    ("2026-01-02", "brand_search"): dict(
        currency_code="USD", spend=0, impressions=0, clicks=0, conversions=0, sessions=5, leads=0,
        deals_won=2, deals_won_other_currency=1, revenue=300, ctr=None, cpc=None, cpm=None, cpa=None, cac=0.0,
        roas=None, roi=None, click_to_session_rate=None, lead_to_deal_rate=None,
    ),
    ("2026-01-01", "autumn_promo"): dict(
        currency_code="EUR", spend=10, impressions=2000, clicks=20, conversions=0, sessions=10, leads=1,
        deals_won=1, revenue=50, ctr=0.01, cpc=0.5, cpm=5.0, cpa=None, cac=10.0, roas=5.0, roi=4.0,
        click_to_session_rate=0.5, lead_to_deal_rate=1.0,
    ),
}


ALL = tuple(registry.source_names())


def create_raw(warehouse: Warehouse, sources: tuple[str, ...] = ALL) -> None:
    """The sources' raw tables with the hand-computed rows."""
    datasets = {registry.spec(name).dataset for name in sources}
    warehouse.execute(raw_ddl(sources) + [row for row in RAW_ROWS if row.split()[2].split(".")[0] in datasets])


def build_fixture(url: str, seeds_dir: Path, sources: tuple[str, ...] = ALL, loaded: tuple[str, ...] | None = None) -> Warehouse:
    """The raw fixture of the `loaded` sources (default: all of `sources`), the overrides seeded and
    every model of the `sources` project built."""
    warehouse = Warehouse(url)
    create_raw(warehouse, sources if loaded is None else loaded)
    overrides = seeds_dir / "overrides.csv"
    overrides.write_text(OVERRIDES_CSV)
    runner.load_seed(warehouse, "campaign_key_overrides", overrides)
    for model in project(sources).models:
        runner.build(warehouse, model, {"reporting_currency": "USD"})
    return warehouse
