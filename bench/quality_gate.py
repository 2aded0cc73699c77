"""The gate: each mart's GX suite against one hand-written SQL pass computing the same rules."""

from __future__ import annotations

import time
from datetime import date

from bench.gate_baseline import one_pass
from bench.measure import best_of, timed
from pipelines.partitions import HISTORY_START
from quality import gate
from quality.suites import MART_RULES
from warehouse import Warehouse

SCHEMA = "marts"


def import_seconds() -> float:
    """GX's import, paid once per process by the first check: reported apart from the checks."""
    started = time.perf_counter()
    import great_expectations  # noqa: F401

    return time.perf_counter() - started


def compare(warehouse: Warehouse, end: date, repeats: int = 3) -> dict[str, dict[str, float]]:
    start = date.fromisoformat(HISTORY_START)
    out: dict[str, dict[str, float]] = {}
    for name, rules in MART_RULES.items():
        outcome, _ = timed(lambda n=name: gate.check_mart(warehouse, SCHEMA, n, start, end))
        if not outcome.success:
            raise RuntimeError(f"the gate failed on marts.{name}: {gate.render(outcome)}")
        violations = one_pass(warehouse, SCHEMA, name, rules, start, end)
        if any(violations.values()):
            raise RuntimeError(f"the one-pass SQL disagrees with GX on marts.{name}: {violations}")
        out[name] = {
            "rows": warehouse.row_count(SCHEMA, name),
            "gx_seconds": best_of(repeats, lambda n=name: gate.check_mart(warehouse, SCHEMA, n, start, end)),
            "sql_seconds": best_of(repeats, lambda n=name, r=rules: one_pass(warehouse, SCHEMA, n, r, start, end)),
        }
    return out
