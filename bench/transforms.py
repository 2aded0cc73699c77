"""Transforms and publish: the Dagster job's downstream assets against the same SQL run directly.

Dagster's side is a real run in the benchmark's instance (events recorded as in production) that
materializes the seed, every model and the publish step, without the gate (measured on its own).
The direct side renders the same SQL files and runs them on one connection, then publishes by
renaming each candidate into place, as publish does.
"""

from __future__ import annotations

import time
from typing import Any

from transforms import runner
from transforms.models import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA, live_relation
from warehouse import Warehouse, load_settings

JOB = "bench_transforms"


def through_dagster() -> float:
    from dagster import AssetSelection, DagsterInstance, Definitions, define_asset_job, in_process_executor

    from pipelines.definitions import build_pipeline, load_deployment
    from pipelines.transform import STEP_NAME

    pipeline = build_pipeline(load_deployment())
    job_def = define_asset_job(
        JOB,
        selection=AssetSelection.assets(*pipeline.downstream).without_checks(),
        executor_def=in_process_executor,
    )
    defs = Definitions.merge(pipeline.definitions, Definitions(jobs=[job_def]))
    job = defs.resolve_job_def(JOB)
    instance = DagsterInstance.get()
    started = time.perf_counter()
    result = job.execute_in_process(
        instance=instance, raise_on_error=True,
        # Every model whole, as the direct side builds them: the figure is the orchestration's cost on
        # the same SQL, not incremental builds against whole ones.
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}},
                    "ops": {STEP_NAME: {"config": {"full_refresh": True}}}},
    )
    elapsed = time.perf_counter() - started
    if not result.success:
        raise RuntimeError("the transforms job failed")
    return elapsed


def direct(warehouse: Warehouse) -> float:
    """The seed, each model as DROP + CREATE TABLE AS, then the publish by rename: one connection."""
    from connectors.registry import enabled_sources
    from transforms.project import project

    settings = load_settings()
    variables = {"reporting_currency": settings.reporting_currency}
    models = project(tuple(enabled_sources())).models
    compiled = [(m, runner.compiled_sql(m, warehouse.dialect, variables)) for m in models]
    marts = [m.name for m in models if m.layer == "marts"]
    started = time.perf_counter()
    runner.load_seed(warehouse, "campaign_key_overrides", settings.campaign_key_overrides)
    with warehouse.begin() as conn:
        for model, sql in compiled:
            _replace(warehouse, conn, model.relation, sql)
    with warehouse.begin() as conn:
        for name in marts:
            _swap(warehouse, conn, name)
    return time.perf_counter() - started


def _replace(warehouse: Warehouse, conn: Any, relation: str, sql: str) -> None:
    warehouse.run_statement(conn, f"DROP TABLE IF EXISTS {relation}")
    warehouse.run_statement(conn, f"CREATE TABLE {relation} AS {sql}")


def _swap(warehouse: Warehouse, conn: Any, name: str) -> None:
    """Publish as `transforms.publication` does a whole candidate: renamed into place, the view
    re-pointed, the old table dropped."""
    schema, live = live_relation(name)
    for statement in (f"ALTER TABLE IF EXISTS {schema}.{live} RENAME TO {name}__old",
                      f"ALTER TABLE {CANDIDATE_SCHEMA}.{name} RENAME TO {live}",
                      f"CREATE OR REPLACE VIEW {PUBLISHED_SCHEMA}.{name} AS SELECT * FROM {schema}.{live}",
                      f"DROP TABLE IF EXISTS {schema}.{name}__old"):
        warehouse.run_statement(conn, statement)
