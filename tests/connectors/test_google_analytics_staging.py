"""GA4's contact sessions staging on hand-written raw rows (tests/transforms/fixtures/attribution/
google_analytics.sql), on DuckDB and PostgreSQL; and what stands in where they are absent: a raw
table never loaded (the connector not told the contact id dimension) and a deployment without GA4."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from connectors import registry
from tests.transforms.fixture import raw_ddl
from transforms import runner
from transforms.project import project
from transforms.unions import union_sql
from warehouse import Warehouse

FIXTURE = Path(__file__).parents[1] / "transforms" / "fixtures" / "attribution" / "google_analytics.sql"
STAGING = ("staging", "stg_google_analytics__contact_sessions")


def _model():
    return next(m for m in project(("google_analytics",)).models if m.key == STAGING)


def test_contact_sessions_keep_known_contacts_with_their_source(warehouse_url: str):
    warehouse = Warehouse(warehouse_url)
    inserts = [chunk[chunk.index("INSERT"):].strip() for chunk in FIXTURE.read_text().split(";\n") if "INSERT" in chunk]
    warehouse.execute(raw_ddl(("google_analytics",)) + inserts)
    result = runner.build(warehouse, _model(), {"reporting_currency": "USD"})
    assert result.stood_in == ()
    rows = warehouse.rows("select property_id, contact_source, contact_id, date_day, source, medium, campaign, "
                          "sessions from staging.stg_google_analytics__contact_sessions "
                          "order by contact_source, contact_id, date_day, source")
    # The (not set) visitor (40 sessions) is not a contact; every other row is kept as GA4 reported it.
    assert rows == [
        ("p1", "hubspot", "003s2", date(2026, 4, 11), "google", "cpc", "spring_sale", 1),
        ("p1", "hubspot", "b1", date(2025, 11, 1), "google", "cpc", "old_promo", 1),
        ("p1", "hubspot", "b1", date(2026, 3, 12), "google", "organic", "(organic)", 3),
        ("p1", "hubspot", "b1", date(2026, 3, 12), "newsletter", "email", "spring_news", 1),
        ("p1", "hubspot", "b1", date(2026, 3, 16), "google", "cpc", "spring_sale", 1),
        ("p1", "hubspot", "d1", date(2026, 3, 20), "(direct)", "(none)", "(not set)", 2),
        ("p1", "salesforce", "003s2", date(2026, 4, 11), "google", "cpc", "spring_sale", 1),
        ("p1", "salesforce", "b1", date(2026, 3, 12), "google", "cpc", "spring_sale", 1),
    ]


def test_a_contact_sessions_table_never_loaded_builds_empty_with_its_columns(warehouse_url: str):
    # GA4 loaded its traffic, but contact_sessions was never selected, so raw has no such table.
    warehouse = Warehouse(warehouse_url)
    spec = registry.spec("google_analytics")
    warehouse.execute([f"CREATE SCHEMA IF NOT EXISTS {spec.dataset}", spec.table("traffic_daily").ddl(spec.dataset)])
    result = runner.build(warehouse, _model(), {"reporting_currency": "USD"})
    assert result.stood_in == ("raw_google_analytics.contact_sessions",)
    assert result.row_count == 0
    assert [c.name for c in result.columns] == [
        "property_id", "contact_source", "contact_id", "date_day", "source", "medium", "campaign", "sessions"]


def test_without_ga4_the_union_of_contact_sessions_is_empty_and_typed():
    sql = union_sql("web_analytics", "contact_sessions", [])
    assert sql.endswith("where false)")
    assert "cast(null as varchar) as contact_id" in sql and "cast(null as bigint) as sessions" in sql
    # Attribution still reads it: a CRM alone has the weights model, without any GA4 table.
    crm_only = project(("hubspot",))
    weights = next(m for m in crm_only.models if m.key == ("intermediate", "int_attribution_weights"))
    assert not any(schema == "raw_google_analytics" or "google_analytics" in table for schema, table in weights.deps)
    assert STAGING not in {m.key for m in crm_only.models}
