"""The runner's two passes: screens first, each suspect rule's own expectation last, on both engines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import great_expectations as gx

from quality.runner import Rule, validate
from warehouse import Warehouse

E = gx.expectations


def _table(warehouse_url: str) -> Warehouse:
    warehouse = Warehouse(warehouse_url)
    warehouse.execute([
        "CREATE SCHEMA s",
        "CREATE TABLE s.t (id varchar, v bigint)",
        "INSERT INTO s.t VALUES ('a', 1), ('b', 2), ('c', 3)",
    ])
    return warehouse


def test_a_passing_screen_is_the_whole_check(warehouse_url: str):
    # The expectation would fail; its screen passes, so the expectation never runs.
    rule = Rule(E.ExpectColumnValuesToBeBetween(column="v", min_value=2), (E.ExpectColumnMaxToBeBetween(column="v", max_value=10),))
    assert validate(_table(warehouse_url), "s", "t", [rule], ("id",)).success


def test_a_failed_screen_defers_to_the_rules_own_expectation(warehouse_url: str):
    warehouse = _table(warehouse_url)
    stricter = E.ExpectColumnMinToBeBetween(column="v", min_value=5)
    holds = Rule(E.ExpectColumnValuesToBeBetween(column="v", min_value=0, meta={"rule": "holds"}), (stricter,))
    broken = Rule(E.ExpectColumnValuesToBeBetween(column="v", min_value=2, meta={"rule": "broken"}), (stricter,))
    outcome = validate(warehouse, "s", "t", [holds, broken], ("id",))
    assert outcome.status == "failed" and outcome.evaluated == 2
    [finding] = outcome.failures
    # Reported as the rule's row-level expectation, with its count and the offending rows.
    assert (finding.expectation, finding.column, finding.rule) == ("expect_column_values_to_be_between", "v", "broken")
    assert finding.unexpected_count == 1
    assert finding.sample == ({"id": "a", "v": 1},)


def test_a_screen_that_errors_is_reported_by_the_rules_expectation(warehouse_url: str):
    rule = Rule(E.ExpectColumnValuesToNotBeNull(column="gone"),
                (E.ExpectColumnProportionOfNonNullValuesToBeBetween(column="gone", min_value=1.0),))
    outcome = validate(_table(warehouse_url), "s", "t", [rule, E.ExpectTableRowCountToBeBetween(min_value=1)])
    assert outcome.status == "error" and not outcome.failures
    [error] = outcome.errors
    assert error.expectation == "expect_column_values_to_not_be_null" and error.error


def test_checks_see_a_table_rebuilt_since_the_last_check(warehouse_url: str):
    warehouse = _table(warehouse_url)
    assert validate(warehouse, "s", "t", [E.ExpectColumnValuesToNotBeNull(column="v")]).success
    warehouse.execute(["DROP TABLE s.t", "CREATE TABLE s.t (id varchar, w bigint)", "INSERT INTO s.t VALUES ('a', NULL)"])
    outcome = validate(warehouse, "s", "t", [E.ExpectColumnValuesToNotBeNull(column="v"),
                                             E.ExpectColumnValuesToNotBeNull(column="w")])
    assert [f.column for f in outcome.errors] == ["v"]
    assert [f.column for f in outcome.failures] == ["w"]


def test_duckdb_checks_leave_the_file_closed(tmp_path: Path):
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    assert validate(_table(f"duckdb:///{path}"), "s", "t", [E.ExpectColumnValuesToNotBeNull(column="v")]).success
    # DuckDB refuses a connection configured unlike one still open in the process.
    duckdb.connect(str(path)).close()


def test_a_relative_duckdb_url_is_checked_where_it_points_now(tmp_path: Path, monkeypatch):
    # The same configured URL names another file after a chdir (each CLI run, each test project).
    rule = Rule(E.ExpectColumnValuesToBeBetween(column="v", min_value=0), ())
    outcomes = []
    for name, value in (("one", 1), ("two", -1)):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        warehouse = Warehouse("duckdb:///wh.duckdb")
        warehouse.execute(["CREATE SCHEMA s", "CREATE TABLE s.t (id varchar, v bigint)",
                           f"INSERT INTO s.t VALUES ('a', {value})"])
        outcomes.append(validate(warehouse, "s", "t", [rule], ("id",)).success)
    assert outcomes == [True, False]


def test_preload_makes_gx_ready_in_the_background_once():
    # A fresh interpreter: this one has long imported GX.
    script = """
import sys, threading
from quality import runner
assert "great_expectations" not in sys.modules
runner.preload()
runner.preload()
loading = [t for t in threading.enumerate() if t.name == "gx-preload"]
assert len(loading) == 1 and not loading[0].daemon
loading[0].join()
assert "great_expectations" in sys.modules
context = runner._make_context()
assert runner._context() is context
runner.preload()
assert not [t for t in threading.enumerate() if t.name == "gx-preload"]
print("ready")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ready"
