"""The raw tables are the contract with the staging SQL and existing warehouses: pinned here, and every
source's resources carry exactly what its table declarations say."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors import registry
from connectors.common.tables import Column, Table
from connectors.google_ads.settings import ENUM, ID, Field, Report

# name -> (columns as DDL, primary key, merge key, disposition, date column)
CONTRACT = {
    "google_ads.customers": (
        "customer_id varchar NOT NULL, descriptive_name varchar, currency_code varchar, time_zone varchar",
        ("customer_id",), (), "merge", None),
    "google_ads.campaign_stats": (
        "customer_id varchar NOT NULL, campaign_id varchar NOT NULL, campaign_name varchar, campaign_status varchar, "
        "advertising_channel_type varchar, date_day date NOT NULL, impressions bigint, clicks bigint, "
        "cost_micros bigint, spend decimal(38, 6), conversions double precision, conversions_value double precision",
        ("customer_id", "campaign_id", "date_day"), ("customer_id", "date_day"), "merge", "date_day"),
    "google_ads.ad_group_stats": (
        "customer_id varchar NOT NULL, campaign_id varchar NOT NULL, ad_group_id varchar NOT NULL, "
        "ad_group_name varchar, ad_group_status varchar, date_day date NOT NULL, impressions bigint, clicks bigint, "
        "cost_micros bigint, spend decimal(38, 6), conversions double precision, conversions_value double precision",
        ("customer_id", "ad_group_id", "date_day"), ("customer_id", "date_day"), "merge", "date_day"),
    "google_analytics.traffic_daily": (
        "property_id varchar NOT NULL, date_day date NOT NULL, session_source varchar NOT NULL, "
        "session_medium varchar NOT NULL, session_campaign_name varchar NOT NULL, "
        "session_default_channel_group varchar NOT NULL, sessions bigint, total_users bigint, new_users bigint, "
        "engaged_sessions bigint, key_events double precision, total_revenue decimal(38, 6), currency_code varchar, "
        "time_zone varchar",
        ("property_id", "date_day", "session_source", "session_medium", "session_campaign_name",
         "session_default_channel_group"), ("property_id", "date_day"), "merge", "date_day"),
    "hubspot.contacts": (
        "id varchar NOT NULL, email varchar, firstname varchar, lastname varchar, "
        "createdate timestamp with time zone, lastmodifieddate timestamp with time zone, hs_analytics_source varchar, "
        "hs_analytics_source_data_1 varchar, hs_analytics_source_data_2 varchar, hs_analytics_first_url varchar, "
        "archived boolean",
        ("id",), (), "merge", None),
    "hubspot.deals": (
        "id varchar NOT NULL, dealname varchar, amount decimal(38, 6), deal_currency_code varchar, dealstage varchar, "
        "pipeline varchar, createdate timestamp with time zone, closedate timestamp with time zone, "
        "hs_lastmodifieddate timestamp with time zone, hs_is_closed boolean, hs_is_closed_won boolean, "
        "archived boolean",
        ("id",), (), "merge", None),
    "hubspot.deal_contacts": (
        "deal_id varchar NOT NULL, contact_id varchar NOT NULL", ("deal_id", "contact_id"), ("deal_id",), "merge",
        None),
    "hubspot.quarantine": (
        "source_table varchar NOT NULL, record_id varchar NOT NULL, field varchar NOT NULL, raw_value varchar, "
        "error varchar, quarantined_at timestamp with time zone NOT NULL",
        ("source_table", "record_id", "field", "quarantined_at"), (), "append", None),
}


def test_raw_tables_keep_their_contract():
    declared = {f"{spec.name}.{t.name}": (t.ddl("raw").split("(", 1)[1][:-1], t.primary_key, t.merge_key,
                                           t.disposition, t.date_column)
                for spec in registry.specs().values() for t in spec.tables}
    assert declared == CONTRACT


@pytest.mark.parametrize("name", registry.source_names())
def test_resources_carry_exactly_their_declared_hints(sandbox_env, yesterday, name):
    spec = registry.spec(name)
    source = registry.build_source(name, yesterday - timedelta(days=2), yesterday)
    assert set(source.resources) == {t.name for t in spec.tables}
    for table in spec.tables:
        computed = source.resources[table.name].compute_table_schema()
        hints = table.resource_hints()
        assert computed["write_disposition"] == table.disposition
        assert [n for n, c in computed["columns"].items() if c.get("primary_key")] == list(table.primary_key)
        assert [n for n, c in computed["columns"].items() if c.get("merge_key")] == list(table.merge_key)
        for column, hint in hints["columns"].items():
            assert {k: computed["columns"][column].get(k) for k in hint} == hint, (table.name, column)
    assert sandbox_env.state.requests == []


def _table(*columns: Column, **kwargs) -> Table:
    return Table("t", (Column("customer_id", "text", nullable=False), *columns), **kwargs)


@pytest.mark.parametrize(("table", "fields", "problem"), [
    (_table(Column("a", "text")), (Field("b", "x.b"),), "column 'b' is not declared"),
    (_table(Column("a", "text"), Column("b", "text")), (Field("a", "x.a"),), "column 'b' is filled by no field"),
    (_table(Column("a", "bigint")), (Field("a", "x.a", ID),), "lands as text, not bigint"),
    (_table(Column("a", "timestamp")), (Field("a", "x.a"),), "no proto3 reading into timestamp"),
    (_table(Column("a", "text", nullable=False)), (Field("a", "x.a"),), "must be nullable"),
    (_table(Column("a", "text", nullable=False)), (Field("a", "x.a", ENUM),), None),
    (_table(Column("cost_micros", "bigint"), Column("spend", "decimal(38,2)")),
     (Field("cost_micros", "metrics.cost_micros", metric=True),), r"decimal\(p,6\)"),
    (_table(Column("d", "date", nullable=False), date_column="d"), (Field("d", "campaign.start_date"),),
     "must come from segments.date"),
])
def test_a_report_must_agree_with_its_table(table, fields, problem):
    if problem is None:
        assert Report(table, "campaign", fields).decoded == ((fields[0], ENUM),)
        return
    with pytest.raises(ValueError, match=problem):
        Report(table, "campaign", fields)
