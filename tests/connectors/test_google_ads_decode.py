"""The column-wise decoder builds exactly what the row-wise one does, and hands odd values to it."""

from __future__ import annotations

import pytest

from connectors.common.errors import ConfigurationError, RecordError
from connectors.google_ads import google_ads_source
from connectors.google_ads.helpers import _exact_table, rows_to_table
from connectors.google_ads.settings import AD_GROUP_STATS, ADS, CUSTOMERS


def _row(i: int, **metrics):
    return {
        "campaign": {"id": str(100 + i)},
        "adGroup": {"id": str(200 + i), "name": f"group {i}", "status": "ENABLED"},
        "segments": {"date": f"2026-01-{i + 1:02d}"},
        "metrics": {"impressions": str(10 * i), "clicks": str(i), "costMicros": str(1_234_567 * i - 5),
                    "conversions": 1.5 * i, "conversionsValue": i, **metrics},
    }


def test_fast_and_exact_paths_agree():
    rows = [_row(i) for i in range(9)]
    rows[2]["metrics"] = {}  # unset metrics are zero
    del rows[3]["adGroup"]["status"]  # an unset enum is UNSPECIFIED
    rows[4]["adGroup"]["name"] = None
    fast = rows_to_table(AD_GROUP_STATS, "123", rows)
    assert fast.equals(_exact_table(AD_GROUP_STATS, "123", rows))
    assert str(fast.column("spend")[1]) == "1.234562"
    customers = [{"customer": {"id": "123", "descriptiveName": "x", "currencyCode": "EUR", "timeZone": "UTC"}}]
    assert rows_to_table(CUSTOMERS, "123", customers).equals(_exact_table(CUSTOMERS, "123", customers))


@pytest.mark.parametrize("value", [12, 12.0, "12"])
def test_values_the_fast_path_declines_still_load(value):
    rows = [_row(1, clicks=value), _row(2)]
    assert rows_to_table(AD_GROUP_STATS, "123", rows).column("clicks").to_pylist() == [12, 2]


@pytest.mark.parametrize(("metrics", "field"), [
    ({"costMicros": "12.5"}, "metrics.costMicros"),
    ({"clicks": True}, "metrics.clicks"),
    ({"conversions": "n/a"}, "metrics.conversions"),
])
def test_bad_values_still_name_record_and_field(metrics, field):
    with pytest.raises(RecordError) as info:
        rows_to_table(AD_GROUP_STATS, "123", [_row(1), _row(2, **metrics)])
    assert info.value.field == field
    assert info.value.record == "customer 123 campaign 102 ad_group 202 date 2026-01-03"


def _ad(i: int, **ad):
    return {"campaign": {"id": "1"}, "adGroup": {"id": "2"},
            "adGroupAd": {"status": "ENABLED", "ad": {"id": str(300 + i), "type": "RESPONSIVE_SEARCH_AD", **ad}}}


def test_an_ads_first_final_url_is_read_and_an_empty_list_is_absent():
    rows = [_ad(1, finalUrls=["https://a.example/x", "https://a.example/y"], name="named"),
            _ad(2),  # proto3 leaves out an empty finalUrls, and an unset name
            _ad(3, finalUrls=["https://a.example/z"], finalUrlSuffix="utm_source=google")]
    fast = rows_to_table(ADS, "123", rows)
    assert fast.equals(_exact_table(ADS, "123", rows))
    assert fast.column("final_url").to_pylist() == ["https://a.example/x", None, "https://a.example/z"]
    assert fast.column("ad_name").to_pylist() == ["named", None, None]
    assert fast.column("final_url_suffix").to_pylist() == [None, None, "utm_source=google"]


def test_final_urls_that_are_not_a_list_name_the_ad():
    with pytest.raises(RecordError) as info:
        rows_to_table(ADS, "123", [_ad(1, finalUrls="https://a.example/x")])
    assert info.value.field == "adGroupAd.ad.finalUrls"
    assert info.value.record == "customer 123 campaign 1 ad_group 2 ad 301"


def test_concurrent_requests_is_checked():
    creds = {"developer_token": "d", "client_id": "c", "client_secret": "s", "refresh_token": "r"}
    with pytest.raises(ConfigurationError, match="concurrent_requests"):
        google_ads_source(customer_ids="1", credentials=creds, concurrent_requests=0)
