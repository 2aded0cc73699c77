"""Our transform runner against dbt-core (dbt-duckdb) and SQLMesh, on the same models and data.

Each engine gets its own copy of a populated DuckDB warehouse, cleared down to the raw tables and the
seed, and runs the project's models (our SQL files, rendered by our renderer; only the window
predicate and the table names are handed to the engine's own syntax) three ways:

- full: every model built whole;
- window: a daily run with its 30-day restatement lookback, 31 days: the incremental models rebuild
  those days (ours: delete + insert, the marts merged in by publish; dbt: `delete+insert` on the date
  column under `is_incremental()`; SQLMesh: INCREMENTAL_BY_TIME_RANGE restated for those days), the
  others are rebuilt whole;
- fixed cost: what a run costs with nothing to build (ours: assembling the project and planning each
  model; dbt: an in-process invocation that selects no model, beside a cold `dbt parse` and the same
  invocation as a process of its own, as dagster-dbt runs dbt; SQLMesh: loading the project and a
  no-op plan and run).

Each phase ends with its writes in the database file. Every engine's marts are compared with ours
after each build, by row count and a checksum of their rows: a timing of results that differ would
mean nothing. Staging checks, quarantine and the quality gate are left out on every side: they are the
same SQL whichever engine builds the tables. `--repeats` runs every engine again, in rotating order,
and keeps each figure's best.

dbt and SQLMesh are not dependencies of funnelhouse: install them beside it, in a venv of its own,
then run against a warehouse (it is copied, never written):

    pip install -e '.[engines]'
    python -m bench.engines --warehouse .funnelhouse/warehouse.duckdb --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from transforms.models import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA, SEED_SCHEMA, Model, Relation, referenced_tables
from transforms.project import Project
from transforms.state import Window

WINDOW_DAYS = 31
ENGINES = ("ours", "dbt", "sqlmesh")
# Dates no warehouse holds: rendered by our own Window.predicate, then swapped for the engine's SQL.
_SENTINEL = (date(1111, 1, 11), date(2222, 2, 22))
# A run's window as dbt sees it: the days under `is_incremental()`, every row on a full refresh.
DBT_WINDOW = ("{% if is_incremental() %}", "{% else %}1 = 1{% endif %}",
              "'{{ var(\"window_start\") }}'", "'{{ var(\"window_end\") }}'")
SQLMESH_WINDOW = ("", "", "@start_ds", "@end_ds")


class _EngineWindow:
    """Stands in for a `Window` while rendering: our predicate, its days left to the engine."""

    def __init__(self, before: str, after: str, start: str, end: str):
        self.before, self.after, self.start, self.end = before, after, start, end

    def predicate(self, column: str) -> str:
        ours = Window(column, *_SENTINEL).predicate()
        days = ours.replace(f"'{_SENTINEL[0].isoformat()}'", self.start).replace(f"'{_SENTINEL[1].isoformat()}'",
                                                                                  self.end)
        return f"{self.before}{days}{self.after}"


def engine_sql(model: Model, variables: Mapping[str, object], window: Sequence[str]) -> str:
    """The model as our renderer renders it, with each `{{ window(col) }}` in the engine's terms.
    Engines render the result as jinja (dbt) or with their own macros (SQLMesh), so what we render
    must hold neither."""
    sql = model.render(variables, _EngineWindow(*window) if model.incremental else None)
    plain = model.render(variables, None)
    if any(token in plain for token in ("{{", "{%", "{#", "@")):
        raise ValueError(f"{model.relation} renders characters an engine would read as its own templating")
    return sql


def replace_relations(sql: str, names: Mapping[Relation, str]) -> str:
    """Each `schema.table` the SQL names, as the engine refers to it."""
    if not names:
        return sql
    pattern = re.compile(r"(?<![\w.\"])(" + "|".join(re.escape(f"{s}.{t}") for s, t in names) + r")(?![\w\"])")
    return pattern.sub(lambda m: names[tuple(m.group(1).split(".", 1))], sql)


def check_all_named(sql: str, names: Mapping[Relation, str]) -> None:
    """A table left under its own name would read our copy of it, silently, and out of the engine's order."""
    named = ("engine_named", "relation")
    left = set(referenced_tables(replace_relations(sql, {key: ".".join(named) for key in names}))) - {named}
    if left:
        raise ValueError(f"no engine name for {', '.join(f'{s}.{t}' for s, t in sorted(left))}")


