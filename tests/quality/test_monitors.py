"""The monitors' queries on tiny hand-computed tables, on both engines: each fires on the rows
built to break it and stays quiet on the others."""

from __future__ import annotations

import math
import statistics
from datetime import date, timedelta

import pytest

from quality import gate, monitors
from quality.monitors import MonitorSettings
from transforms.contracts import MonitorSpec
from warehouse import Warehouse

DAY = date(2026, 11, 30)  # a Monday
SETTINGS = MonitorSettings()


@pytest.fixture(scope="module")
def warehouse(module_warehouse_url: str) -> Warehouse:
    wh = Warehouse(module_warehouse_url)
    wh.execute(["CREATE SCHEMA IF NOT EXISTS staging", "CREATE SCHEMA IF NOT EXISTS monitoring"])
    return wh


def _table(wh: Warehouse, name: str, columns: str, rows: list[tuple]) -> None:
    values = ", ".join("(" + ", ".join(_sql(v) for v in row) + ")" for row in rows)
    wh.execute([f"DROP TABLE IF EXISTS {name}", f"CREATE TABLE {name} ({columns})",
                *([f"INSERT INTO {name} VALUES {values}"] if rows else [])])


def _sql(value: object) -> str:
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


def _failures(wh: Warehouse, table: str, rule: str, query: str) -> list[dict]:
    outcome = gate.check_query(wh, "staging", table, rule, query, rule)
    assert not outcome.errors, outcome.errors[0].error[:3000]
    return [row for finding in outcome.failures for row in finding.sample] if not outcome.success else []


def test_volume_flags_a_halved_and_a_silent_account_not_a_normal_one(warehouse: Warehouse):
    rows = []
    # Four earlier Mondays of 10 rows per account, and Sundays of 3 that must not count.
    for weeks in range(1, 5):
        for account in ("halved", "steady", "silent"):
            rows += [(account, DAY - timedelta(weeks=weeks))] * 10
            rows += [(account, DAY - timedelta(weeks=weeks, days=1))] * 3
    rows += [("halved", DAY)] * 4 + [("steady", DAY)] * 9
    _table(warehouse, "staging.stg_demo__volume", "account_id varchar, date_day date", rows)
    spec = MonitorSpec("volume", ("account_id",))
    query = monitors.volume_query(spec, SETTINGS, DAY, DAY, warehouse.dialect)
    found = _failures(warehouse, "stg_demo__volume", "volume", query)
    assert [(r["account_id"], r["row_count"], float(r["baseline"]), r["samples"]) for r in found] == [
        ("halved", 4, 10.0, 4), ("silent", 0, 10.0, 4)]
    # Three Mondays of history are too few for a verdict.
    few = MonitorSettings(volume_min_samples=5)
    assert _failures(warehouse, "stg_demo__volume", "volume",
                     monitors.volume_query(spec, few, DAY, DAY, warehouse.dialect)) == []


def test_anomalies_flag_a_tenfold_spend_by_robust_z_score(warehouse: Warehouse):
    rows = []
    history = {1: 100.0, 2: 104.0, 3: 96.0, 4: 101.0, 5: 99.0, 6: 103.0, 7: 100.0, 8: 101.0}
    for weeks, spend in history.items():
        rows.append(("a1", "spiked", DAY - timedelta(weeks=weeks), spend, 10))
        rows.append(("a1", "normal", DAY - timedelta(weeks=weeks), spend, 10))
        # A Tuesday far off, which a Monday is never compared with.
        rows.append(("a1", "normal", DAY - timedelta(weeks=weeks) + timedelta(days=1), 5000.0, 10))
    rows += [("a1", "spiked", DAY, 1000.0, 10), ("a1", "normal", DAY, 102.5, 10)]
    _table(warehouse, "staging.stg_demo__anomalies",
           "account_id varchar, campaign_id varchar, date_day date, spend decimal(38,6), clicks bigint", rows)
    spec = MonitorSpec("anomalies", ("account_id", "campaign_id"), measures=("spend", "clicks"))
    query = monitors.anomaly_query(spec, SETTINGS, DAY, DAY, warehouse.dialect)
    found = _failures(warehouse, "stg_demo__anomalies", "anomalies", query)
    # On x = ln(1 + spend): z = 0.6745 * (x - median(xs)) / median(|xs - median(xs)|), about 155.9.
    # Clicks never moved; 102.5 is within the noise.
    logs = [math.log1p(v) for v in history.values()]
    centre = statistics.median(logs)
    z = round(0.6745 * (math.log1p(1000.0) - centre) / statistics.median(abs(x - centre) for x in logs), 2)
    assert [(r["campaign_id"], r["measure"], float(r["value"]), float(r["baseline"]), float(r["robust_z"]))
            for r in found] == [("spiked", "spend", 1000.0, 100.5, z)]


