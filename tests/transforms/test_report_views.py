"""The Fivetran-compatible views over the ad marts, on DuckDB and PostgreSQL: their columns are the
package's, they show the published marts, and they survive (and never break) a publication."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.transforms.fixture import KPI_SOURCES, build_fixture
from transforms import runner
from transforms.models import CANDIDATE_SCHEMA, live_relation
from transforms.project import project
from transforms.publication import publish
from transforms.views import views, views_of
from warehouse import Warehouse

# The columns each model documents, in order, in fivetran/dbt_ad_reporting v2.3.0 (dbt_project.yml
# version '2.3.0'), models/ad_reporting_models.yml.
_ADS_REPORTING_METRICS = ("clicks", "impressions", "spend", "conversions", "conversions_value")
_ACCOUNT = ("source_relation", "date_day", "platform", "account_id", "account_name")
_CAMPAIGN = (*_ACCOUNT, "campaign_id", "campaign_name")
_AD_GROUP = (*_CAMPAIGN, "ad_group_id", "ad_group_name")
PACKAGE_COLUMNS = {
    "ad_reporting__account_report": (*_ACCOUNT, *_ADS_REPORTING_METRICS),
    "ad_reporting__campaign_report": (*_CAMPAIGN, *_ADS_REPORTING_METRICS),
    "ad_reporting__ad_group_report": (*_AD_GROUP, *_ADS_REPORTING_METRICS),
    "ad_reporting__ad_report": (*_AD_GROUP, "ad_id", "ad_name", *_ADS_REPORTING_METRICS),
    "ad_reporting__url_report": (*_AD_GROUP, "base_url", "url_host", "url_path", "utm_source", "utm_medium",
                                 "utm_campaign", "utm_content", "utm_term", *_ADS_REPORTING_METRICS),
}
AD_MARTS = ["campaign_performance_daily", "ad_group_performance_daily", "ad_performance_daily", "url_performance_daily"]
DAY_1, DAY_2 = date(2026, 1, 1), date(2026, 1, 2)


def test_views_declare_the_packages_columns_in_its_order():
    assert {name: view.column_names for name, view in views().items()} == PACKAGE_COLUMNS


@pytest.fixture
def wh(warehouse_url: str, tmp_path: Path) -> Warehouse:
    warehouse = build_fixture(warehouse_url, tmp_path, KPI_SOURCES)
    yield warehouse
    warehouse.dispose()


def _rebuild(wh: Warehouse, name: str) -> None:
    model = next(m for m in project(KPI_SOURCES).models if m.name == name)
    runner.build(wh, model, {"reporting_currency": "USD"})


def test_views_show_the_published_marts_under_the_packages_names(wh: Warehouse):
    publish(wh, AD_MARTS, "run-1", KPI_SOURCES)
    for name, columns in PACKAGE_COLUMNS.items():
        assert tuple(c.name for c in wh.columns("marts", name)) == columns, name
    assert sorted(wh.rows("SELECT * FROM marts.ad_reporting__account_report")) == [
        ("", DAY_1, "google_ads", "111", "Acct US", 50, 1000, Decimal("25.000000"), 5.0, 500.0),
        # 10 EUR at 1.10 USD.
        ("", DAY_1, "google_ads", "222", "Acct DE", 20, 2000, Decimal("11.000000"), 0.0, 0.0),
        ("", DAY_2, "google_ads", "111", "Acct US", 0, 0, Decimal("0.000000"), 0.0, 0.0),
    ]
    assert sorted(wh.rows("SELECT ad_group_id, ad_group_name, ad_id, ad_name, clicks, spend "
                          "FROM marts.ad_reporting__ad_report")) == [
        ("ag1", "Brand exact", "ad1", "responsive search ad ad1", 30, Decimal("15.000000")),
        ("ag1", "Brand exact", "ad2", "Brand banner", 20, Decimal("10.000000")),
        # ag2 has no ad group row that day: the ad keeps its numbers, its ad group has no name.
        ("ag2", None, "ad3", "responsive display ad ad3", 20, Decimal("11.000000")),
    ]
    assert sorted(wh.rows("SELECT ad_group_id, url_host, url_path, utm_source, utm_medium, utm_campaign, clicks, "
                          "impressions, spend FROM marts.ad_reporting__url_report"), key=str) == [
        ("ag1", "shop.example.com", "brand/", "google", "cpc", None, 30, 600, Decimal("15.000000")),
        ("ag1", "shop.example.com", "sale/tents", "google", None, "brand%20search", 20, 400, Decimal("10.000000")),
        ("ag2", "shop.example.de", None, "google", "display", None, 20, 2000, Decimal("11.000000")),
    ]
    assert wh.scalar("SELECT count(*) FROM marts.ad_reporting__campaign_report") == 3
    assert wh.scalar("SELECT count(*) FROM marts.ad_reporting__ad_group_report") == 1


def test_republishing_a_mart_keeps_its_views_even_when_its_columns_change(wh: Warehouse):
    publish(wh, AD_MARTS, "run-1", KPI_SOURCES)
    before = sorted(wh.rows("SELECT * FROM marts.ad_reporting__ad_report"))
    _rebuild(wh, "ad_performance_daily")
    publish(wh, ["ad_performance_daily"], "run-2", KPI_SOURCES)
    assert sorted(wh.rows("SELECT * FROM marts.ad_reporting__ad_report")) == before

    # A mart whose columns change (a new version adds one): PostgreSQL cannot re-point a view that
    # another view reads to other columns, so the publication takes the views down and up again.
    schema, live = live_relation("ad_performance_daily")
    wh.execute([f"CREATE TABLE {CANDIDATE_SCHEMA}.ad_performance_daily AS "
                f"SELECT *, cast('x' as varchar) AS added FROM {schema}.{live}"])
    publish(wh, ["ad_performance_daily"], "run-3", KPI_SOURCES)
    assert "added" in {c.name for c in wh.columns("marts", "ad_performance_daily")}
    assert sorted(wh.rows("SELECT * FROM marts.ad_reporting__ad_report")) == before
    # Only the mart's own views were replaced, in its publication.
    assert [v.name for v in views_of("ad_performance_daily")] == ["ad_reporting__ad_report"]


def test_a_candidate_that_breaks_its_view_is_not_published(wh: Warehouse):
    publish(wh, AD_MARTS, "run-1", KPI_SOURCES)
    before = sorted(wh.rows("SELECT * FROM marts.ad_reporting__campaign_report"))
    schema, live = live_relation("campaign_performance_daily")
    wh.execute([f"CREATE TABLE {CANDIDATE_SCHEMA}.campaign_performance_daily AS "
                f"SELECT date_day, platform, account_id FROM {schema}.{live}"])
    with pytest.raises(Exception, match="spend_reporting|clicks|account_name|campaign"):
        publish(wh, ["campaign_performance_daily"], "run-2", KPI_SOURCES)
    # All of the publication rolled back: the mart, its views and the log as they were.
    assert sorted(wh.rows("SELECT * FROM marts.ad_reporting__campaign_report")) == before
    assert "spend" in {c.name for c in wh.columns("marts", "campaign_performance_daily")}
    assert wh.scalar("SELECT count(*) FROM audit.publications WHERE run_id = 'run-2'") == 0