def sources_of(project: Project) -> dict[str, list[str]]:
    """The tables the models read that no model builds (raw tables, seeds), by schema."""
    built = {m.key for m in project.models}
    found: dict[str, set[str]] = {}
    for model in project.models:
        for schema, table in referenced_tables(model.render({"reporting_currency": "XXX"})):
            if (schema, table) not in built:
                found.setdefault(schema, set()).add(table)
    return {schema: sorted(tables) for schema, tables in sorted(found.items())}


# --- dbt ---------------------------------------------------------------------------------------------

_DBT_SCHEMA_MACRO = """\
{#- Our schemas as they are: dbt's default prefixes each with the target's. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
{{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
"""


def dbt_names(project: Project) -> dict[Relation, str]:
    """How a dbt model names each table ours read: a model by ref, anything else by source."""
    names: dict[Relation, str] = {m.key: f"{{{{ ref('{m.name}') }}}}" for m in project.models}
    for schema, tables in sources_of(project).items():
        names.update({(schema, t): f"{{{{ source('{schema}', '{t}') }}}}" for t in tables})
    return names


def dbt_model_sql(model: Model, names: Mapping[Relation, str], variables: Mapping[str, object]) -> str:
    """An incremental model replaces the days its new rows hold (delete+insert on the date column):
    ours replaces every day of the window, so a day a restatement emptied keeps its rows in dbt until
    a full refresh. dbt's `microbatch` strategy replaces whole batches, at one query per day (or month)."""
    if model.incremental:
        config = (f"materialized='incremental', incremental_strategy='delete+insert', "
                  f"unique_key='{model.incremental}', schema='{model.schema}'")
    else:
        config = f"materialized='table', schema='{model.schema}'"
    check_all_named(model.render(variables), names)
    return f"{{{{ config({config}) }}}}\n" + replace_relations(engine_sql(model, variables, DBT_WINDOW), names)


def dbt_project_files(project: Project, variables: Mapping[str, object], database: Path,
                      settings: Mapping[str, str]) -> dict[str, str]:
    """A dbt project of our models, by path within its directory. JSON is YAML, and needs no quoting rules."""
    files = {
        "dbt_project.yml": json.dumps({
            "name": "funnelhouse_bench", "version": "1.0", "config-version": 2, "profile": "funnelhouse_bench",
            "model-paths": ["models"], "macro-paths": ["macros"],
            "vars": {"window_start": "1900-01-01", "window_end": "1900-01-01"},
            "flags": {"send_anonymous_usage_stats": False},
        }, indent=1),
        "profiles.yml": json.dumps({"funnelhouse_bench": {"target": "bench", "outputs": {"bench": {
            # One thread, as our runner builds one model at a time: DuckDB parallelizes each query.
            # Closed after each invocation, as the dbt command dagster-dbt runs in a process of its own would be.
            "type": "duckdb", "path": str(database), "schema": "main", "threads": 1, "settings": dict(settings),
            "keep_open": False,
        }}}}, indent=1),
        "macros/generate_schema_name.sql": _DBT_SCHEMA_MACRO,
        "models/sources.yml": json.dumps({"version": 2, "sources": [
            {"name": schema, "schema": schema, "tables": [{"name": t} for t in tables]}
            for schema, tables in sources_of(project).items()]}, indent=1),
    }
    names = dbt_names(project)
    for model in project.models:
        files[f"models/{model.layer}/{model.name}.sql"] = dbt_model_sql(model, names, variables)
    return files


# --- SQLMesh -----------------------------------------------------------------------------------------

def sqlmesh_model_sql(model: Model, variables: Mapping[str, object], start: date) -> str:
    kind = f"INCREMENTAL_BY_TIME_RANGE (time_column {model.incremental})" if model.incremental else "FULL"
    header = f"MODEL (\n  name {model.relation},\n  kind {kind},\n  start '{start.isoformat()}',\n  cron '@daily'\n);\n"
    return header + engine_sql(model, variables, SQLMESH_WINDOW)


def sqlmesh_project_files(project: Project, variables: Mapping[str, object], start: date) -> dict[str, str]:
    return {f"models/{m.layer}/{m.name}.sql": sqlmesh_model_sql(m, variables, start) for m in project.models}


# --- measuring -------------------------------------------------------------------------------------

