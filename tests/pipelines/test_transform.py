"""The models run as one subsettable multi-asset: each still its own asset, selectable on its own."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from pipelines.definitions import JOB_NAME, build_pipeline, load_deployment
from pipelines.transform import STEP_NAME
from tests.transforms.fixture import ALL, OVERRIDES_CSV, create_raw, raw_ddl
from transforms import runner
from transforms.models import CANDIDATE_SCHEMA, SEED_SCHEMA
from transforms.project import project
from warehouse import Warehouse

ACCOUNTS = AssetKey(["staging", "stg_google_ads__accounts"])
SEED = "campaign_key_overrides"


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Warehouse:
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    overrides = tmp_path / "overrides.csv"
    overrides.write_text(OVERRIDES_CSV)
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", url)
    monkeypatch.setenv("FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES", str(overrides))
    return Warehouse(url)


def _pipeline():
    return build_pipeline(load_deployment())


def _execute(*keys: AssetKey):
    job = _pipeline().definitions.resolve_job_def(JOB_NAME)
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, asset_selection=list(keys), raise_on_error=False)


def _materialized(result) -> set[AssetKey]:
    return {event.materialization.asset_key for event in result.get_asset_materialization_events()}


def test_every_model_is_its_own_asset_with_its_deps_group_and_metadata():
    pipeline = _pipeline()
    graph = pipeline.definitions.resolve_asset_graph()
    transform_models = next(a for a in pipeline.downstream if a.op.name == STEP_NAME)
    assert transform_models.can_subset
    for model in project(ALL).models:
        key = AssetKey([model.schema, model.name])
        node = graph.get(key)
        assert node.parent_keys == {AssetKey(list(dep)) for dep in model.deps}, key
        assert node.group_name == {"staging": "staging", "intermediate": "intermediate", "marts": "marts"}[model.layer]
        if model.layer != "marts":  # a mart's description comes from its contract
            assert node.description == (model.description or None)
        spec = transform_models.get_asset_spec(key)
        assert spec.kinds == {"sql"}
        assert spec.metadata["sql_file"] == f"transforms/{model.layer}/{model.path.name}"
    assert transform_models.get_asset_spec(AssetKey([SEED_SCHEMA, SEED])).kinds == {"csv"}


def test_everything_before_the_gate_is_one_step():
    job = _pipeline().definitions.resolve_job_def(JOB_NAME)
    downstream = {node.name for node in job.graph.nodes if not node.name.startswith(("ingest_", "gate_", "publish_"))}
    assert downstream == {STEP_NAME, "source_monitors"}


def test_materializing_one_model_builds_only_that_model(warehouse: Warehouse):
    create_raw(warehouse)
    result = _execute(ACCOUNTS)
    assert result.success
    assert _materialized(result) == {ACCOUNTS}
    # Its staging contract runs with it, and nothing else's.
    assert [(e.asset_key, e.check_name, e.passed) for e in result.get_asset_check_evaluations()] == [
        (ACCOUNTS, "contract", True)]
    relations = warehouse.relations()
    assert ("staging", "stg_google_ads__accounts") in relations
    assert not {(s, t) for s, t in relations if s in ("intermediate", CANDIDATE_SCHEMA)}
    assert ("staging", "stg_google_ads__campaign_stats") not in relations
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["dagster/row_count"].value == 2
    assert [c.name for c in event.materialization.metadata["dagster/column_schema"].value.columns][0] == "account_id"


def test_selecting_a_candidate_runs_its_gate_check_only(warehouse: Warehouse, tmp_path: Path, data_docs_dir: Path):
    create_raw(warehouse)
    runner.load_seed(warehouse, SEED, tmp_path / "overrides.csv")
    for model in project(ALL).models:
        runner.build(warehouse, model, {"reporting_currency": "USD"})
    crm_deals = AssetKey([CANDIDATE_SCHEMA, "crm_deals"])
    result = _execute(crm_deals)
    assert _materialized(result) == {crm_deals}
    [evaluation] = result.get_asset_check_evaluations()
    assert (evaluation.asset_key, evaluation.check_name) == (crm_deals, "quality_gate")
    # The check links its GX Data Docs page, written for this run.
    page = Path(evaluation.metadata["data_docs"].value)
    assert page == data_docs_dir.resolve() / result.run_id / "quality_gate" / "marts_candidate.crm_deals.html"
    assert "Data asset: marts_candidate.crm_deals" in page.read_text() and "Succeeded" in page.read_text()


def test_a_source_never_loaded_builds_empty_staging_with_the_contract_columns(warehouse: Warehouse):
    # Ads ingested, the CRMs and FX rates never: their staging models stand in empty, and what reads
    # them builds.
    create_raw(warehouse, ("google_ads",))
    deals = AssetKey(["staging", "stg_hubspot__deals"])
    crm_staging = {AssetKey(["staging", f"stg_{crm}__{entity}"]) for crm in ("hubspot", "salesforce")
                   for entity in ("deals", "contacts", "deal_contacts")}
    chain = {*crm_staging,
             AssetKey(["staging", "stg_fx_rates__rates"]), AssetKey(["intermediate", "int_fx_rates_daily"]),
             AssetKey(["intermediate", "int_contacts_first_touch"]), AssetKey(["intermediate", "int_deals_attributed"])}
    result = _execute(ACCOUNTS, *chain)
    assert result.success
    assert _materialized(result) == {ACCOUNTS, *chain}
    assert warehouse.row_count("intermediate", "int_deals_attributed") == 0
    assert warehouse.row_count("staging", "stg_hubspot__deals") == 0
    assert [c.name for c in warehouse.columns("staging", "stg_hubspot__deals")][:3] == ["deal_id", "deal_name", "created_at"]
    event = next(e for e in result.get_asset_materialization_events() if e.materialization.asset_key == deals)
    assert event.materialization.metadata["stand_ins"].value == ["raw_hubspot.deals"]


def test_a_failing_model_is_named_and_only_its_dependents_are_skipped(warehouse: Warehouse):
    # A raw table that exists but lacks a column the staging model reads: a real failure.
    warehouse.execute(raw_ddl(("google_ads",)) + [
        "CREATE SCHEMA raw_hubspot", "CREATE TABLE raw_hubspot.deals (id varchar)"])
    deals = AssetKey(["staging", "stg_hubspot__deals"])
    attributed = AssetKey(["intermediate", "int_deals_attributed"])
    result = _execute(ACCOUNTS, deals, attributed)
    assert not result.success
    assert _materialized(result) == {ACCOUNTS}
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failure.step_key == STEP_NAME
    message = failure.step_failure_data.error.message
    assert "staging.stg_hubspot__deals: " in message
    assert "downstream of a failure: intermediate.int_deals_attributed" in message
