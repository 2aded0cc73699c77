"""Dagster's bookkeeping of a three-year backfill, apart from any data.

The windowed sources' ingestion steps in the shape `pipelines.ingest` gives them (the same raw table
specs, daily partitions and single-run backfill policy), with a body that does no work, run over a
range of days in one run as `funnelhouse run` runs a backfill: all the run takes is Dagster
recording it, one planned event and one materialization per table and day unless told otherwise.

Each setup runs in a child process against a Dagster home of its own, since Dagster reads two of its
settings from the environment at run time:
- `production`: docs/deployment.md's dagster.yaml (PostgreSQL storage, on a scratch database) and
  its environment, over the full history (left out when no PostgreSQL server answers on
  127.0.0.1:5432);
- `cli_sqlite`: the CLI's default instance (SQLite, `pipelines.run.DAGSTER_YAML`) with the settings
  `funnelhouse run` applies to a range;
- `sqlite_defaults`: the same instance with Dagster's defaults, as before those settings.
The SQLite setups cost 10 to 15 ms per event on 2 cores, minutes for three years, so they run a
sample of days scaled to the full history. The cost is per event, nearly linear in days: 120 days
scaled gave 330 s and 528 s where the full three years took 318 s and 669 s (the event index grows).

`python -m bench.orchestration --days N` is the child: it prints its figures as JSON.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, MaterializeResult

from bench.measure import Figure
from bench.scales import HISTORY_DAYS, TODAY

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
JOB = "bench_bookkeeping"
SAMPLE_DAYS = 120
# Issue 10: a three-year single-run backfill spends under 10% of its time on Dagster's bookkeeping.
TARGET_SHARE = 0.1


def noop_ingest_assets() -> list[Any]:
    """The windowed sources' ingestion multi-assets as `pipelines.ingest` declares them, doing no work."""
    from connectors import registry
    from pipelines.ingest import ingest_multi_asset

    assets = []
    for spec in registry.specs().values():
        if not spec.windowed:
            continue

        @ingest_multi_asset(spec)
        def _noop(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
            for key in context.selected_asset_keys:
                yield MaterializeResult(asset_key=key)

        assets.append(_noop)
    return assets


def _window(days: int) -> tuple[date, date]:
    """The last `days` days of the benchmark's world."""
    end = TODAY - timedelta(days=1)
    return end - timedelta(days=days - 1), end


def run_backfill(days: int) -> dict[str, Any]:
    """One range run of `days` days in the instance of $DAGSTER_HOME: seconds in all, before the first
    step starts (creating the run writes its planned events), and in each step (its materializations)."""
    from dagster import DagsterEventType, DagsterInstance, Definitions, define_asset_job, in_process_executor

    from pipelines.window import partition_tags

    assets = noop_ingest_assets()
    job = Definitions(assets=assets, jobs=[define_asset_job(JOB, executor_def=in_process_executor)]).resolve_job_def(JOB)
    start, end = _window(days)
    instance = DagsterInstance.get()
    started = time.time()
    result = job.execute_in_process(
        instance=instance, tags=partition_tags(start, end), raise_on_error=True,
        run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
    )
    seconds = time.time() - started
    first_step = instance.get_records_for_run(result.run_id, of_type=DagsterEventType.STEP_START, limit=1).records
    planned = instance.get_records_for_run(result.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED,
                                           limit=100_000).records
    steps = {s.step_key: s.end_time - s.start_time for s in instance.get_run_step_stats(result.run_id)
             if s.start_time and s.end_time}
    return {
        "days": days,
        "partitioned_tables": sum(len(a.keys) for a in assets),
        "seconds": seconds,
        "before_first_step_seconds": first_step[0].timestamp - started,
        "step_seconds": steps,
        "planned_events": len(planned),
        "materializations": instance.get_run_stats(result.run_id).materializations,
    }


def production_dagster_yaml() -> str:
    """The dagster.yaml docs/deployment.md gives for production: its first yaml block."""
    match = re.search(r"```yaml\n(.*?)```", DEPLOYMENT_DOC.read_text(), re.DOTALL)
    if match is None:
        raise ValueError(f"{DEPLOYMENT_DOC} has no yaml block")
    return match.group(1)


def production_environment(database_url: str) -> dict[str, str]:
    """The documented environment, pointed at a database given by URL (user and host, no password)."""
    from urllib.parse import urlsplit

    from pipelines.run import BATCH_EVENTS, EVENT_BATCH_SIZE, PLAN_RANGES_AS_ONE

    url = urlsplit(database_url)
    return {"DAGSTER_PG_HOST": url.hostname or "", "DAGSTER_PG_USER": url.username or "",
            "DAGSTER_PG_PASSWORD": url.password or "", "DAGSTER_PG_DB": url.path.lstrip("/"),
            BATCH_EVENTS: EVENT_BATCH_SIZE, PLAN_RANGES_AS_ONE: "true"}


@contextmanager
def scratch_postgres(name: str) -> Iterator[str | None]:
    """A database of its own on the local server, dropped afterwards; None without a server."""
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(home: Path, dagster_yaml: str, env: dict[str, str], days: int) -> dict[str, Any]:
    """One setup in a child process: its dagster.yaml, and its environment in place of the recording
    settings of this one."""
    from pipelines.run import BATCH_EVENTS, PLAN_RANGES_AS_ONE

    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(dagster_yaml)
    child_env = {k: v for k, v in os.environ.items() if k not in (BATCH_EVENTS, PLAN_RANGES_AS_ONE)}
    child_env.update({"DAGSTER_HOME": str(home), **env})
    out = subprocess.run([sys.executable, "-m", "bench.orchestration", "--days", str(days)], env=child_env,
                         capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"bench.orchestration --days {days} failed ({out.returncode}):\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _scaled(sample: dict[str, Any], days: int) -> dict[str, Any]:
    """A sample's seconds scaled to `days`, with the sample as measured."""
    return {"days": days, "seconds": sample["seconds"] * days / sample["days"], "estimated": True, "sample": sample}


def bookkeeping(work_dir: Path, full_build_seconds: float | None = None, days: int = HISTORY_DAYS,
                sample_days: int = SAMPLE_DAYS) -> dict[str, Any]:
    """Seconds Dagster spends recording a `days`-day backfill of the windowed sources, per setup.

    With `full_build_seconds` (the main benchmark's full build: `funnelhouse run` over the same days on
    the CLI's default instance, measured on the same machine in the same benchmark), also each
    setup's share of such a run: its bookkeeping over itself plus the run's work, which is the full
    build less the `cli_sqlite` bookkeeping it contained."""
    from pipelines.run import DAGSTER_YAML, event_settings

    work_dir = Path(work_dir)
    result: dict[str, Any] = {"days": days, "setups": {}}
    with scratch_postgres(f"funnelhouse_bench_orchestration_{os.getpid()}") as url:
        if url is not None:
            result["setups"]["production"] = measure(work_dir / "production", production_dagster_yaml(),
                                                     production_environment(url), days)
    cli_env = event_settings(*_window(sample_days))
    result["setups"]["cli_sqlite"] = _scaled(measure(work_dir / "cli_sqlite", DAGSTER_YAML, cli_env, sample_days), days)
    result["setups"]["sqlite_defaults"] = _scaled(measure(work_dir / "sqlite_defaults", DAGSTER_YAML, {}, sample_days),
                                                  days)
    return result if full_build_seconds is None else with_shares(result, full_build_seconds)


def with_shares(result: dict[str, Any], full_build_seconds: float) -> dict[str, Any]:
    """`bookkeeping`'s result with the full build's work and each setup's share of a run."""
    work = max(full_build_seconds - result["setups"]["cli_sqlite"]["seconds"], 0.0)
    shares = {name: s["seconds"] / (s["seconds"] + work) if s["seconds"] + work else None
              for name, s in result["setups"].items()}
    return {**result, "work_seconds": work, "shares": shares}


def figure(result: dict[str, Any]) -> Figure | None:
    """The production setup's share of a full build, against its target: at most a tenth of the run
    (None without PostgreSQL or without the full build's seconds)."""
    if "production" not in result["setups"] or "work_seconds" not in result:
        return None
    seconds = result["setups"]["production"]["seconds"]
    return Figure("orchestration: Dagster bookkeeping of a 3-year run (production storage) vs the run",
                  seconds, seconds + result["work_seconds"], "s", TARGET_SHARE,
                  detail={name: {"seconds": s["seconds"], "share": result["shares"][name]}
                          for name, s in result["setups"].items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.orchestration", description=__doc__)
    parser.add_argument("--days", type=int, default=HISTORY_DAYS)
    args = parser.parse_args(argv)
    print(json.dumps(run_backfill(args.days)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
