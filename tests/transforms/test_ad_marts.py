"""Ad-level and URL marts on the hand-computed fixture (tests/transforms/fixtures/google_ads.sql), on
DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.transforms.fixture import KPI_SOURCES, build_fixture
from transforms.models import CANDIDATE_SCHEMA
from warehouse import Warehouse

DAY = date(2026, 1, 1)
SOURCES = (*KPI_SOURCES, "facebook_ads", "linkedin_ads")


@pytest.fixture(scope="module")
def built(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    warehouse = build_fixture(module_warehouse_url, tmp_path_factory.mktemp("seeds"), SOURCES)
    yield warehouse
    warehouse.dispose()


def test_google_ads_without_a_name_are_named_by_type_and_id(built: Warehouse):
    rows = built.rows("SELECT ad_id, ad_name, ad_status, landing_url FROM staging.stg_google_ads__ads ORDER BY ad_id")
    assert [tuple(r) for r in rows] == [
        ("ad1", "responsive search ad ad1", "ENABLED",
         "https://Shop.Example.com/brand/?ref=x&utm_source=google&utm_medium=cpc"),
        ("ad2", "Brand banner", "ENABLED", "https://shop.example.com:8443/sale/tents?utm_source=google"
                                           "&utm_campaign=brand%20search&utm_term=tents&utm_content=banner&utm_source=again"),
        ("ad3", "responsive display ad ad3", "PAUSED", "https://shop.example.de?utm_source=google&utm_medium=display"),
        ("ad4", "shopping product ad ad4", "ENABLED", None),
    ]


def test_ad_performance_covers_google_ads_split_of_their_ad_group(built: Warehouse):
    rows = built.rows(
        "SELECT platform, account_name, campaign_key, ad_group_id, ad_id, ad_name, currency_code, spend, clicks, "
        f"conversions_value, spend_reporting FROM {CANDIDATE_SCHEMA}.ad_performance_daily "
        "WHERE platform = 'google_ads' ORDER BY ad_id")
    assert [tuple(r) for r in rows] == [
        ("google_ads", "Acct US", "brand_search", "ag1", "ad1", "responsive search ad ad1", "USD",
         Decimal("15.000000"), 30, 300.0, Decimal("15.000000")),
        ("google_ads", "Acct US", "brand_search", "ag1", "ad2", "Brand banner", "USD", Decimal("10.000000"), 20, 200.0,
         Decimal("10.000000")),
        # 10 EUR at the 1.10 of 2025-12-31 that the holiday carries.
        ("google_ads", "Acct DE", "autumn_promo", "ag2", "ad3", "responsive display ad ad3", "EUR",
         Decimal("10.000000"), 20, 0.0, Decimal("11.000000")),
    ]
    # The ads of ag1 add up to its ad group row.
    assert built.rows(f"SELECT sum(spend), sum(impressions), sum(clicks) FROM {CANDIDATE_SCHEMA}.ad_performance_daily "
                      "WHERE ad_group_id = 'ag1'") == [(Decimal("25.000000"), 1000, 50)]


def test_url_performance_takes_the_landing_url_apart(built: Warehouse):
    columns = ("ad_id", "base_url", "url_host", "url_path", "utm_source", "utm_medium", "utm_campaign", "utm_content",
               "utm_term", "spend", "spend_reporting", "impressions")
    rows = built.rows(f"SELECT {', '.join(columns)} FROM {CANDIDATE_SCHEMA}.url_performance_daily "
                      f"WHERE date_day = DATE '{DAY}' AND platform = 'google_ads' ORDER BY ad_id")
    assert [dict(zip(columns, r, strict=True)) for r in rows] == [
        # The ad group's suffix, not the campaign's; the host lower case.
        dict(ad_id="ad1", base_url="https://Shop.Example.com/brand/", url_host="shop.example.com", url_path="brand/",
             utm_source="google", utm_medium="cpc", utm_campaign=None, utm_content=None, utm_term=None,
             spend=Decimal("15.000000"), spend_reporting=Decimal("15.000000"), impressions=600),
        # Port dropped from the host; the encoded value as written; the first of a repeated parameter.
        dict(ad_id="ad2", base_url="https://shop.example.com:8443/sale/tents", url_host="shop.example.com",
             url_path="sale/tents", utm_source="google", utm_medium=None, utm_campaign="brand%20search",
             utm_content="banner", utm_term="tents", spend=Decimal("10.000000"), spend_reporting=Decimal("10.000000"),
             impressions=400),
        # A site root has no path.
        dict(ad_id="ad3", base_url="https://shop.example.de", url_host="shop.example.de", url_path=None,
             utm_source="google", utm_medium="display", utm_campaign=None, utm_content=None, utm_term=None,
             spend=Decimal("10.000000"), spend_reporting=Decimal("11.000000"), impressions=2000),
    ]
    # Every ad with a URL is there, and only those: the same days as the ad mart, less the URL-less ads.
    assert built.scalar(f"SELECT count(*) FROM {CANDIDATE_SCHEMA}.url_performance_daily "
                        "WHERE platform = 'google_ads'") == 3


def test_meta_ads_land_on_their_creatives_link_with_its_url_tags(built: Warehouse):
    rows = built.rows(f"SELECT ad_id, ad_group_name, landing_url, url_host, url_path, utm_source, utm_medium, "
                      f"utm_campaign, spend, spend_reporting FROM {CANDIDATE_SCHEMA}.url_performance_daily "
                      "WHERE platform = 'facebook_ads'")
    # a2 promotes a post: it has no link, so no row. a1's dynamic parameter is kept as written.
    assert [tuple(r) for r in rows] == [
        ("a1", "Summer Social | UK | Ad set 1", "https://shop.example.co.uk/summer/?utm_source=facebook"
         "&utm_medium=paid_social&utm_campaign={{campaign.name}}", "shop.example.co.uk", "summer/", "facebook",
         # 10 GBP at 1.10 USD and 0.85 GBP per EUR (2025-12-31, carried into the holiday): 12.9411764...
         "paid_social", "{{campaign.name}}", Decimal("10.000000"), Decimal("12.941176")),
    ]


def test_linkedin_text_ads_land_on_their_landing_page_and_sponsored_content_has_no_row(built: Warehouse):
    rows = built.rows(f"SELECT ad_id, campaign_id, ad_group_id, ad_group_name, url_host, url_path, utm_campaign, spend, "
                      f"spend_reporting FROM {CANDIDATE_SCHEMA}.url_performance_daily WHERE platform = 'linkedin_ads'")
    assert [tuple(r) for r in rows] == [
        # 7.25 EUR at 1.10.
        ("800201", "600", "7002", "Summer Sale | US | Ad group 2", "b2b.example.com", "summer", "summer_sale_us",
         Decimal("7.250000"), Decimal("7.975000")),
    ]
