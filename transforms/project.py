"""The model graph for a deployment's enabled sources.

- Staging: every enabled source's `staging/<source>__<entity>.sql`, each mapping raw data to an
  entity of the source's domain contract (`transforms/domains/<domain>.yml`).
- Unions: `{{ union(domain, entity) }}` stacks the enabled sources that provide the entity.
- Marts: each published mart whose contract's `requires` entities all have an enabled source that
  provides them, so a team with only a CRM gets `crm_deals` and no empty ad marts, and an ad
  platform without ad-group reports gets no empty ad-group mart.
- Intermediate: the models those marts read, and nothing else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from pathlib import Path

from transforms.contracts import BuildSpec, ContractError, domains, intermediate_builds, marts
from transforms.models import (
    CANDIDATE_SCHEMA,
    SEED_SCHEMA,
    SEEDS,
    Model,
    Relation,
    description,
    referenced_tables,
    render,
    target,
    topological,
)
from transforms.state import Window
from transforms.unions import union_sql

ROOT = Path(__file__).resolve().parent
# Rendering only to learn dependencies: any safe value will do.
PLACEHOLDER_VARIABLES = {"reporting_currency": "XXX"}
PLACEHOLDER_WINDOW = Window("date_day", date(2000, 1, 1), date(2000, 1, 1))


@dataclass(frozen=True)
class Project:
    sources: tuple[str, ...]
    models: tuple[Model, ...]  # each after what it reads
    seeds: tuple[str, ...]

    @property
    def marts(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.models if m.layer == "marts")

    def upstream(self, key: Relation) -> set[Relation]:
        """Every relation the model reads, directly or through other models."""
        by_key = {m.key: m for m in self.models}
        seen: set[Relation] = set()
        pending = list(by_key[key].deps)
        while pending:
            dep = pending.pop()
            if dep in seen:
                continue
            seen.add(dep)
            if dep in by_key:
                pending.extend(by_key[dep].deps)
        return seen

    def upstream_marts(self, name: str) -> tuple[str, ...]:
        """The candidate marts a mart is built from, directly or not: it publishes only with them."""
        return tuple(sorted(t for s, t in self.upstream((CANDIDATE_SCHEMA, name)) if s == CANDIDATE_SCHEMA))


def staging_files(source: str) -> list[Path]:
    return sorted((ROOT / "staging").glob(f"{source}__*.sql"))


def entity_of(path: Path) -> str:
    return path.stem.split("__", 1)[1]


def provided(sources: Sequence[str]) -> set[str]:
    """The domain entities ("ads.campaign_stats") the sources' staging models fill."""
    from connectors import registry

    return {f"{registry.spec(s).domain}.{entity_of(p)}" for s in sources for p in staging_files(s)}


def providers(domain: str, entity: str, sources: Sequence[str]) -> list[str]:
    """The enabled sources of the domain that map this entity, in the sources' order."""
    from connectors import registry

    if entity not in domains()[domain].entities:
        raise ValueError(f"union({domain!r}, {entity!r}): the {domain} contract has no entity {entity!r}")
    return [s for s in sources if registry.spec(s).domain == domain
            and any(entity_of(p) == entity for p in staging_files(s))]


@cache
def project(sources: tuple[str, ...]) -> Project:
    from connectors import registry

    def union(domain: str, entity: str) -> str:
        found = providers(domain, entity, sources)
        return union_sql(domain, entity, found, [s for s in found if registry.spec(s).discriminator_in_rows])

    available = provided(sources)
    models: list[Model] = []
    for source in sources:
        spec = registry.spec(source)
        for path in staging_files(source):
            if entity_of(path) not in domains()[spec.domain].entities:
                raise ValueError(f"{path.name}: {entity_of(path)!r} is not an entity of the {spec.domain} contract")
            model = _model("staging", path, union, domains()[spec.domain].entities[entity_of(path)].build)
            stand_ins = {}
            for schema, table in model.deps:
                if schema != spec.dataset:
                    continue
                if table not in {t.name for t in spec.tables}:
                    raise ValueError(f"{path.name} reads {schema}.{table}, which {source}'s spec does not declare")
                stand_ins[(schema, table)] = spec.table(table).empty_select()
            # A table reconciled against the platform's own totals is checked once they are built.
            entity = domains()[spec.domain].entities[entity_of(path)]
            totals = [target("staging", f"{source}__{m.against}") for m in entity.monitors if m.against
                      and any(entity_of(p) == m.against for p in staging_files(source))]
            models.append(replace(model, stand_ins=stand_ins, deps=(*model.deps, *totals)))
    contracts = marts()
    for path in sorted((ROOT / "marts").glob("*.sql")):
        if set(contracts[path.stem].requires) <= available:
            models.append(_model("marts", path, union, contracts[path.stem].build))
    builds = intermediate_builds()
    intermediate = {m.key: m for m in (_model("intermediate", p, union, builds[p.stem])
                                       for p in sorted((ROOT / "intermediate").glob("*.sql")))}
    needed: set[Relation] = set()
    pending = [dep for m in models for dep in m.deps]
    while pending:
        dep = pending.pop()
        if dep in intermediate and dep not in needed:
            needed.add(dep)
            pending.extend(intermediate[dep].deps)
    models.extend(m for key, m in intermediate.items() if key in needed)
    ordered = topological(models)
    seeds = tuple(name for name in SEEDS if any((SEED_SCHEMA, name) in m.deps for m in ordered))
    return Project(tuple(sources), tuple(ordered), seeds)


def _model(layer: str, path: Path, union, build: BuildSpec) -> Model:
    sql = path.read_text()
    schema, name = target(layer, path.stem)
    whole = render(sql, PLACEHOLDER_VARIABLES, union)
    windowed = render(sql, PLACEHOLDER_VARIABLES, union, PLACEHOLDER_WINDOW)
    # An incremental model that never filters by its window would insert all of history again.
    if build.incremental and whole == windowed:
        raise ContractError(f"{path.name} is declared incremental by {build.incremental} but never filters by "
                            "{{ window('<date column>') }}")
    if not build.incremental and whole != windowed:
        raise ContractError(f"{path.name} filters by {{{{ window(...) }}}} but is declared to build whole")
    deps = referenced_tables(whole)
    return Model(layer, schema, name, path, description(sql), union, deps, build=build)
