"""Publish: candidates that passed their gate become `marts.*`, each recording the run that did it
(`transforms.publication`: a rename, or a window's days replaced, never a copy of the mart).

By dependency (the default): one step per mart, downstream of its own candidate and of every
candidate mart it is built from. Dagster skips exactly the publish steps behind a failed blocking
check, as dbt's tests block only what is downstream: a bad CRM row does not freeze the ad marts.
All or nothing (FUNNELHOUSE_PUBLICATION=all_or_nothing): one step publishes every mart in one
transaction, only when every gate passed, for teams that prefer one consistent version.
The views over a mart (`transforms.views`) are assets of its publish step, which replaces them.
"""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetsDefinition, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from pipelines.metadata import mart_column_schema, table_metadata
from pipelines.resources import WarehouseResource
from pipelines.transform import model_key
from transforms.contracts import marts
from transforms.models import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA
from transforms.project import Project
from transforms.publication import publish as publish_candidates
from transforms.views import ViewContract, views_of

BY_DEPENDENCY = "by_dependency"
ALL_OR_NOTHING = "all_or_nothing"
PUBLICATIONS = (BY_DEPENDENCY, ALL_OR_NOTHING)


def _spec(project: Project, name: str, deps: list[str]) -> AssetSpec:
    contract = marts()[name]
    return AssetSpec(
        model_key(PUBLISHED_SCHEMA, name),
        deps=[model_key(CANDIDATE_SCHEMA, dep) for dep in deps],
        group_name="marts",
        description=f"Published {PUBLISHED_SCHEMA}.{name}: the BI contract. {contract.description}",
        kinds={"sql"},
        metadata={"dagster/column_schema": mart_column_schema(contract), "contract": f"transforms/marts/{name}.yml"},
    )


def _view_spec(view: ViewContract) -> AssetSpec:
    return AssetSpec(
        model_key(PUBLISHED_SCHEMA, view.name),
        deps=[model_key(PUBLISHED_SCHEMA, view.mart)],
        group_name="marts",
        description=f"View {PUBLISHED_SCHEMA}.{view.name} of {PUBLISHED_SCHEMA}.{view.mart}. {view.description}",
        kinds={"sql"},
        metadata={"dagster/column_schema": mart_column_schema(view), "contract": f"transforms/views/{view.name}.yml"},
    )


def _specs(project: Project, names: list[str], deps: list[str] | None = None) -> list[AssetSpec]:
    """Each mart's published asset, with the views replaced with it."""
    return [spec for name in names for spec in (
        _spec(project, name, deps if deps is not None else [name, *project.upstream_marts(name)]),
        *(_view_spec(view) for view in views_of(name)))]


def _publish(context: AssetExecutionContext, project: Project, names: list[str],
             warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
    wh = warehouse.warehouse(keep_open=True)
    results = publish_candidates(wh, names, context.run.run_id, project.sources)
    context.log.info("published " + ", ".join(f"{r.relation} ({r.row_count} rows)" for r in results.values()))
    for name, result in results.items():
        metadata = table_metadata(wh, PUBLISHED_SCHEMA, name, result.row_count, result.columns, contract=marts()[name])
        yield MaterializeResult(asset_key=model_key(PUBLISHED_SCHEMA, name), metadata=metadata)
        for view in views_of(name):
            # Not counted: a view's rows are its mart's, and counting them would cost a scan of it.
            yield MaterializeResult(asset_key=model_key(PUBLISHED_SCHEMA, view.name), metadata={
                "dagster/column_schema": mart_column_schema(view),
                "dagster/relation_identifier": MetadataValue.text(f"{PUBLISHED_SCHEMA}.{view.name}"),
            })


def build_publish_assets(project: Project, publication: str = BY_DEPENDENCY) -> list[AssetsDefinition]:
    if publication not in PUBLICATIONS:
        raise ValueError(f"publication must be one of {', '.join(PUBLICATIONS)}")
    if publication == ALL_OR_NOTHING:
        names = list(project.marts)

        @multi_asset(name="publish_marts", specs=_specs(project, names, list(project.marts)),
                     can_subset=False)
        def publish_marts(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
            yield from _publish(context, project, names, warehouse)

        return [publish_marts]
    return [_publish_one(project, name) for name in project.marts]


def _publish_one(project: Project, name: str) -> AssetsDefinition:
    @multi_asset(name=f"publish_{name}", specs=_specs(project, [name]))
    def publish(context: AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[MaterializeResult]:
        yield from _publish(context, project, [name], warehouse)

    return publish