def write_files(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def checksums(conn: Any, relations: Mapping[str, str]) -> dict[str, tuple[int, int]]:
    """Each mart's row count and the sum of its rows' hashes, columns in name order, through a DuckDB
    connection. Doubles are hashed at single precision: a sum of doubles ends in different last bits
    depending on the order DuckDB's threads added it up in, whichever engine ran the query."""
    found = {}
    for name, relation in relations.items():
        schema, table = relation.split(".")
        columns = conn.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? "
                               "AND table_name = ? ORDER BY column_name", [schema, table]).fetchall()
        values = ", ".join(f'cast("{c}" as float)' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in columns)
        rows, digest = conn.execute(f"SELECT count(*), coalesce(sum(hash({values})), 0) FROM {relation}").fetchone()
        found[name] = (int(rows), int(digest))
    return found


Check = Callable[[str, Any], None]


def _ours(database: Path, project: Project, variables: Mapping[str, object], days: tuple[date, date],
          check: Check) -> dict[str, Any]:
    from transforms import incremental, publication, runner, state
    from transforms.project import project as assemble
    from warehouse import Warehouse

    warehouse = Warehouse(f"duckdb:///{database}")

    def plans(full_refresh: bool) -> dict[str, tuple[incremental.Plan, str, state.Build | None]]:
        assemble.cache_clear()
        models = assemble(project.sources).models
        found = incremental.fingerprints(models, variables, warehouse.dialect, {})
        with warehouse.begin() as conn:
            existing = warehouse.relations(conn)
            builds = state.read(warehouse, conn, existing)
            return {m.relation: (incremental.plan(m, found[m.relation], builds, {}, existing, days, full_refresh),
                                 found[m.relation], builds.get(m.relation)) for m in models}

    result: dict[str, Any] = {}

    def build(phase: str, full_refresh: bool) -> None:
        planned = plans(full_refresh)
        with warehouse.engine.connect() as conn:
            for model in project.models:
                plan, fingerprint, previous = planned[model.relation]
                runner.build(warehouse, model, variables, conn, plan.window, fingerprint, "bench", previous)
        # A mart goes live only here, after its gate in the pipeline: dbt and SQLMesh build in place.
        result[f"{phase}_publish"] = timed(
            lambda: publication.publish(warehouse, project.marts, "bench", project.sources))

    result["full"] = timed(lambda: build("full", True))
    check("full", None)
    windowed = [r for r, (p, _, _) in plans(False).items() if p.window is not None]
    expected = [m.relation for m in project.models if m.incremental]
    if sorted(windowed) != sorted(expected):
        raise RuntimeError(f"ours: only {windowed} of the incremental models {expected} would rebuild by days")
    result["fixed"] = timed(lambda: plans(False))
    result["window"] = timed(lambda: build("window", False))
    check("window", None)
    warehouse.dispose()
    return result


def _dbt(database: Path, work: Path, project: Project, variables: Mapping[str, object], settings: Mapping[str, str],
         days: tuple[date, date], check: Check) -> dict[str, Any]:
    os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    from dbt.cli.main import dbtRunner

    write_files(work, dbt_project_files(project, variables, database, settings))
    common = ["--project-dir", str(work), "--profiles-dir", str(work), "--quiet"]

    result: dict[str, Any] = {}

    def invoke(phase: str, *args: str) -> None:
        started = time.perf_counter()
        outcome = dbtRunner().invoke([*args, *common])
        result[phase] = time.perf_counter() - started
        if not outcome.success:
            raise RuntimeError(f"dbt {' '.join(args)} failed: {outcome.exception or outcome.result}")
        if phase in ("full", "window"):
            # What the models' materializations took; the rest of the invocation is dbt's own.
            result[f"{phase}_in_models"] = sum(node.execution_time for node in outcome.result.results)

    invoke("parse_cold", "parse", "--no-partial-parse")
    invoke("full", "run", "--full-refresh")
    check("full", None)
    window = json.dumps({"window_start": days[0].isoformat(), "window_end": days[1].isoformat()})
    invoke("window", "run", "--vars", window)
    check("window", None)
    # Vars other than the last run's make dbt parse the project anew, as each day's window would: the
    # first invocation that selects nothing costs that, the second only what every invocation costs.
    nothing = ("run", "--select", "tag:no_such_tag")
    invoke("noop_reparsed", *nothing)
    invoke("fixed", *nothing)
    dbt = Path(sys.executable).with_name("dbt")
    result["fixed_subprocess"] = timed(lambda: subprocess.run([str(dbt), *nothing, *common], check=True,
                                                              capture_output=True))
    return result


