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
    """Each mart's rules of both severities, in the one validation a run makes, against one SELECT of
    the same rules. A warning (a campaign over budget, say) is data, not a disagreement: the two must
    find the same rules broken."""
    bounds = DateBounds(date.fromisoformat(HISTORY_START), datetime.now(UTC))
    out: dict[str, dict[str, float]] = {}
    for name in marts_published:
        rules = checks(marts()[name], bounds)
        outcomes, _ = timed(lambda n=name: gate.check_mart_severities(warehouse, SCHEMA, n, bounds))
        if not outcomes["error"].success:
            raise RuntimeError(f"the gate failed on marts.{name}: {gate.render(outcomes['error'])}")
        violations = one_pass(warehouse, SCHEMA, name, rules)
        by_gx = {f.rule for outcome in outcomes.values() for f in (*outcome.failures, *outcome.errors)}
        by_sql = {rule for rule, count in violations.items() if count}
        if by_gx != by_sql:
            raise RuntimeError(f"the one-pass SQL disagrees with GX on marts.{name}: GX finds {sorted(by_gx)} "
                               f"broken, the SQL {sorted(by_sql)}")
        out[name] = {
            "rows": warehouse.row_count(SCHEMA, name),
            "gx_seconds": best_of(repeats, lambda n=name: gate.check_mart_severities(warehouse, SCHEMA, n, bounds)),
            "sql_seconds": best_of(repeats, lambda n=name, r=rules: one_pass(warehouse, SCHEMA, n, r)),
        }
    return out
