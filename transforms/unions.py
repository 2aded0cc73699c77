"""A domain entity's union over the enabled sources, inlined where a model reads it.

`{{ union('ads', 'campaign_stats') }}` in a model renders to a subquery that stacks every enabled
source's `staging.stg_<source>__campaign_stats`, by column name, with the domain's discriminator
(`platform`, `source_system`) carrying the source's name and each column cast to the contract's
type. With no enabled source it is a typed relation of no rows, so every model builds for any
subset of sources. Unions are not materialized (dbt would call them ephemeral): a copy of the
10M-row ad group table would cost seconds and memory for nothing, and a view would tie the staging
tables' rebuilds to it on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from transforms.contracts import domains
from warehouse import types


def staging_relation(source: str, entity: str) -> str:
    return f"staging.stg_{source}__{entity}"


def union_sql(domain: str, entity: str, providers: Sequence[str], self_named: Collection[str] = ()) -> str:
    """The union as a parenthesized subquery, in the models' (DuckDB) dialect.

    Providers in `self_named` carry the discriminator in their staging rows (a file drop's rows name
    their platform); every other provider's rows take its source's name.
    """
    contract = domains()[domain]
    columns = contract.entities[entity].columns
    if not providers:
        typed = ", ".join(f"cast(null as {types.sql_type(c.type)}) as {c.name}" for c in columns)
        return f"(select cast(null as varchar) as {contract.discriminator}, {typed} where false)"
    selects = []
    for source in providers:
        typed = ", ".join(f"cast({c.name} as {types.sql_type(c.type)}) as {c.name}" for c in columns)
        named = (f"cast({contract.discriminator} as varchar)" if source in self_named else f"'{source}'")
        selects.append(f"select {named} as {contract.discriminator}, {typed} from {staging_relation(source, entity)}")
    return "(" + " union all ".join(selects) + ")"
