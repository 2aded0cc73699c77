"""The raw tables are the contract with the staging SQL and existing warehouses: pinned here, and every
source's resources carry exactly what its table declarations say."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from connectors import registry
from connectors.common.tables import Column, Table
from connectors.google_ads.settings import ENUM, ID, Field, Report

# Generated: after a deliberate change to a raw table (or a new source), run
# `pytest tests/connectors/test_raw_tables.py --snapshot-update` and review the diff.
SNAPSHOT = Path(__file__).parent / "snapshots" / "raw_tables.txt"


def _described() -> str:
    lines = []
    for spec in registry.specs().values():
        for t in spec.tables:
            lines.append(f"{spec.dataset}.{t.name}: {t.disposition}; primary key {', '.join(t.primary_key) or '-'}; "
                         f"merge key {', '.join(t.merge_key) or '-'}; date column {t.date_column or '-'}"
                         f"{'; unique per load' if t.unique_per_load else ''}")
            lines.append(f"    {t.ddl(spec.dataset).split('(', 1)[1][:-1]}")
    return "\n".join(lines) + "\n"


def test_raw_tables_keep_their_contract(snapshot):
    snapshot(SNAPSHOT, _described(), "a raw table")


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
        # dlt skips ranking the staged rows by primary key exactly where the table says it needs none.
        assert computed.get("x-stage-data-deduplicated", False) is table.unique_per_load, table.name
        for column, hint in hints["columns"].items():
            assert {k: computed["columns"][column].get(k) for k in hint} == hint, (table.name, column)
    assert sandbox_env.state.requests == []


@pytest.mark.parametrize(("disposition", "primary_key"), [("merge", ()), ("append", ("a",)), ("replace", ("a",))])
def test_unique_per_load_needs_a_merge_on_a_primary_key(disposition, primary_key):
    with pytest.raises(ValueError, match="unique_per_load needs a merge on a primary key"):
        Table("t", (Column("a", "text"),), primary_key=primary_key, disposition=disposition, unique_per_load=True)


def test_last_per_key_keeps_the_last_row_of_each_key_across_chunks():
    table = Table("t", (Column("k", "text"), Column("d", "bigint"), Column("v", "bigint")), primary_key=("k", "d"))
    first = pa.table({"k": ["a", "a", "b"], "d": [1, 2, 1], "v": [1, 2, 3]})
    # The next page repeats b/1 with a newer figure, then goes on.
    second = pa.table({"k": ["b", "b"], "d": [1, 2], "v": [30, 4]})
    kept = table.last_per_key(pa.concat_tables([first, second]))
    assert kept.to_pylist() == [{"k": "a", "d": 1, "v": 1}, {"k": "a", "d": 2, "v": 2},
                                {"k": "b", "d": 1, "v": 30}, {"k": "b", "d": 2, "v": 4}]
    unique = pa.concat_tables([first, second.slice(1)])
    assert table.last_per_key(unique) is unique


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