def _sqlmesh(database: Path, work: Path, project: Project, variables: Mapping[str, object],
             settings: Mapping[str, str], first_day: date, days: tuple[date, date],
             check: Check) -> dict[str, Any]:
    os.environ["SQLMESH__DISABLE_ANONYMOUS_ANALYTICS"] = "1"
    from sqlmesh import Context
    from sqlmesh.core.config import Config, DuckDBConnectionConfig, GatewayConfig, ModelDefaultsConfig

    write_files(work, sqlmesh_project_files(project, variables, first_day))
    config = Config(gateways={"bench": GatewayConfig(connection=DuckDBConnectionConfig(
        database=str(database), connector_config=dict(settings)))}, default_gateway="bench",
        model_defaults=ModelDefaultsConfig(dialect="duckdb"))
    context = Context(paths=str(work), config=config)
    # Columns of the raw tables, as `sqlmesh create_external_models` writes them once per project.
    context.create_external_models()
    result: dict[str, Any] = {}
    started = time.perf_counter()
    context = Context(paths=str(work), config=config)
    result["load"] = time.perf_counter() - started

    def apply(**restated: Any) -> None:
        context.plan(auto_apply=True, no_prompts=True, skip_tests=True, **restated)
        # SQLMesh keeps its connection open, so its writes would reach the file at a later checkpoint,
        # in another phase's time: ours and dbt pay for theirs when they close their connections.
        context.engine_adapter.cursor.execute("CHECKPOINT")

    result["full"] = timed(apply)
    # Through SQLMesh's own connection: DuckDB opens a file twice in a process only with one configuration.
    check("full", context.engine_adapter.cursor)
    result["window"] = timed(lambda: apply(restate_models=[m.relation for m in project.models], start=days[0],
                                           end=days[1]))
    check("window", context.engine_adapter.cursor)
    result["noop_plan"] = timed(lambda: context.plan(auto_apply=True, no_prompts=True, skip_tests=True))
    result["noop_run"] = timed(lambda: context.run())
    context.close()
    result["fixed"] = result["load"] + result["noop_plan"] + result["noop_run"]
    return result


def clear(database: Path, project: Project) -> None:
    """Leave the raw tables and the seed only, so every engine's full build starts from the same
    state, and none pays for dropping what the pipeline built (SQLMesh could not even create its
    views under the names of our tables). The checkpoint writes the drops out before any timing."""
    import duckdb

    with duckdb.connect(str(database)) as conn:
        for schema in (PUBLISHED_SCHEMA, CANDIDATE_SCHEMA, "audit"):
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        for model in project.models:
            conn.execute(f"DROP TABLE IF EXISTS {model.relation}")
        conn.execute("CHECKPOINT")


