"""A tiny raw world with hand-computed expectations (see EXPECTED_KPIS).

Each source's raw rows are in `fixtures/<source>.sql`, so a new source brings its own. The KPIs
below were worked out by hand from the rows of KPI_SOURCES.
"""

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


OVERRIDES_CSV = "platform,campaign_id,campaign_key\ngoogle_ads,c2,autumn_promo\n"

# Hand-computed from the fixture rows of KPI_SOURCES, in USD; None where the denominator is 0. The
# EUR rates are fixtures/fx_rates.sql's: 1.10 USD per EUR on 2025-12-31, which 2026-01-01 (a TARGET
# holiday) carries, and 1.08 on 2026-01-02.
EXPECTED_KPIS = {
    ("2026-01-01", "brand_search"): dict(
        reporting_currency="USD", spend=25, impressions=1000, clicks=50, conversions=5, sessions=40, leads=3,
        deals_won=0, revenue=0, ctr=0.05, cpc=0.5, cpm=25.0, cpa=5.0, cac=None, roas=0.0, roi=-1.0,
        click_to_session_rate=0.8, lead_to_deal_rate=0.0,
    ),
    # d1 (300 USD) and d3 (200 EUR at 1.08) closed won.
    ("2026-01-02", "brand_search"): dict(
        reporting_currency="USD", spend=0, impressions=0, clicks=0, conversions=0, sessions=5, leads=0,
        deals_won=2, revenue=516, ctr=None, cpc=None, cpm=None, cpa=None, cac=0.0,
        roas=None, roi=None, click_to_session_rate=None, lead_to_deal_rate=None,
    ),
    # 10 EUR of spend and the 50 EUR deal d4, both at the 1.1 carried into the holiday.
    ("2026-01-01", "autumn_promo"): dict(
        reporting_currency="USD", spend=11, impressions=2000, clicks=20, conversions=0, sessions=10, leads=1,
        deals_won=1, revenue=55, ctr=0.01, cpc=0.55, cpm=5.5, cpa=None, cac=11.0, roas=5.0, roi=4.0,
        click_to_session_rate=0.5, lead_to_deal_rate=1.0,
    ),
}


ALL = tuple(registry.source_names())
KPI_SOURCES = ("fx_rates", "google_ads", "google_analytics", "hubspot")
FIXTURES = Path(__file__).parent / "fixtures"


def raw_rows(sources: tuple[str, ...]) -> list[str]:
    """The INSERT statements of the sources' fixture files."""
    chunks = [chunk for name in sources for chunk in (FIXTURES / f"{name}.sql").read_text().split(";\n")]
    return [chunk[chunk.index("INSERT"):].strip() for chunk in chunks if "INSERT" in chunk]


def create_raw(warehouse: Warehouse, sources: tuple[str, ...] = ALL) -> None:
    """The sources' raw tables with their fixture rows."""
    warehouse.execute(raw_ddl(sources) + raw_rows(sources))


def build_fixture(url: str, seeds_dir: Path, sources: tuple[str, ...] = ALL,
                  loaded: tuple[str, ...] | None = None) -> Warehouse:
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
