"""Spend files' staging on the hand-written raw rows of tests/transforms/fixtures/ad_spend_files.sql,
beside an API platform, on DuckDB and PostgreSQL: the file platforms join the ads marts, summed per
campaign day, known by name where a file has no campaign id, in the reporting currency."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.transforms.fixture import build_fixture
from warehouse import Warehouse


@pytest.fixture(scope="module")
def beside_api(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_fixture(module_warehouse_url, tmp_path_factory.mktemp("seeds"),
                         ("fx_rates", "google_ads", "ad_spend_files"))


def test_file_platforms_join_the_ads_marts_in_the_reporting_currency(beside_api: Warehouse):
    rows = beside_api.rows(
        "SELECT platform, account_id, campaign_id, campaign_key, date_day, currency_code, spend, spend_reporting "
        "FROM marts_candidate.campaign_performance_daily WHERE platform <> 'google_ads' ORDER BY platform")
    assert rows == [
        # No campaign id in the file: the campaign is known by its name. 20 EUR at 1.08 USD per EUR.
        ("microsoft_ads", "ms1", "Brand Search", "brand_search", date(2026, 1, 2), "EUR", Decimal("20.000000"),
         Decimal("21.600000")),
        # Two ad group rows of the day, summed.
        ("tiktok_ads", "tt1", "tc1", "winter_teaser", date(2026, 1, 1), "USD", Decimal("15.000000"),
         Decimal("15.000000")),
    ]
    assert beside_api.rows("SELECT DISTINCT platform FROM marts_candidate.campaign_performance_daily "
                           "ORDER BY platform") == [("google_ads",), ("microsoft_ads",), ("tiktok_ads",)]
