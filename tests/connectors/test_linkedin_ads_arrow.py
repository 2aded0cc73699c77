"""adAnalytics answers decoded straight into Arrow load exactly what the element-by-element reading does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import orjson
import pytest

from connectors.common.errors import RecordError
from connectors.common.window import DateWindow
from connectors.linkedin_ads.helpers import Answer, Quarantine, _arrow_answer, stats_table


def _element(urn: str, day: int, **metrics) -> dict:
    d = {"year": 2026, "month": 3, "day": day}
    return {"pivotValues": [urn], "dateRange": {"start": d, "end": dict(d)}, **metrics}


def test_arrow_and_json_readings_agree() -> None:
    elements = [
        _element("urn:li:sponsoredCreative:11", 1, impressions=10, clicks=2, costInLocalCurrency="12.50",
                 externalWebsiteConversions=1, conversionValueInLocalCurrency="0.000000000001"),
        _element("22", 2, impressions=3, extra={"ignored": True}),  # a bare id; metrics left out are zero
        _element("urn:li:sponsoredCreative:33", 31, costInLocalCurrency="-1e2"),
    ]
    content = orjson.dumps({"paging": {"start": 0}, "elements": elements})
    answer = _arrow_answer(content)
    assert answer is not None and answer.arrow is not None and len(answer) == 3
    window = DateWindow(date(2026, 3, 1), date(2026, 3, 31))
    fast = stats_table("CREATIVE", "507", answer, Quarantine(), window)
    slow = stats_table("CREATIVE", "507", elements, Quarantine(), window)
    assert fast.equals(slow)


def test_irregular_answers_take_the_element_reading() -> None:
    quarantine = Quarantine()
    elements = [_element("urn:li:sponsoredCreative:11", 1, costInLocalCurrency="12,50 EUR", impressions=5.0)]
    content = orjson.dumps({"elements": elements})
    answer = _arrow_answer(content) or Answer(elements)
    table = stats_table("CREATIVE", "507", answer, quarantine, DateWindow(date(2026, 3, 1), date(2026, 3, 1)))
    assert table.column("impressions").to_pylist() == [5]
    assert table.column("cost_in_local_currency").to_pylist() == [None]
    assert quarantine.take().num_rows == 1


def test_account_answers_read_alike_and_must_be_the_account_asked_about() -> None:
    elements = [
        _element("urn:li:sponsoredAccount:507", 1, impressions=10, clicks=2, costInLocalCurrency="12.50",
                 externalWebsiteConversions=1, conversionValueInLocalCurrency="99.10"),
        _element("urn:li:sponsoredAccount:507", 2, impressions=3),
    ]
    window = DateWindow(date(2026, 3, 1), date(2026, 3, 31))
    answer = _arrow_answer(orjson.dumps({"elements": elements}))
    assert answer is not None and answer.arrow is not None
    fast = stats_table("ACCOUNT", "507", answer, Quarantine(), window)
    assert fast.equals(stats_table("ACCOUNT", "507", elements, Quarantine(), window))
    assert fast.column_names[:2] == ["account_id", "date_day"]
    assert fast.column("account_id").to_pylist() == ["507", "507"]
    assert fast.column("cost_in_local_currency").to_pylist() == [Decimal("12.50"), Decimal(0)]

    other = [_element("urn:li:sponsoredAccount:508", 1, impressions=1)]
    for given in (_arrow_answer(orjson.dumps({"elements": other})), other):
        with pytest.raises(RecordError) as info:
            stats_table("ACCOUNT", "507", given, Quarantine(), window)
        assert info.value.field == "pivotValues" and "not the account asked about" in str(info.value)
