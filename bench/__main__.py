"""`make bench [SCALE=small|medium|large]`: every figure against its limit, in one run, on one world.

Order matters: the full build first (it is also what the replay replays), then the side-by-side
measurements on the data it loaded, and the daily run last, since it moves the world one day on.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import ingestion, load, monitors, orchestration, quality_gate, report, transforms
from bench.measure import ChildRun, Figure, run_child
from bench.sandbox import child_env, sandbox
from bench.scales import HISTORY_DAYS, SCALES, TODAY, Scale
from transforms.contracts import marts
from transforms.project import project

ROOT = Path(__file__).resolve().parent.parent
OVERRIDES = ROOT / "sandbox" / "campaign_key_overrides.csv"
GIB = 2**30
TARGETS = {"ingestion": 0.6, "load_duckdb": 2.0, "load_postgres": 3.0, "transforms": 1.15, "incremental": 0.03,
           "gate": 1.5, "peak_rss": 2 * GIB, "scaling": 10.0, "daily_scaling": 1.25}
# A backfill of a month a quarter back, after the daily run: its days and the lookback before them.
BACKFILL_DAYS = (120, 91)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def _run_stats(run_id: str | None = None) -> dict[str, Any]:
    """The newest run's duration and its steps' durations, from the Dagster instance."""
    from dagster import DagsterInstance

    instance = DagsterInstance.get()
    run = instance.get_runs(limit=1)[0] if run_id is None else instance.get_run_by_id(run_id)
    stats = instance.get_run_stats(run.run_id)
    steps = {
        s.step_key: s.end_time - s.start_time
        for s in instance.get_run_step_stats(run.run_id)
        if s.start_time and s.end_time
    }
    return {"run_id": run.run_id, "seconds": stats.end_time - stats.start_time, "steps": steps}


def _pipeline_run(argv: list[str], env: dict[str, str], work: Path) -> tuple[ChildRun, dict[str, Any]]:
    child = run_child(argv, env, str(work))
    if child.returncode != 0:
        raise SystemExit(f"bench: {' '.join(argv[2:])} failed ({child.returncode}):\n{child.stdout[-3000:]}\n{child.stderr[-3000:]}")
    return child, _run_stats()


def _raw_rows(warehouse: Any) -> dict[str, int]:
    from connectors import registry

    counts: dict[str, int] = {}
    for schema, name in warehouse.relations():
        for source, spec in registry.specs().items():
            if schema == spec.dataset and not name.startswith("_dlt"):
                counts[f"{source}.{name}"] = warehouse.row_count(schema, name)
    return counts


PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _postgres_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def _load_figures(warehouse: Any, work: Path, with_postgres: bool) -> list[Figure]:
    import psycopg

    from warehouse import Warehouse

    tables = load.read_raw(warehouse)
    rows = sum(t.table.num_rows for t in tables)
    figures = []
    dlt_side = Warehouse(f"duckdb:///{work}/load_dlt.duckdb")
    raw_side = Warehouse(f"duckdb:///{work}/load_raw.duckdb")
    raw_s = load.raw_insert(raw_side, tables, "bench_load")
    dlt_s = load.dlt_load(dlt_side, tables, "bench_load")
    figures.append(Figure("load: dlt vs Arrow insert (DuckDB)", dlt_s, raw_s, "s", TARGETS["load_duckdb"],
                          detail={"rows": rows, "tables": len(tables)}))
    if with_postgres:
        if not _postgres_reachable():
            raise SystemExit("bench: PostgreSQL is not reachable on 127.0.0.1:5432; run with --no-postgres to skip it")
        name = f"funnelhouse_bench_{os.getpid()}"
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            pg = Warehouse(f"postgresql://postgres@127.0.0.1:5432/{name}")
            copy_s = load.raw_insert(pg, tables, "bench_copy")
            pg_dlt_s = load.dlt_load(pg, tables, "bench_load")
            pg.dispose()
            figures.append(Figure("load: dlt vs COPY (PostgreSQL)", pg_dlt_s, copy_s, "s", TARGETS["load_postgres"],
                                  detail={"rows": rows, "tables": len(tables)}))
        finally:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return figures


def bench(scale: Scale, work: Path, with_postgres: bool, repeats: int) -> dict[str, Any]:
    from connectors import registry
    from pipelines.run import ensure_dagster_home
    from warehouse import Warehouse

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ["DAGSTER_HOME"] = str(work / "dagster")
    ensure_dagster_home(work)
    warehouse_url = f"duckdb:///{work / 'warehouse.duckdb'}"
    figures: list[Figure] = []
    result: dict[str, Any] = {"scale": scale.name, "ad_group_scale": scale.ad_group_scale,
                              "history_days": HISTORY_DAYS, "machine": f"{os.cpu_count()} cores, {platform.machine()}, "
                              f"Python {platform.python_version()}"}
    with sandbox(scale, TODAY, work) as sb:
        settings = {**sb.env, "FUNNELHOUSE_WAREHOUSE_URL": warehouse_url,
                    "FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES": str(OVERRIDES), "DAGSTER_HOME": os.environ["DAGSTER_HOME"]}
        os.environ.update(settings)
        env = child_env(settings)
        warehouse = Warehouse(warehouse_url)

        print(f"bench[{scale.name}]: full build {scale.start} to {scale.end} ...", flush=True)
        full, full_stats = _pipeline_run(_cli("run", "--start-date", str(scale.start), "--end-date", str(scale.end)), env, work)
        raw_rows = _raw_rows(warehouse)
        result["rows"] = {"by_table": raw_rows, "total": sum(raw_rows.values()),
                          "ad_group_rows": sum(n for t, n in raw_rows.items() if t.endswith(".ad_group_stats"))}
        result["full_build"] = {"wall_seconds": full.seconds, "run_seconds": full_stats["seconds"],
                                "peak_rss_bytes": full.peak_rss_bytes, "steps": full_stats["steps"]}

        print(f"bench[{scale.name}]: Dagster's bookkeeping of a three-year backfill ...", flush=True)
        result["orchestration"] = orchestration.bookkeeping(work / "orchestration", full_stats["seconds"])
        if (figure := orchestration.figure(result["orchestration"])) is not None:
            figures.append(figure)

        print(f"bench[{scale.name}]: replaying the connectors' requests ...", flush=True)
        replayed = ingestion.replay(sb.url, sb.recorded())
        dlt_dir = work / ".funnelhouse" / "dlt" / warehouse.fingerprint
        for source in registry.source_names():
            rows = sum(n for t, n in raw_rows.items() if t.startswith(source + "."))
            # The connector's figure is its dlt run inside the full build (fetch, decode, normalize,
            # load); the Dagster step around it also records one materialization per partition,
            # which is orchestration, reported with the step.
            steps = ingestion.dlt_steps(dlt_dir, f"funnelhouse_{source}")
            ours_s = sum(steps.values())
            # A file drop makes no request: there is nothing to replay, so its figure has no limit.
            fetched = replayed.get(source, {"seconds": 0.0, "requests": 0, "bytes": 0})
            raw_s = fetched["seconds"]
            figures.append(Figure(f"ingestion: {source}", rows / ours_s, rows / raw_s if raw_s else 0.0, "rows/s",
                                  TARGETS["ingestion"], higher_is_better=True,
                                  detail={"rows": rows, "seconds": ours_s, "raw_fetch_seconds": raw_s,
                                          "requests": fetched["requests"], "bytes": fetched["bytes"],
                                          "dlt_steps": steps, "dagster_step_seconds": full_stats["steps"][f"ingest_{source}"]}))

        print(f"bench[{scale.name}]: load, dlt against the engines' bulk paths ...", flush=True)
        figures += _load_figures(warehouse, work, with_postgres)

        print(f"bench[{scale.name}]: transforms and publish, Dagster against direct SQL ...", flush=True)
        dagster_s = min(transforms.through_dagster() for _ in range(repeats))
        direct_s = min(transforms.direct(warehouse) for _ in range(repeats))
        figures.append(Figure("transforms + publish: Dagster vs direct SQL", dagster_s, direct_s, "s",
                              TARGETS["transforms"]))

        print(f"bench[{scale.name}]: quality gate, GX against one SQL pass ...", flush=True)
        result["gx_import_seconds"] = quality_gate.import_seconds()
        per_mart = quality_gate.compare(warehouse, sorted(marts()), repeats)
        figures.append(Figure("gate: GX vs one-pass SQL", sum(m["gx_seconds"] for m in per_mart.values()),
                              sum(m["sql_seconds"] for m in per_mart.values()), "s", TARGETS["gate"],
                              detail={"marts": per_mart}))

        print(f"bench[{scale.name}]: staging checks and monitors, GX against SQL ...", flush=True)
        per_check = monitors.compare(warehouse, project(tuple(registry.source_names())), scale.end, repeats)
        figures.append(Figure("staging checks and monitors: GX vs SQL",
                              sum(m["gx_seconds"] for m in per_check.values()),
                              sum(m["sql_seconds"] for m in per_check.values()), "s", TARGETS["gate"],
                              detail={"checks": per_check}))

        print(f"bench[{scale.name}]: daily run on the full history ...", flush=True)
        sb.set_today(TODAY + timedelta(days=1))
        daily, daily_stats = _pipeline_run(_cli("run", "--start-date", str(TODAY), "--end-date", str(TODAY)), env, work)
        result["daily_run"] = {"wall_seconds": daily.seconds, "run_seconds": daily_stats["seconds"],
                               "peak_rss_bytes": daily.peak_rss_bytes, "steps": daily_stats["steps"]}
        figures.append(Figure("incremental: daily run vs full build", daily_stats["seconds"], full_stats["seconds"], "s",
                              TARGETS["incremental"], detail={"wall_seconds": [daily.seconds, full.seconds]}))

        first, last = (TODAY - timedelta(days=d) for d in BACKFILL_DAYS)
        print(f"bench[{scale.name}]: backfill of {first} to {last} ...", flush=True)
        backfill, backfill_stats = _pipeline_run(_cli("run", "--start-date", str(first), "--end-date", str(last)),
                                                 env, work)
        result["backfill"] = {"wall_seconds": backfill.seconds, "run_seconds": backfill_stats["seconds"],
                              "peak_rss_bytes": backfill.peak_rss_bytes, "steps": backfill_stats["steps"],
                              "days": [str(first), str(last)]}
        warehouse.dispose()

    for phase, child in (("full build", full), ("daily run", daily), ("backfill", backfill)):
        figures.append(Figure(f"peak RSS: {phase}", child.peak_rss_bytes, TARGETS["peak_rss"], "bytes", 1.0,
                              detail={"target_applies_at": "large (10M rows)"}))
    result["figures"] = [f.as_dict() for f in figures]
    return result


def _scaling(results: dict[str, Any]) -> None:
    """Time at 10M rows against time at 1M, once both scales have run: the full build may grow with
    the rows, the daily run must not."""
    if "medium" not in results or "large" not in results:
        return
    medium, large = results["medium"], results["large"]
    rows = {"rows": [medium["rows"]["total"], large["rows"]["total"]]}
    figures = [Figure("scaling: full build at large vs medium", large["full_build"]["run_seconds"],
                      medium["full_build"]["run_seconds"], "s", TARGETS["scaling"], detail=rows)]
    if "daily_run" in medium and "daily_run" in large:
        figures.append(Figure("scaling: daily run at large vs medium", large["daily_run"]["run_seconds"],
                              medium["daily_run"]["run_seconds"], "s", TARGETS["daily_scaling"], detail=rows))
    large["figures"] = [f for f in large["figures"] if not f["name"].startswith("scaling:")] + [
        f.as_dict() for f in figures]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", choices=sorted(SCALES), default="medium")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".funnelhouse" / "bench")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL load figure")
    parser.add_argument("--repeats", type=int, default=3, help="side-by-side timings keep the best of this many")
    args = parser.parse_args(argv)
    # The load figure hands dlt tables read back from the warehouse, whose Arrow types differ in
    # detail from the connectors' hints; dlt warns about each, which would bury the progress lines.
    logging.getLogger("dlt").setLevel(logging.ERROR)
    scale = SCALES[args.scale]
    result = bench(scale, (args.workdir / scale.name).resolve(), not args.no_postgres, args.repeats)
    results = report.load()
    results[scale.name] = result
    _scaling(results)
    report.save(results)
    tables = [report.markdown(name, results[name]) for name in SCALES if name in results]
    report.TABLE.write_text("\n\n".join(tables) + "\n")
    print(report.markdown(scale.name, results[scale.name]))
    print(f"\nwritten: {report.RESULTS.relative_to(ROOT)}, {report.TABLE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
