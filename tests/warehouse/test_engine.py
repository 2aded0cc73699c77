"""The DuckDB file kept open between a run's steps: shared by our connections, given up to dlt."""

from __future__ import annotations

import dlt
import duckdb
import pytest

from warehouse import Warehouse
from warehouse.engine import kept, release_all


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    wh = Warehouse(f"duckdb:///{tmp_path / 'w.duckdb'}")
    wh.execute(["CREATE SCHEMA s", "CREATE TABLE s.t AS SELECT 1 AS a"])
    yield wh
    release_all()


def _opens_otherwise(warehouse: Warehouse) -> bool:
    """Whether a connection configured unlike ours (as dlt's is) can open the file now."""
    try:
        duckdb.connect(str(warehouse.path), read_only=True).close()
    except duckdb.ConnectionException:
        return False
    return True


def test_keep_open_holds_the_file_for_our_connections_until_released(warehouse: Warehouse):
    warehouse.keep_open()
    warehouse.keep_open()  # once per file
    assert kept() == (warehouse.path,)
    # Our own connections share the open database, and see each other's writes.
    Warehouse(warehouse.url).execute(["INSERT INTO s.t VALUES (2)"])
    assert warehouse.scalar("SELECT sum(a) FROM s.t") == 3
    assert not _opens_otherwise(warehouse)
    warehouse.release()
    assert kept() == () and _opens_otherwise(warehouse)


def test_handing_the_file_to_dlt_releases_it(warehouse: Warehouse, tmp_path):
    warehouse.keep_open()
    pipeline = dlt.pipeline(pipeline_name="kept", destination=warehouse.dlt_destination(), dataset_name="raw_x",
                            pipelines_dir=str(tmp_path / "dlt"))
    pipeline.run([{"a": 1}, {"a": 2}], table_name="t")
    assert kept() == ()
    assert warehouse.scalar("SELECT count(*) FROM raw_x.t") == 2


def test_postgres_and_memory_keep_nothing():
    Warehouse("duckdb:///:memory:").keep_open()
    Warehouse("postgresql://postgres@127.0.0.1:5432/postgres").keep_open()
    assert kept() == ()
