"""The gate: each mart's GX suite against one hand-written SQL pass computing the same rules."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from bench.gate_baseline import one_pass
from bench.measure import best_of, timed
from pipelines.partitions import HISTORY_START
from quality import gate
from quality.suites import DateBounds, checks
from transforms.contracts import marts
from warehouse import Warehouse

SCHEMA = "marts"


def import_seconds() -> float:
    """GX's import, paid once per process by the first check: reported apart from the checks."""
    started = time.perf_counter()
    import great_expectations  # noqa: F401

    return time.perf_counter() - started


def compare(warehouse: Warehouse, marts_published: list[str], repeats: int = 3) -> dict[str, dict[str, float]]:
    bounds = DateBounds(date.fromisoformat(HISTORY_START), datetime.now(UTC))
    out: dict[str, dict[str, float]] = {}
    for name in marts_published:
        rules = checks(marts()[name], bounds)
        outcome, _ = timed(lambda n=name: gate.check_mart(warehouse, SCHEMA, n, bounds))
        if not outcome.success:
            raise RuntimeError(f"the gate failed on marts.{name}: {gate.render(outcome)}")
        violations = one_pass(warehouse, SCHEMA, name, rules)
        if any(violations.values()):
            raise RuntimeError(f"the one-pass SQL disagrees with GX on marts.{name}: {violations}")
        out[name] = {
            "rows": warehouse.row_count(SCHEMA, name),
            "gx_seconds": best_of(repeats, lambda n=name: gate.check_mart(warehouse, SCHEMA, n, bounds)),
            "sql_seconds": best_of(repeats, lambda n=name, r=rules: one_pass(warehouse, SCHEMA, n, r)),
        }
    return out
