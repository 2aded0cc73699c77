"""Every registered source against its fake, with no code for any one of them: through chaos faults,
two loads of the same window land exactly what the fake says they should, with no duplicate keys.

A new source is covered by registering it: its spec names its tables, keys and columns, and its
fake's `expected_totals` what its connector loads.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from connectors import registry
from connectors.common.tables import Table
from sandbox import fakes
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY, point_sources_at
from warehouse import types

END = TODAY - timedelta(days=1)
START = END - timedelta(days=6)


@pytest.fixture(scope="module")
def chaos() -> Iterator[SandboxServer]:
    """One sandbox for the module (each test reads its own vendor), serving every vendor's fourth
    request a fault its client is expected to ride out."""
    with SandboxServer(world=World(today=TODAY, history_days=30), faults=Faults(chaos=True, every=4)) as server:
        yield server


@pytest.fixture
def chaos_env(chaos: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    return point_sources_at(chaos, monkeypatch)


def _numeric(table: Table) -> list[str]:
    return [c.name for c in table.columns if types.parse(c.type)[0] in ("bigint", "double", "decimal")]


def _sum(column: str, table: Table) -> str:
    # A double is rounded to six decimals before summing, so its total is exact whatever the order.
    value = f"cast({column} as decimal(38, 6))" if table.column(column).type == "double" else column
    return f"coalesce(sum({value}), 0)"


def _totals(con: duckdb.DuckDBPyConnection, dataset: str, table: Table) -> dict[str, Any]:
    columns = _numeric(table)
    row = con.sql(f"select count(*) {''.join(', ' + _sum(c, table) for c in columns)} "
                  f"from {dataset}.{table.name}").fetchone()
    assert row is not None
    return {"rows": row[0], "sums": {c: Decimal(v) for c, v in zip(columns, row[1:], strict=True)}}


def _duplicate_keys(con: duckdb.DuckDBPyConnection, dataset: str, table: Table) -> int:
    keys = ", ".join(table.primary_key)
    row = con.sql(f"select count(*) from (select {keys} from {dataset}.{table.name} "
                  f"group by {keys} having count(*) > 1)").fetchone()
    assert row is not None
    return row[0]


@pytest.mark.parametrize("name", registry.source_names())
def test_two_loads_through_chaos_are_exact_without_duplicates(name: str, chaos_env: SandboxServer,
                                                               tmp_path: Path) -> None:
    spec = registry.spec(name)
    fake = next(f for f in fakes.for_sources([name]) if f.vendor == name)
    assert fake.expected_totals is not None, f"{spec.fake} gives no expected_totals"
    expected = fake.expected_totals(chaos_env.state.world, START, END)
    assert set(expected) == {t.name for t in spec.tables}
    for table in spec.tables:
        assert set(expected[table.name]["sums"]) == set(_numeric(table)), table.name
    database = tmp_path / "raw.duckdb"
    pipeline = dlt.pipeline(pipeline_name=f"every_source_{name}", destination=dlt.destinations.duckdb(str(database)),
                            dataset_name=spec.dataset, pipelines_dir=str(tmp_path / "dlt"))
    for run in (1, 2):
        pipeline.run(registry.build_source(name, START, END, lookback_days=0))
        with duckdb.connect(str(database), read_only=True) as con:
            for table in spec.tables:
                assert _totals(con, spec.dataset, table) == expected[table.name], (run, table.name)
                if table.primary_key:
                    assert _duplicate_keys(con, spec.dataset, table) == 0, (run, table.name)

