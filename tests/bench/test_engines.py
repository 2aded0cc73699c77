"""The engine comparison's own parts that need neither dbt nor SQLMesh: the projects it generates
from our models, and the checksum it compares their marts by."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import duckdb
import jinja2
import pytest

from bench import engines
from connectors import registry
from transforms.project import project
from transforms.state import Window

VARIABLES = {"reporting_currency": "USD"}
DAYS = (date(2026, 10, 20), date(2026, 11, 19))


@pytest.fixture(scope="module")
def everything():
    return project(tuple(registry.source_names()))


@pytest.fixture(scope="module")
def names(everything):
    return engines.dbt_names(everything)


def _as_dbt_renders(sql: str, incremental: bool) -> str:
    """The model file as dbt would compile it: refs and sources to our relations, the config gone."""
    names = {m.name: m.relation for m in project(tuple(registry.source_names())).models}
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(sql).render(
        config=lambda **_: "", is_incremental=lambda: incremental,
        var=lambda name: {"window_start": DAYS[0].isoformat(), "window_end": DAYS[1].isoformat()}[name],
        ref=lambda name: names[name], source=lambda schema, table: f"{schema}.{table}",
    )


def test_each_dbt_model_compiles_to_our_sql_whole_and_by_window(everything, names):
    for model in everything.models:
        sql = engines.dbt_model_sql(model, names, VARIABLES)
        body = sql.split("\n", 1)[1]
        assert _as_dbt_renders(body, incremental=False) == model.render(VARIABLES), model.relation
        window = Window(model.incremental, *DAYS) if model.incremental else None
        assert _as_dbt_renders(body, incremental=True) == model.render(VARIABLES, window), model.relation


def test_dbt_models_name_every_table_by_ref_or_source(everything, names):
    model = next(m for m in everything.models if m.name == "int_ad_campaigns_daily")
    sql = engines.dbt_model_sql(model, names, VARIABLES)
    assert sql.startswith("{{ config(materialized='incremental', incremental_strategy='delete+insert', "
                          "unique_key='date_day', schema='intermediate') }}\n")
    assert "{{ ref('int_fx_rates_daily') }} as fx" in sql
    assert "{{ ref('stg_google_ads__campaign_stats') }}" in sql
    assert "{{ source('staging', 'campaign_key_overrides') }} as o" in sql
    assert "{% if is_incremental() %}s.date_day between cast('{{ var(\"window_start\") }}' as date)" in sql
    assert not re.search(r"\b(staging|intermediate|raw_\w+)\.\w+\b", re.sub(r"\{\{.*?\}\}", "", sql))

    whole = next(m for m in everything.models if m.name == "int_fx_rates_daily")
    sql = engines.dbt_model_sql(whole, names, VARIABLES)
    assert sql.startswith("{{ config(materialized='table', schema='intermediate') }}\n")
    assert "is_incremental" not in sql
    assert "{{ source('raw_fx_rates', 'rates') }}" not in sql and "{{ ref('stg_fx_rates__rates') }}" in sql


def test_dbt_project_declares_the_raw_tables_as_sources(everything, tmp_path: Path):
    files = engines.dbt_project_files(everything, VARIABLES, tmp_path / "w.duckdb", {"memory_limit": "1GB"})
    assert '"name": "raw_google_ads"' in files["models/sources.yml"]
    assert '"name": "campaign_key_overrides"' in files["models/sources.yml"]
    assert "generate_schema_name" in files["macros/generate_schema_name.sql"]
    assert f"models/marts/{everything.marts[0]}.sql" in files
    assert len([f for f in files if f.startswith("models/") and f.endswith(".sql")]) == len(everything.models)


def test_a_relation_is_replaced_whole_and_an_unnamed_one_is_refused():
    names = {("staging", "stg_a"): "{{ ref('stg_a') }}"}
    sql = "select s.date_day from staging.stg_a as s join staging.stg_a__b as b on b.x = s.x"
    assert engines.replace_relations(sql, names) == (
        "select s.date_day from {{ ref('stg_a') }} as s join staging.stg_a__b as b on b.x = s.x")
    with pytest.raises(ValueError, match="staging.stg_a__b"):
        engines.check_all_named(sql, names)


def test_sqlmesh_models_filter_by_its_interval(everything):
    model = next(m for m in everything.models if m.name == "campaign_performance_daily")
    sql = engines.sqlmesh_model_sql(model, VARIABLES, date(2023, 11, 21))
    assert sql.startswith("MODEL (\n  name marts_candidate.campaign_performance_daily,\n"
                          "  kind INCREMENTAL_BY_TIME_RANGE (time_column date_day),\n  start '2023-11-21',")
    assert "(date_day between cast(@start_ds as date) and cast(@end_ds as date))" in sql
    whole = next(m for m in everything.models if m.name == "crm_deals")
    assert "  kind FULL,\n" in engines.sqlmesh_model_sql(whole, VARIABLES, date(2023, 11, 21))


def test_checksums_ignore_row_order_and_summation_noise_but_not_a_changed_value():
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA m")
    conn.execute("CREATE TABLE m.a AS SELECT * FROM (VALUES (1, 'x', 0.1::double + 0.2::double), (2, 'y', 1.5::double)) t(id, name, v)")
    conn.execute("CREATE TABLE m.b AS SELECT * FROM (VALUES (2, 'y', 1.5::double), (1, 'x', 0.3::double)) t(id, name, v)")
    conn.execute("CREATE TABLE m.c AS SELECT * FROM (VALUES (2, 'y', 1.5::double), (1, 'z', 0.3::double)) t(id, name, v)")
    found = engines.checksums(conn, {"a": "m.a", "b": "m.b", "c": "m.c"})
    assert found["a"] == found["b"]
    assert found["c"][0] == 2 and found["c"] != found["a"]
