"""Salesforce's staging models on the hand-written raw rows of tests/transforms/fixtures/salesforce.sql,
on DuckDB and PostgreSQL: deleted records leave, converted leads become their contacts, and the first
touch is the earliest live campaign membership."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.transforms.fixture import build_fixture
from warehouse import Warehouse


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def built(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_fixture(module_warehouse_url, tmp_path_factory.mktemp("seeds"), ("fx_rates", "salesforce"))


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def test_contacts_are_live_contacts_and_unconverted_leads_with_their_first_touch(built: Warehouse):
    rows = built.rows("SELECT contact_id, created_at, updated_at, utm_source, utm_medium, utm_campaign, record_type "
                      "FROM staging.stg_salesforce__contacts ORDER BY contact_id")
    assert [(r[0], _utc(r[1]), _utc(r[2]), *r[3:]) for r in rows] == [
        # Converted from l1: created when the lead was; brand_search (09:00) before autumn_promo (15:00).
        ("003c1", at("2026-01-01 09:00"), at("2026-01-02 12:00"), "google", None, "brand_search", "Contact"),
        # Its earlier membership is in a deleted campaign.
        ("003c2", at("2026-01-01 08:00"), at("2026-01-01 08:00"), "facebook", None, "brand_search", "Contact"),
        ("00Ql2", at("2026-01-01 10:00"), at("2026-01-01 10:05"), "google", None, "autumn_promo", "Lead"),
        ("00Ql4", at("2026-01-01 12:00"), at("2026-01-01 12:00"), "Web", None, None, "Lead"),
    ]


def test_deals_leave_out_deleted_opportunities(built: Warehouse):
    rows = built.rows("SELECT deal_id, deal_name, created_at, close_date, stage, pipeline, is_closed, is_won, amount, "
                      "currency_code, updated_at FROM staging.stg_salesforce__deals ORDER BY deal_id")
    assert [(r[0], r[1], _utc(r[2]), _utc(r[3]), *r[4:10], _utc(r[10])) for r in rows] == [
        ("006o1", "Order 1", at("2026-01-01 11:00"), at("2026-01-02 00:00"), "Closed Won", None, True, True,
         Decimal("300.000000"), "USD", at("2026-01-02 15:00")),
        ("006o3", "Order 3", at("2026-01-01 13:00"), at("2026-02-01 00:00"), "Prospecting", None, False, False,
         None, "EUR", at("2026-01-01 15:00")),
    ]


def test_deal_contacts_are_the_live_contact_roles(built: Warehouse):
    assert built.rows("SELECT deal_id, contact_id FROM staging.stg_salesforce__deal_contacts ORDER BY deal_id") == [
        ("006o1", "003c1"), ("006o3", "003c2")]


def test_the_crm_mart_carries_salesforce_deals_attributed_to_their_first_touch(built: Warehouse):
    rows = built.rows("SELECT source_system, deal_id, utm_campaign FROM intermediate.int_deals_attributed "
                      "ORDER BY deal_id")
    assert rows == [("salesforce", "006o1", "brand_search"), ("salesforce", "006o3", "brand_search")]


def test_touchpoints_are_live_memberships_and_the_creation_of_people_no_campaign_reached(built: Warehouse):
    rows = built.rows("SELECT touch_id, contact_id, touched_at, touch_type, utm_source, utm_medium, utm_campaign "
                      "FROM staging.stg_salesforce__touchpoints ORDER BY touch_id")
    assert [(r[0], r[1], _utc(r[2]), *r[3:]) for r in rows] == [
        # The organic lead: its creation, under its LeadSource, with no campaign.
        ("00Ql4:lead_source", "00Ql4", at("2026-01-01 12:00"), "lead_source", "Web", None, None),
        # l1's memberships count for the contact it became, each dated when it was made.
        ("00vm1", "003c1", at("2026-01-01 09:00"), "campaign_member", "google", None, "brand_search"),
        ("00vm2", "003c1", at("2026-01-01 15:00"), "campaign_member", "google", None, "autumn_promo"),
        ("00vm3", "00Ql2", at("2026-01-01 10:00"), "campaign_member", "google", None, "autumn_promo"),
        # 00vm4 is in a deleted campaign (and deleted itself): no touch.
        ("00vm5", "003c2", at("2026-01-01 08:00"), "campaign_member", "facebook", None, "brand_search"),
    ]