def test_restatement_reports_days_that_moved_beyond_the_threshold(warehouse: Warehouse):
    spec = MonitorSpec("restatement", ("account_id",), measures=("conversions",))
    _table(warehouse, "staging.stg_demo__restated", "account_id varchar, date_day date, conversions double precision",
           [("a1", DAY, 100.0), ("a1", DAY - timedelta(days=1), 50.0), ("a1", DAY - timedelta(days=2), 20.0)])
    warehouse.execute(["DROP TABLE IF EXISTS monitoring.stg_demo__restated__before",
                       monitors.snapshot_sql(spec, "staging.stg_demo__restated",
                                             "monitoring.stg_demo__restated__before")])
    # The re-read: one day restated by 20%, one by 2% (within the 5% threshold), one unchanged.
    _table(warehouse, "staging.stg_demo__restated", "account_id varchar, date_day date, conversions double precision",
           [("a1", DAY, 120.0), ("a1", DAY - timedelta(days=1), 51.0), ("a1", DAY - timedelta(days=2), 20.0),
            ("a1", DAY + timedelta(days=1), 7.0)])
    query = monitors.restatement_query(spec, SETTINGS, "monitoring.stg_demo__restated__before", warehouse.dialect)
    found = _failures(warehouse, "stg_demo__restated", "restatement", query)
    assert [(r["date_day"], r["measure"], r["before_value"], r["after_value"], r["change"]) for r in found] == [
        (DAY.isoformat(), "conversions", 100.0, 120.0, 20.0)]


def test_reconciliation_counts_quarantined_rows_and_flags_a_lost_one(warehouse: Warehouse):
    columns = "account_id varchar, campaign_id varchar, date_day date, spend decimal(38,6), clicks bigint"
    _table(warehouse, "staging.stg_demo__campaign_stats", columns,
           [("a1", "c1", DAY, 10.50, 5), ("a2", "c3", DAY, 7.00, 1)])
    # c2's row was set aside by two rules: it counts once.
    warehouse.execute(["CREATE SCHEMA IF NOT EXISTS quarantine"])
    _table(warehouse, "quarantine.stg_demo__campaign_stats", f"quarantine_rule varchar, {columns}",
           [("r1", "a1", "c2", DAY, -1.25, 2), ("r2", "a1", "c2", DAY, -1.25, 2)])
    _table(warehouse, "staging.stg_demo__account_stats", "account_id varchar, date_day date, spend decimal(38,6), "
           "clicks bigint", [("a1", DAY, 9.25, 7), ("a2", DAY, 9.00, 2)])
    spec = MonitorSpec("reconciled", ("account_id",), measures=("spend", "clicks"), against="account_stats",
                       severity="error")
    query = monitors.reconciliation_query(spec, SETTINGS, "staging.stg_demo__account_stats",
                                          ("account_id", "campaign_id", "date_day"), warehouse.dialect,
                                          "quarantine.stg_demo__campaign_stats", None)
    found = _failures(warehouse, "stg_demo__campaign_stats", "reconciliation", query)
    assert [(r["account_id"], float(r["platform_spend"]), float(r["loaded_spend"]), int(r["platform_clicks"]),
             int(r["loaded_clicks"])) for r in found] == [("a2", 9.0, 7.0, 2, 1)]
