"""The benchmark's own parts: figures compare the right way, and both load paths store every row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pyarrow as pa

from bench import load, report
from bench.measure import Figure
from warehouse import Warehouse


def test_durations_meet_a_ceiling_and_throughputs_a_floor():
    assert Figure("t", ours=1.1, limit=1.0, unit="s", target=1.15).met is True
    assert Figure("t", ours=1.2, limit=1.0, unit="s", target=1.15).met is False
    assert Figure("i", ours=50.0, limit=100.0, unit="rows/s", target=0.6, higher_is_better=True).met is False
    assert Figure("i", ours=70.0, limit=100.0, unit="rows/s", target=0.6, higher_is_better=True).met is True
    assert Figure("z", ours=1.0, limit=0.0, unit="s", target=1.0).met is None


def test_markdown_marks_a_missed_target():
    run = {"rows": {"ad_group_rows": 10, "total": 12}, "history_days": 3, "machine": "test",
           "figures": [Figure("gate", 3.0, 1.0, "s", 1.5).as_dict(),
                       Figure("ingestion", 90.0, 100.0, "rows/s", 0.6, higher_is_better=True).as_dict()]}
    table = report.markdown("small", run)
    assert "| gate | 3.00 s | 1.00 s | 3 | ≤ 1.5 | **no** |" in table
    assert "| ingestion | 90 rows/s | 100 rows/s | 0.9 | ≥ 0.6 | yes |" in table


def _tables() -> list[load.RawTable]:
    stats = pa.table({
        "customer_id": ["1", "1", "2"],
        "date_day": [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 1)],
        "clicks": [3, 0, 7],
        "spend": pa.array([Decimal("1.250000"), Decimal("0"), Decimal("2.5")], pa.decimal128(38, 6)),
        "note": ["a,b", None, 'quote "q"'],
    })
    hints = {"write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
             "primary_key": ["customer_id", "date_day"], "merge_key": None, "columns": {}}
    # Two sources may both have a table of one name: each keeps its own.
    accounts = pa.table({"account_id": ["a1"]})
    return [load.RawTable("google_ads", "stats", stats, hints), load.RawTable("google_ads", "accounts", accounts, {}),
            load.RawTable("facebook_ads", "accounts", pa.table({"account_id": [None]}, schema=pa.schema(
                [pa.field("account_id", pa.string())])), {})]


def test_both_load_paths_store_the_same_rows(warehouse_url: str, tmp_path):
    warehouse = Warehouse(warehouse_url)
    tables = _tables()
    assert load.raw_insert(warehouse, tables, "bench_raw") > 0
    assert load.dlt_load(warehouse, tables, "bench_dlt") > 0
    query = "SELECT customer_id, date_day, clicks, spend, note FROM {}.google_ads__stats ORDER BY customer_id, date_day"
    raw = warehouse.rows(query.format("bench_raw"))
    via_dlt = warehouse.rows(query.format("bench_dlt"))
    assert raw == via_dlt
    assert [r[3] for r in raw] == [Decimal("1.25"), Decimal("0"), Decimal("2.5")]
    assert raw[2][4] == 'quote "q"' and raw[1][4] is None
    for dataset in ("bench_raw", "bench_dlt"):
        assert warehouse.rows(f"SELECT account_id FROM {dataset}.google_ads__accounts") == [("a1",)]
        assert warehouse.rows(f"SELECT account_id FROM {dataset}.facebook_ads__accounts") == [(None,)]
