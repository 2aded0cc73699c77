"""The declarations beside the SQL hold: every enabled source's staging models fill their domain's
contract, every mart builds with exactly its contract's columns and types, for every subset of
sources, on DuckDB and PostgreSQL."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from connectors import registry
from tests.transforms.fixture import ALL, FIXTURES, build_fixture, raw_rows
from transforms.contracts import ContractError, domains, load_mart, marts
from transforms.models import CANDIDATE_SCHEMA
from transforms.project import entity_of, project, provided, staging_files
from warehouse import Warehouse, types

# Every source alone and every pair (what two sources can do to each other's unions and marts), every
# set missing one source, and all of them: every subset (2^n) grew to a thousand builds per engine
# with ten sources, for no case these miss.
SUBSETS = [subset for size in sorted({1, 2, len(ALL) - 1, len(ALL)}) if size >= 1
           for subset in combinations(ALL, size)]


@pytest.fixture(scope="module")
def built(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    return build_fixture(module_warehouse_url, tmp_path_factory.mktemp("seeds"))


def _columns(warehouse: Warehouse, schema: str, table: str) -> dict[str, str]:
    return {c.name: c.type for c in warehouse.columns(schema, table)}


def test_every_staging_file_belongs_to_a_registered_source_and_an_entity_of_its_domain():
    files = sorted((Path(__file__).parents[2] / "transforms" / "staging").glob("*.sql"))
    assert files
    for path in files:
        source = path.stem.split("__", 1)[0]
        assert source in registry.specs(), f"{path.name}: no registered source {source!r}"
        assert entity_of(path) in domains()[registry.spec(source).domain].entities, path.name


def test_every_source_brings_fixture_rows_for_every_raw_table():
    for name, spec in registry.specs().items():
        assert (FIXTURES / f"{name}.sql").exists(), f"add tests/transforms/fixtures/{name}.sql"
        filled = {row.split()[2] for row in raw_rows((name,))}
        tables = {f"{spec.dataset}.{t.name}" for t in spec.tables if not spec.quarantine or t.name != spec.quarantine.table}
        assert tables <= filled, f"{name}'s fixture has no rows for {sorted(tables - filled)}"


def test_every_source_maps_its_domain_and_declares_what_it_reads():
    for name, spec in registry.specs().items():
        assert spec.domain in domains(), name
        assert staging_files(name), f"{name} has no staging model"
        # The project checks each staging model reads only raw tables its spec declares.
        assert project((name,)).models


@pytest.mark.parametrize("source", ALL)
def test_staging_models_fill_their_domain_contract(built: Warehouse, source: str):
    spec = registry.spec(source)
    for path in staging_files(source):
        entity = domains()[spec.domain].entities[entity_of(path)]
        actual = _columns(built, "staging", f"stg_{path.stem}")
        for column in entity.columns:
            assert column.name in actual, f"stg_{path.stem} lacks {column.name}"
            assert types.catalog_matches(column.type, actual[column.name]), \
                f"stg_{path.stem}.{column.name} is {actual[column.name]}, the contract says {column.type}"


@pytest.mark.parametrize("name", sorted(marts()))
def test_marts_publish_exactly_their_contract(built: Warehouse, name: str):
    contract = marts()[name]
    actual = _columns(built, CANDIDATE_SCHEMA, name)
    assert list(actual) == list(contract.column_names)
    for column in contract.columns:
        assert types.catalog_matches(column.type, actual[column.name]), \
            f"{name}.{column.name} is {actual[column.name]}, the contract says {column.type}"


@pytest.mark.parametrize("sources", SUBSETS, ids=[",".join(s) for s in SUBSETS])
def test_every_subset_of_sources_builds_the_marts_its_domains_feed(
    sources: tuple[str, ...], module_warehouse_url: str, tmp_path: Path
):
    # A fresh schema set per subset: the module's warehouse is reused, so build into it from scratch.
    warehouse = Warehouse(module_warehouse_url)
    warehouse.execute([f"DROP SCHEMA IF EXISTS {s} CASCADE" for s in
                       ("staging", "intermediate", CANDIDATE_SCHEMA, *(registry.spec(n).dataset for n in ALL))])
    build_fixture(module_warehouse_url, tmp_path, sources)
    expected = {n for n, c in marts().items() if set(c.requires) <= provided(sources)}
    assert set(project(sources).marts) == expected
    for name in expected:
        assert list(_columns(warehouse, CANDIDATE_SCHEMA, name)) == list(marts()[name].column_names)
        assert warehouse.row_count(CANDIDATE_SCHEMA, name) > 0, name
    relations = warehouse.relations()
    for other in set(ALL) - set(sources):
        assert not any(t.startswith(f"stg_{other}__") for s, t in relations if s == "staging")


def test_a_source_never_loaded_leaves_its_marts_empty_but_built(module_warehouse_url: str, tmp_path: Path):
    warehouse = Warehouse(module_warehouse_url)
    warehouse.execute([f"DROP SCHEMA IF EXISTS {s} CASCADE" for s in
                       ("staging", "intermediate", CANDIDATE_SCHEMA, *(registry.spec(n).dataset for n in ALL))])
    build_fixture(module_warehouse_url, tmp_path, ALL, loaded=("google_ads",))
    assert warehouse.row_count(CANDIDATE_SCHEMA, "crm_deals") == 0
    assert list(_columns(warehouse, CANDIDATE_SCHEMA, "crm_deals")) == list(marts()["crm_deals"].column_names)
    # The KPIs still have their ads; web and CRM measures are zero.
    totals = warehouse.rows(f"SELECT sum(spend), sum(sessions), sum(leads), sum(deals_won) "
                            f"FROM {CANDIDATE_SCHEMA}.campaign_kpis_daily")[0]
    assert float(totals[0]) > 0 and totals[1:] == (0, 0, 0)


def test_a_malformed_contract_names_the_file_and_the_entry(tmp_path: Path):
    path = tmp_path / "bad_mart.yml"
    path.write_text("requires: [ads.campaign_stats]\ngrain: [day]\ncolumns:\n  day: {type: date, checks: [positive]}\n")
    with pytest.raises(ContractError, match=r"bad_mart.yml: bad_mart: column 'day': unknown check 'positive'"):
        load_mart(path)
    path.write_text("requires: [ads.campaign_stats]\ngrain: [day]\ncolumns:\n  day: {type: datetime}\n")
    with pytest.raises(ContractError, match="column 'day': unknown column type 'datetime'"):
        load_mart(path)


@pytest.mark.parametrize(("sums_to", "message"), [
    ("{column: part, total: whole}", "sums_to is {column: <part>, by: \\[<columns>\\], total: <whole>"),
    ("{column: part, by: [], total: whole}", "sums_to: by lists the columns of each group"),
    ("{column: part, by: [month], total: whole}", "sums_to names undeclared columns \\['month'\\]"),
    ("{column: part, by: [day], total: whole, tolerance: -1}", "sums_to: tolerance is a number, 0 or more"),
])
def test_a_malformed_sums_to_names_the_file_and_what_is_wrong(tmp_path: Path, sums_to: str, message: str):
    path = tmp_path / "shares.yml"
    path.write_text("requires: [crm.deals]\nbuild: {full: a test}\ngrain: [day, key]\ncolumns:\n  day: {type: date}\n  key: {type: text}\n"
                    "  part: {type: double}\n  whole: {type: double}\n"
                    f"checks:\n  - sums_to: {sums_to}\n")
    with pytest.raises(ContractError, match=f"shares.yml: {message}"):
        load_mart(path)
    path.write_text(path.read_text().split("checks:")[0] + "checks:\n  - sums_to: {column: part, by: [day], total: whole}\n")
    (check,) = load_mart(path).checks
    assert (check.kind, check.columns, check.argument) == ("sums_to", ("part", "whole", "day"), 0)
