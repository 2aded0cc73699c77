"""Incremental builds on the hand-computed fixture, on DuckDB and PostgreSQL: a build by a window's
days leaves every table as a whole rebuild would, and which builds are whole, and why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.transforms.fixture import ALL, build_fixture
from transforms import incremental, runner, state
from transforms.contracts import BuildSpec, ContractError, load_mart
from transforms.models import Model
from transforms.project import _model, project
from transforms.state import Build, Window
from warehouse import Warehouse

VARIABLES = {"reporting_currency": "USD"}
DAY = Window("date_day", date(2026, 1, 2), date(2026, 1, 2))


def _rows(warehouse: Warehouse, relation: str, where: str = "") -> list[str]:
    return sorted(map(repr, warehouse.rows(f"SELECT * FROM {relation}{where}")))


def test_a_windowed_build_leaves_every_table_as_a_whole_rebuild_would(warehouse_url: str, tmp_path: Path):
    warehouse = build_fixture(warehouse_url, tmp_path, ALL)
    models = project(ALL).models
    # The platforms restate 2026-01-02 and report a campaign that delivered nothing before.
    warehouse.execute([
        "UPDATE raw_google_ads.campaign_stats SET impressions = 700, clicks = 70 WHERE date_day = DATE '2026-01-02'",
        "INSERT INTO raw_google_ads.campaign_stats SELECT customer_id, 'c9', 'Late Starter', campaign_status, "
        "advertising_channel_type, date_day, 10, 1, 2000000, 2, 0, 0 FROM raw_google_ads.campaign_stats "
        "WHERE date_day = DATE '2026-01-02'",
    ])
    before_untouched = _rows(warehouse, "staging.stg_google_ads__campaign_stats", " WHERE date_day <> DATE '2026-01-02'")
    windowed = {}
    for model in models:
        result = runner.build(warehouse, model, VARIABLES, window=DAY if model.incremental else None,
                              fingerprint="f", run_id="r")
        assert (result.window is not None) == bool(model.incremental)
        windowed[model.relation] = _rows(warehouse, model.relation)
    assert _rows(warehouse, "staging.stg_google_ads__campaign_stats",
                 " WHERE date_day <> DATE '2026-01-02'") == before_untouched
    for model in models:
        runner.build(warehouse, model, VARIABLES)
        whole = _rows(warehouse, model.relation)
        if model.layer == "marts" and model.incremental:
            # A mart's candidate holds only the days rebuilt, which publish swaps in.
            whole = _rows(warehouse, model.relation, f" WHERE {DAY.predicate()}")
        assert windowed[model.relation] == whole, model.relation
    assert any("c9" in row for row in windowed["marts_candidate.campaign_performance_daily"])


def test_a_build_records_itself_and_counts_without_a_scan(warehouse_url: str, tmp_path: Path):
    warehouse = build_fixture(warehouse_url, tmp_path, ("fx_rates", "google_ads"))
    model = next(m for m in project(("fx_rates", "google_ads")).models
                 if m.relation == "staging.stg_google_ads__campaign_stats")
    whole = runner.build(warehouse, model, VARIABLES, fingerprint="abc", run_id="run-1")
    with warehouse.engine.connect() as conn:
        record = state.read(warehouse, conn)[model.relation]
    assert (record.mode, record.window, record.row_count, record.fingerprint) == ("full", None, whole.row_count, "abc")
    again = runner.build(warehouse, model, VARIABLES, window=DAY, fingerprint="abc", run_id="run-2", previous=record)
    assert again.row_count == whole.row_count and again.rows_rebuilt == 1
    with warehouse.engine.connect() as conn:
        record = state.read(warehouse, conn)[model.relation]
    assert (record.mode, record.window, record.run_id) == ("window", DAY, "run-2")


def test_rows_outside_the_window_fail_before_anything_changes(warehouse_url: str, tmp_path: Path):
    warehouse = Warehouse(warehouse_url)
    warehouse.execute(["CREATE SCHEMA IF NOT EXISTS staging",
                       "CREATE TABLE staging.days AS SELECT DATE '2026-01-01' AS date_day, 1 AS v"])
    sql = tmp_path / "days.sql"
    sql.write_text("select date_day, 2 as v from (select DATE '2026-01-01' as date_day) d "
                   "where {{ window('date_day') }} or date_day = DATE '2026-01-01'")
    model = Model("staging", "staging", "days", sql, "", lambda d, e: "", build=BuildSpec(incremental="date_day"))
    with pytest.raises(runner.WindowError, match=r"staging.days: 1 rows dated outside the days rebuilt"):
        runner.build(warehouse, model, VARIABLES, window=DAY)
    assert warehouse.rows("SELECT v FROM staging.days") == [(1,)]


def _builds(relation: str, fingerprint: str) -> dict[str, Build]:
    return {relation: Build(relation, fingerprint, "r", None, 10)}


def test_what_is_built_whole_and_why():
    models = {m.relation: m for m in project(ALL).models}
    stats, deals = models["staging.stg_google_ads__campaign_stats"], models["marts_candidate.crm_deals"]
    mart = models["marts_candidate.campaign_performance_daily"]
    existing = {("staging", "stg_google_ads__campaign_stats"), ("marts_candidate", "campaign_performance_daily__live")}
    days = (date(2026, 1, 5), date(2026, 1, 9))

    def plan(model, fingerprint="f", builds=None, pending=None, full_refresh=False, days=days):
        builds = _builds(incremental.built_relation(model), "f") if builds is None else builds
        return incremental.plan(model, fingerprint, builds, pending or {}, existing, days, full_refresh)

    assert plan(stats).window == Window("date_day", *days)
    # Days an earlier run left undone join the window.
    pending = {stats.relation: Window("date_day", date(2026, 1, 1), date(2026, 1, 2))}
    assert plan(stats, pending=pending).window == Window("date_day", date(2026, 1, 1), date(2026, 1, 9))
    # A mart's history is its published table, not its candidate.
    assert plan(mart).window is not None
    assert plan(mart, builds=_builds(mart.relation, "f")).reason == "built whole: its first build"
    assert plan(stats, builds={}).reason == "built whole: its first build"
    assert plan(stats, fingerprint="g").reason == "built whole: its SQL or what it reads changed since its last build"
    assert plan(stats, full_refresh=True).reason == "built whole: a full refresh was asked for"
    assert plan(deals).reason.startswith("built whole: Deals are read by cursor")
    assert incremental.model_window(date(2026, 1, 9), date(2026, 1, 9), 3) == (date(2026, 1, 7), date(2026, 1, 9))
    assert incremental.model_window(date(2025, 1, 1), date(2026, 1, 9), 3) == (date(2025, 1, 1), date(2026, 1, 9))


def test_fingerprints_follow_sql_variables_seeds_and_upstream(tmp_path: Path):
    models = project(ALL).models
    seed = tmp_path / "overrides.csv"
    seed.write_text("platform,campaign_id,campaign_key\n")
    base = incremental.fingerprints(models, VARIABLES, "duckdb", {"campaign_key_overrides": seed})
    euro = incremental.fingerprints(models, {"reporting_currency": "EUR"}, "duckdb", {"campaign_key_overrides": seed})
    seed.write_text("platform,campaign_id,campaign_key\ngoogle_ads,c1,brand\n")
    edited = incremental.fingerprints(models, VARIABLES, "duckdb", {"campaign_key_overrides": seed})
    assert base["marts_candidate.campaign_performance_daily"] != euro["marts_candidate.campaign_performance_daily"]
    # The overrides feed the campaign key, and so everything built from int_ad_campaigns_daily ...
    assert base["intermediate.int_ad_campaigns_daily"] != edited["intermediate.int_ad_campaigns_daily"]
    assert base["marts_candidate.ad_group_performance_daily"] != edited["marts_candidate.ad_group_performance_daily"]
    # ... and nothing else.
    assert base["staging.stg_google_ads__campaign_stats"] == edited["staging.stg_google_ads__campaign_stats"]
    assert base["marts_candidate.web_traffic_daily"] == edited["marts_candidate.web_traffic_daily"]


def test_declarations_say_how_a_model_is_built(tmp_path: Path):
    mart = tmp_path / "m.yml"
    base = ("description: d\nrequires: [ads.campaign_stats]\ngrain: [date_day]\n"
            "columns:\n  date_day: {type: date}\n  note: {type: text}\n")
    mart.write_text(base)
    with pytest.raises(ContractError, match="build is"):
        load_mart(mart)
    mart.write_text(base + "build: {incremental: note}\n")
    with pytest.raises(ContractError, match="incremental names a date column of the grain"):
        load_mart(mart)
    mart.write_text(base + "build: {full: ''}\n")
    with pytest.raises(ContractError, match="says why"):
        load_mart(mart)
    mart.write_text(base + "build: {incremental: date_day}\n")
    assert load_mart(mart).build == BuildSpec(incremental="date_day")


def test_an_incremental_model_must_filter_by_its_window(tmp_path: Path):
    sql = tmp_path / "int_x.sql"
    sql.write_text("select date_day from staging.t")
    with pytest.raises(ContractError, match=r"int_x.sql is declared incremental by date_day but never filters"):
        _model("intermediate", sql, None, BuildSpec(incremental="date_day"))
    sql.write_text("select date_day from staging.t where {{ window('date_day') }}")
    with pytest.raises(ContractError, match="declared to build whole"):
        _model("intermediate", sql, None, BuildSpec(reason="r"))
    assert _model("intermediate", sql, None, BuildSpec(incremental="date_day")).incremental == "date_day"


def test_days_a_load_changed_are_taken_once_per_source(warehouse_url: str):
    warehouse = Warehouse(warehouse_url)
    with warehouse.engine.begin() as conn:
        assert state.take_changes(warehouse, conn, ["ad_spend_files"]) is None
        state.note_changes(warehouse, conn, "ad_spend_files", date(2026, 3, 1), date(2026, 3, 31))
        state.note_changes(warehouse, conn, "ad_spend_files", date(2026, 2, 10), date(2026, 2, 12))
        state.note_changes(warehouse, conn, "other_files", date(2025, 1, 1), date(2025, 1, 1))
    with warehouse.engine.begin() as conn:
        assert state.take_changes(warehouse, conn, ["ad_spend_files"]) == (date(2026, 2, 10), date(2026, 3, 31))
    with warehouse.engine.begin() as conn:
        assert state.take_changes(warehouse, conn, ["ad_spend_files"]) is None
        assert state.take_changes(warehouse, conn, []) is None
    # A build that fails rolls its taking back: the days stay for the next build.
    with pytest.raises(RuntimeError), warehouse.engine.begin() as conn:
        assert state.take_changes(warehouse, conn, ["other_files", "ad_spend_files"]) == (date(2025, 1, 1),
                                                                                          date(2025, 1, 1))
        raise RuntimeError("the build failed")
    with warehouse.engine.begin() as conn:
        assert state.take_changes(warehouse, conn, ["other_files"]) == (date(2025, 1, 1), date(2025, 1, 1))
