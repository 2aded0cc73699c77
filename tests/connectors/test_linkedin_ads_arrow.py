"""adAnalytics answers decoded straight into Arrow load exactly what the element-by-element reading does."""

from __future__ import annotations

from datetime import date

import orjson

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
