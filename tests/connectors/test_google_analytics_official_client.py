"""Google's own `google-analytics-data` client reads the fake: proof the fake speaks GA4's wire format.

The REST transport takes a scheme in `api_endpoint` (`http://127.0.0.1:port`), sends proto3 JSON
with int64 as strings and numeric enums (`$alt=json;enum-encoding=int`), and refreshes its OAuth
token against the sandbox token endpoint, exactly as it would against Google.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from google.analytics.data_v1beta import BetaAnalyticsDataClient
from google.analytics.data_v1beta.types import DateRange, Dimension, Metric, MetricType, OrderBy, RunReportRequest
from google.api_core import exceptions as gexc
from google.oauth2.credentials import Credentials

from sandbox import google_oauth
from sandbox.google_analytics import CONTACT_DIMENSION, CURRENCY, PROPERTY_ID, TIME_ZONE
from sandbox.server import SandboxServer
from sandbox.world import World, crm, web

END = date(2026, 11, 19)
START = END - timedelta(days=2)
DIMENSIONS = ["date", "sessionSource", "sessionMedium", "sessionCampaignName", "sessionDefaultChannelGroup"]
METRICS = ["sessions", "totalUsers", "newUsers", "engagedSessions", "keyEvents", "totalRevenue"]


@pytest.fixture
def client(sandbox: SandboxServer) -> BetaAnalyticsDataClient:
    creds = Credentials(token=None, refresh_token=google_oauth.REFRESH_TOKEN, token_uri=f"{sandbox.url}/token",
                        client_id=google_oauth.CLIENT_ID, client_secret=google_oauth.CLIENT_SECRET)
    return BetaAnalyticsDataClient(transport="rest", client_options={"api_endpoint": sandbox.url}, credentials=creds)


def request(dimensions=DIMENSIONS, metrics=METRICS, **kwargs) -> RunReportRequest:
    return RunReportRequest(
        property=f"properties/{PROPERTY_ID}",
        date_ranges=[DateRange(start_date=START.isoformat(), end_date=END.isoformat())],
        dimensions=[Dimension(name=d) for d in dimensions],
        metrics=[Metric(name=m) for m in metrics],
        **kwargs,
    )


def world_rows(world: World) -> list[tuple[str, ...]]:
    """The world's rows as GA4 strings, all-zero rows left out (keepEmptyRows defaults to false)."""
    out = []
    day = START
    while day <= END:
        for r in web.rows(world, day):
            if any(r[m] for m in METRICS):
                out.append((day.strftime("%Y%m%d"), *(r[d] for d in DIMENSIONS[1:]),
                            *(str(r[m]) for m in METRICS[:5]), _decimal_text(r["totalRevenue"])))
        day += timedelta(days=1)
    return sorted(out)


def _decimal_text(value: float) -> str:
    """Shortest decimal text, no trailing '.0' (what GA4 sends for currency values)."""
    return str(int(value)) if float(value).is_integer() else repr(round(value, 2))


def as_tuples(rows) -> list[tuple[str, ...]]:
    return [tuple(v.value for v in row.dimension_values) + tuple(v.value for v in row.metric_values) for row in rows]


def test_reads_the_same_rows_and_row_count(client: BetaAnalyticsDataClient, world: World) -> None:
    response = client.run_report(request())
    expected = world_rows(world)
    assert response.row_count == len(expected) > 0
    assert sorted(as_tuples(response.rows)) == expected
    assert [h.name for h in response.dimension_headers] == DIMENSIONS
    assert [(h.name, h.type_) for h in response.metric_headers] == [
        ("sessions", MetricType.TYPE_INTEGER), ("totalUsers", MetricType.TYPE_INTEGER),
        ("newUsers", MetricType.TYPE_INTEGER), ("engagedSessions", MetricType.TYPE_INTEGER),
        ("keyEvents", MetricType.TYPE_FLOAT), ("totalRevenue", MetricType.TYPE_CURRENCY)]
    assert response.metadata.currency_code == CURRENCY
    assert response.metadata.time_zone == TIME_ZONE
    assert response.kind == "analyticsData#runReport"


def test_pages_with_offset_and_limit(client: BetaAnalyticsDataClient, world: World) -> None:
    order = [OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name=d)) for d in DIMENSIONS]
    total = len(world_rows(world))
    pages, offset = [], 0
    while offset < total:
        page = client.run_report(request(offset=offset, limit=5, order_bys=order))
        assert page.row_count == total
        assert len(page.rows) == min(5, total - offset)
        pages.extend(as_tuples(page.rows))
        offset += len(page.rows)
    assert len(pages) == total
    assert pages == sorted(pages)  # ordered by every dimension, so pages neither overlap nor skip
    assert sorted(pages) == world_rows(world)
    past_the_end = client.run_report(request(offset=total, limit=5))
    assert past_the_end.row_count == total and len(past_the_end.rows) == 0