def warehouse_facts(database: Path, project: Project) -> dict[str, Any]:
    """Raw rows by table, the days the incremental staging tables hold, and each mart's rows."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as conn:
        raw = {f"{s}.{t}": conn.execute(f"SELECT count(*) FROM {s}.{t}").fetchone()[0]
               for s, tables in sources_of(project).items() if s != SEED_SCHEMA for t in tables}
        spans = [conn.execute(f"SELECT min({m.incremental}), max({m.incremental}) FROM {m.relation}").fetchone()
                 for m in project.models if m.layer == "staging" and m.incremental]
    first, last = min(a for a, _ in spans), max(b for _, b in spans)
    return {"raw_rows": raw, "raw_total": sum(raw.values()), "first_day": first, "last_day": last}


def enabled_project(database: Path) -> Project:
    """The project of every source whose raw tables the warehouse holds."""
    import duckdb

    from connectors import registry
    from transforms.project import project

    with duckdb.connect(str(database), read_only=True) as conn:
        schemas = {s for (s,) in conn.execute("SELECT DISTINCT table_schema FROM information_schema.tables").fetchall()}
    return project(tuple(s for s in registry.source_names() if registry.spec(s).dataset in schemas))


def compare(database: Path, workdir: Path, engines: Sequence[str], reporting_currency: str,
            repeats: int = 1) -> dict[str, Any]:
    """Each engine `repeats` times, the engines' order rotating from round to round, each figure the
    best of its rounds: the least disturbed by whatever else the machine runs."""
    from warehouse.engine import duckdb_memory_limit

    project = enabled_project(database)
    variables = {"reporting_currency": reporting_currency}
    settings = {"memory_limit": duckdb_memory_limit()}
    facts = warehouse_facts(database, project)
    days = (facts["last_day"] - timedelta(days=WINDOW_DAYS - 1), facts["last_day"])
    results: dict[str, Any] = {"facts": facts, "window": days, "repeats": repeats, "engines": {}}
    for round_ in range(repeats):
        for engine in [*engines[round_ % len(engines):], *engines[:round_ % len(engines)]]:
            print(f"engines: {engine} (round {round_ + 1} of {repeats}) ...", file=sys.stderr, flush=True)
            timing, sums = _measure(engine, database, workdir / engine, project, variables, settings, facts, days)
            found = results["engines"].setdefault(engine, {"rounds": [], "marts": sums})
            if sums != found["marts"]:
                raise RuntimeError(f"{engine}: its marts differ from one round to the next")
            found["rounds"].append(timing)
            found["seconds"] = {key: min(r[key] for r in found["rounds"]) for key in timing}
    return results


def _measure(engine: str, database: Path, work: Path, project: Project, variables: Mapping[str, object],
             settings: Mapping[str, str], facts: Mapping[str, Any], days: tuple[date, date],
             ) -> tuple[dict[str, float], dict[str, Any]]:
    """One engine's timings on a fresh copy of the warehouse, and its marts' checksums by phase."""
    import duckdb

    marts = {n: f"{PUBLISHED_SCHEMA if engine == 'ours' else CANDIDATE_SCHEMA}.{n}" for n in project.marts}
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    # Not named after the engine: SQLMesh keeps its state in a schema `sqlmesh`, which a catalog
    # of the same name (DuckDB's for the file sqlmesh.duckdb) makes ambiguous.
    copy = work / "warehouse.duckdb"
    shutil.copyfile(database, copy)
    clear(copy, project)
    sums: dict[str, Any] = {}

    def check(phase: str, conn: Any) -> None:
        if conn is None:
            with duckdb.connect(str(copy), read_only=True) as own:
                sums[phase] = checksums(own, marts)
        else:
            sums[phase] = checksums(conn, marts)

    if engine == "ours":
        timing = _ours(copy, project, variables, days, check)
    elif engine == "dbt":
        timing = _dbt(copy, work / "project", project, variables, settings, days, check)
    else:
        timing = _sqlmesh(copy, work / "project", project, variables, settings, facts["first_day"], days, check)
    copy.unlink()
    return timing, sums


def report(results: Mapping[str, Any]) -> str:
    facts = results["facts"]
    ours = results["engines"].get("ours", {}).get("marts")
    lines = [f"raw rows: {facts['raw_total']:,} ({facts['first_day']} to {facts['last_day']}); "
             f"window: {results['window'][0]} to {results['window'][1]}; best of {results['repeats']} rounds",
             "", f"{'engine':<9} {'full s':>8} {'31-day window s':>16} {'fixed cost s':>13}  marts equal ours",
             "-" * 72]
    for engine, found in results["engines"].items():
        s = found["seconds"]
        if ours is None or engine == "ours":
            same = "-"
        else:
            differing = [f"{n} ({phase})" for phase in ("full", "window") for n in ours[phase]
                         if found["marts"][phase].get(n) != ours[phase][n]]
            same = "yes" if not differing else "NO: " + ", ".join(differing)
        lines.append(f"{engine:<9} {s['full']:>8.2f} {s['window']:>16.2f} {s['fixed']:>13.2f}  {same}")
    lines.append("")
    for engine, found in results["engines"].items():
        extra = {k: round(v, 2) for k, v in found["seconds"].items() if k not in ("full", "window", "fixed")}
        if extra:
            lines.append(f"{engine}: {extra}")
    if ours:
        lines.append("marts (ours, after the window): " + ", ".join(f"{n} {rows:,}" for n, (rows, _) in
                                                                    ours["window"].items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.engines", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True, help="a populated DuckDB warehouse (read only)")
    parser.add_argument("--workdir", type=Path, help="where the copies and generated projects go (a temp dir)")
    parser.add_argument("--engines", default=",".join(ENGINES), help=f"a subset of {','.join(ENGINES)}")
    parser.add_argument("--reporting-currency", help="the warehouse's (FUNNELHOUSE_REPORTING_CURRENCY)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of every engine; each figure is the best")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    from warehouse import load_settings

    engines = [e for e in args.engines.split(",") if e]
    if unknown := set(engines) - set(ENGINES):
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="funnelhouse-engines-"))
    currency = args.reporting_currency or load_settings().reporting_currency
    results = compare(args.warehouse.resolve(), workdir.resolve(), engines, currency, args.repeats)
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