def test_fewer_dimensions_aggregate_and_order_by_metric(client: BetaAnalyticsDataClient, world: World) -> None:
    order = [OrderBy(metric=OrderBy.MetricOrderBy(metric_name="sessions"), desc=True)]
    response = client.run_report(request(dimensions=["date"], metrics=["sessions"], order_bys=order))
    per_day = {}
    day = START
    while day <= END:
        per_day[day.strftime("%Y%m%d")] = str(sum(r["sessions"] for r in web.rows(world, day)))
        day += timedelta(days=1)
    got = [(row.dimension_values[0].value, row.metric_values[0].value) for row in response.rows]
    assert dict(got) == per_day
    assert [int(v) for _, v in got] == sorted((int(v) for v in per_day.values()), reverse=True)


def _status(error: gexc.GoogleAPICallError) -> str:
    return error.response.json()["error"]["status"]


def test_errors_map_to_the_documented_statuses(client: BetaAnalyticsDataClient, sandbox: SandboxServer) -> None:
    # Over REST, api_core picks the exception by HTTP status; the google.rpc status is in the body.
    with pytest.raises(gexc.BadRequest, match="is not a valid dimension") as invalid:
        client.run_report(request(dimensions=["notADimension"]))
    assert _status(invalid.value) == "INVALID_ARGUMENT"
    with pytest.raises(gexc.Forbidden, match="sufficient permissions") as denied:
        client.run_report(RunReportRequest(property="properties/999999", date_ranges=[DateRange(
            start_date="yesterday", end_date="yesterday")], metrics=[Metric(name="sessions")]))
    assert _status(denied.value) == "PERMISSION_DENIED"
    sandbox.state.faults.push("google_analytics", "rate_limit")
    with pytest.raises(gexc.TooManyRequests) as exhausted:
        client.run_report(request(), retry=None)
    assert _status(exhausted.value) == "RESOURCE_EXHAUSTED"


def test_reads_sessions_by_the_contact_id_custom_dimension(client: BetaAnalyticsDataClient, world: World) -> None:
    dimensions = ["date", CONTACT_DIMENSION, "sessionSource", "sessionMedium", "sessionCampaignName"]
    order = [OrderBy(dimension=OrderBy.DimensionOrderBy(dimension_name=d)) for d in dimensions]
    response = client.run_report(request(dimensions=dimensions, metrics=["sessions"], order_bys=order))
    expected: dict[tuple[str, ...], int] = {}
    day = START
    while day <= END:
        for r in web.contact_rows(world, day):
            key = (day.strftime("%Y%m%d"), r["contact"], r["sessionSource"], r["sessionMedium"],
                   r["sessionCampaignName"])
            expected[key] = expected.get(key, 0) + r["sessions"]
        day += timedelta(days=1)
    got = as_tuples(response.rows)
    assert got == sorted((*key, str(n)) for key, n in expected.items())
    assert response.row_count == len(expected)
    assert [h.name for h in response.dimension_headers] == dimensions
    # Known contacts and the (not set) rest add up to the day's sessions: the split invents none.
    assert sum(int(r[-1]) for r in got) == sum(
        r["sessions"] for i in range((END - START).days + 1) for r in web.rows(world, START + timedelta(days=i)))
    known = {r[1] for r in got} - {"(not set)"}
    assert known and known <= {c.contact_id for c in crm.contacts(world)}


def test_an_unregistered_custom_dimension_is_invalid(client: BetaAnalyticsDataClient) -> None:
    with pytest.raises(gexc.BadRequest, match="Field customUser:other_id is not a valid dimension") as invalid:
        client.run_report(request(dimensions=["date", "customUser:other_id"], metrics=["sessions"]))
    assert _status(invalid.value) == "INVALID_ARGUMENT"
    assert invalid.value.response.json()["error"]["code"] == 400
    # The contact id dimension reports sessions only: other metrics by it are refused, not invented.
    with pytest.raises(gexc.BadRequest) as refused:
        client.run_report(request(dimensions=["date", CONTACT_DIMENSION], metrics=["sessions", "totalUsers"]))
    assert _status(refused.value) == "INVALID_ARGUMENT"
