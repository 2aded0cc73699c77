"""`funnelhouse run`: the same job and assets as the UI, executed in-process for a date window."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from connectors.registry import build_source
from pipelines.quality import GATE_CHECK
from transforms.models import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA

# One run at a time: DuckDB admits one writing process, and a backfill from the UI (or the schedule
# firing during one) would otherwise start runs that contend for it.
DAGSTER_YAML = """\
telemetry:
  enabled: false
run_queue:
  max_concurrent_runs: 1
"""

# How Dagster records a run's daily partitions. It reads both from the environment (dagster.yaml has
# no setting for either) when it creates the run and as each step ends; docs/deployment.md sets them
# for every Dagster process in production. Measured by `bench.orchestration`.
# A step's materializations of one table, one per day of the window, are written as one batch: a
# single INSERT on PostgreSQL storage, instead of a transaction per day (SQLite storage still writes
# them one by one).
BATCH_EVENTS = "DAGSTER_EVENT_BATCH_SIZE"
EVENT_BATCH_SIZE = "1000"
# A range run plans each table once, for the whole range, instead of once per day: three years of the
# windowed sources' tables were 20,805 planned events, written before the first step started.
PLAN_RANGES_AS_ONE = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"


@dataclass
class CheckReport:
    asset: str
    check: str
    passed: bool
    severity: str
    outcome: str
    failures: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Rows the check set aside (a quarantine check), or found set aside by the connector.
    quarantined: int = 0
    description: str = ""


@dataclass
class RunSummary:
    run_id: str
    start: date
    end: date
    sources: list[str]
    seconds: float = 0.0
    rows_loaded: dict[str, int] = field(default_factory=dict)
    rows_fetched: dict[str, int] = field(default_factory=dict)
    checks: list[CheckReport] = field(default_factory=list)
    published: dict[str, int] = field(default_factory=dict)
    # Marts this run was to publish and did not, each with why.
    held_back: dict[str, str] = field(default_factory=dict)
    failed_steps: dict[str, str] = field(default_factory=dict)
    candidates: set[str] = field(default_factory=set)
    # What on-call staff were told: one line per alert sent or resolved, with its channels.
    alerts: list[str] = field(default_factory=list)

    @property
    def failed_gates(self) -> dict[str, CheckReport]:
        """The marts whose gate check failed (or could not run), with its report."""
        return {c.asset.split("/", 1)[1]: c for c in self.checks if c.check == GATE_CHECK and not c.passed}

    @property
    def blocking_failures(self) -> list[CheckReport]:
        return [c for c in self.checks if not c.passed and c.severity == "ERROR"]

    @property
    def failed_contracts(self) -> dict[str, CheckReport]:
        """Staging tables that failed a blocking check (their contract, reconciliation), by relation:
        the models built from them were held back."""
        return {c.asset.replace("/", "."): c for c in self.checks
                if c.asset.startswith("staging/") and not c.passed and c.severity == "ERROR"}

    @property
    def quarantined(self) -> dict[str, int]:
        return {c.asset.replace("/", "."): c.quarantined for c in self.checks if c.quarantined}

    def quality_lines(self) -> list[str]:
        """One screen: what ran, what warned, what blocked, what was set aside."""
        warnings = [c for c in self.checks if not c.passed and c.severity != "ERROR"]
        errors = [c for c in self.checks if c.outcome == "error"]
        lines = [f"quality: {len(self.checks)} checks and monitors run: {sum(c.passed for c in self.checks)} passed, "
                 f"{len(warnings)} warnings, {len(self.blocking_failures)} blocking"
                 + (f", {len(errors)} could not run" if errors else "")]
        quarantined = self.quarantined
        if quarantined:
            lines.append(f"quarantined: {sum(quarantined.values()):,} rows set aside, the rest published: "
                         + ", ".join(f"{relation} ({rows:,})" for relation, rows in quarantined.items()))
        return lines

    @property
    def ok(self) -> bool:
        return not self.failed_steps and not self.blocking_failures and not self.held_back and bool(self.published)

    def render(self) -> str:
        lines = [f"funnelhouse run {self.run_id[:8]}: {self.start} to {self.end}, sources {', '.join(self.sources)}"]
        lines.append("rows loaded:")
        for source in self.sources:
            lines.append(f"  {source:<18} {self.rows_loaded.get(source, 0):>10,} rows "
                         f"({self.rows_fetched.get(source, 0):,} fetched)")
        lines.extend(self.quality_lines())
        for check in self.checks:
            if check.passed:
                continue
            kind = "VALIDATOR ERROR" if check.outcome == "error" else ("BLOCKING" if check.severity == "ERROR" else "warning")
            lines.append(f"  [{kind}] {check.asset} {check.check}")
            for error in check.errors:
                lines.append(f"      {error}")
            if check.description and not check.failures and not check.errors:
                lines.append(f"      {check.description}")
            for failure in check.failures:
                lines.append(f"      {failure['description']}")
                for row in failure.get("sample_rows", []):
                    lines.append(f"        e.g. {row}")
        for step, message in self.failed_steps.items():
            lines.append(f"step failed: {step}: {message}")
        if self.published:
            lines.append("published: " + ", ".join(f"marts.{n} ({c:,} rows)" for n, c in self.published.items()))
        else:
            lines.append("published: nothing; marts keep their previous version")
        for name, reason in self.held_back.items():
            lines.append(f"held back: marts.{name} keeps its previous version: {reason}")
        lines.extend(self.alerts)
        lines.append(f"status: {'OK' if self.ok else 'FAILED'} in {self.seconds:.1f}s")
        return "\n".join(lines)


def event_settings(start: date, end: date) -> dict[str, str]:
    """What a run of these dates asks of Dagster's recording. A range is planned as one event per
    table: should the run fail, its days show as missing rather than failed in each asset's
    partitions (the run, the backfill and the alert still say it failed). A single day keeps its one
    planned event per table, which costs the same and marks the day failed."""
    settings = {BATCH_EVENTS: EVENT_BATCH_SIZE}
    if end > start:
        settings[PLAN_RANGES_AS_ONE] = "true"
    return settings


def deployment_settings() -> dict[str, str]:
    """What docs/deployment.md sets for every Dagster process, for `funnelhouse dev`'s: runs launched
    from the UI (backfills of months included) are recorded as a deployment records them. An
    operator's own values stand."""
    return {key: os.environ.get(key, value) for key, value in event_settings(date.min, date.max).items()}


@contextmanager
def recording(settings: dict[str, str]) -> Iterator[None]:
    """The settings for the length of a run, where the environment has none: an operator's own choice
    stands, and nothing is left behind for the next run in the same process (the tests')."""
    added = {key: value for key, value in settings.items() if key not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for key in added:
            os.environ.pop(key, None)


def ensure_dagster_home(state_dir: Path = Path(".funnelhouse")) -> Path:
    """CLI runs land in the same instance `make dev` shows, so they appear in the UI."""
    home = Path(os.environ.get("DAGSTER_HOME") or (state_dir / "dagster")).resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def preflight(sources: list[str]) -> None:
    """Fail fast on a missing or malformed setting, before any step runs."""
    from warehouse import load_settings

    load_settings()
    for name in sources:
        build_source(name)


def run(start: date, end: date, sources: str | None = None, stream: Any = None,
        full_refresh: bool = False) -> RunSummary:
    """Run the deployment's job for the window: `sources` (a comma list, default every enabled
    source) are ingested, and the models build on what earlier runs loaded for the others: the
    incremental ones by the window's days, or whole with `full_refresh`."""
    from dagster import DagsterInstance

    from connectors.common import progress as rows
    from connectors.registry import parse_source_list
    from pipelines.alerting import CLI_TRIGGER, TRIGGER_TAG
    from pipelines.definitions import JOB_NAME, build_pipeline, load_deployment
    from pipelines.progress import ProgressReporter
    from pipelines.transform import STEP_NAME
    from pipelines.window import partition_tags

    deployment = load_deployment()
    names = parse_source_list(sources, allowed=list(deployment.sources))
    preflight(names)
    ensure_dagster_home()
    pipeline = build_pipeline(deployment)
    job = pipeline.definitions.resolve_job_def(JOB_NAME)
    instance = DagsterInstance.get()
    run_id = str(uuid.uuid4())
    summary = RunSummary(run_id, start, end, names)
    started = time.monotonic()
    with ProgressReporter(instance, run_id, stream=stream), recording(event_settings(start, end)):
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            tags={**partition_tags(start, end), TRIGGER_TAG: CLI_TRIGGER},
            asset_selection=pipeline.asset_keys_for(names),
            raise_on_error=False,
            # The progress line and the summary replace Dagster's console event log; the full log
            # stays in the instance, where the UI shows it.
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}},
                        "ops": {STEP_NAME: {"config": {"full_refresh": full_refresh}}}},
        )
        summary.rows_fetched = rows.snapshot()
    summary.seconds = time.monotonic() - started
    _collect(result, summary)
    _hold_back(pipeline.project, summary)
    summary.alerts = send_alerts(instance, run_id)
    return summary


def send_alerts(instance: Any, run_id: str) -> list[str]:
    """The run's alerts, through the same path as the Dagster sensor's. Alerting never fails the run:
    a warehouse it cannot reach is reported in the summary, as each channel's failure is."""
    import logging

    from alerts.redact import Redactor, source_secrets
    from alerts.settings import load_alert_settings
    from pipelines.alerting import alert_run

    try:
        return alert_run(instance, run_id).lines()
    except Exception as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        try:
            text = Redactor([*source_secrets(), *load_alert_settings().secrets()]).text(text)
        except Exception:
            # Without the list of secrets, nothing of the message can be shown safely.
            text = ""
        message = f"{type(exc).__name__}{': ' + text[:300] if text else ''}"
        logging.getLogger("funnelhouse.alerts").error("alerts were not sent: %s", message)
        return [f"alerts: not sent: {message}"]


def _collect(result: Any, summary: RunSummary) -> None:
    # A partition range emits one materialization per partition of the same load: count each asset once.
    latest = {event.materialization.asset_key: event.materialization for event in result.get_asset_materialization_events()}
    for key, materialization in latest.items():
        path, meta = key.path, materialization.metadata
        if path[0].startswith("raw_") and "rows_loaded" in meta:
            source = path[0][len("raw_"):]
            summary.rows_loaded[source] = summary.rows_loaded.get(source, 0) + int(meta["rows_loaded"].value)
        # A view over a mart is published with it and has no row count of its own.
        if path[0] == PUBLISHED_SCHEMA and "dagster/row_count" in meta:
            summary.published[path[1]] = int(meta["dagster/row_count"].value)
        if path[0] == CANDIDATE_SCHEMA:
            summary.candidates.add(path[1])
    for evaluation in result.get_asset_check_evaluations():
        meta = evaluation.metadata
        summary.checks.append(CheckReport(
            asset="/".join(evaluation.asset_key.path),
            check=evaluation.check_name,
            passed=evaluation.passed,
            severity=evaluation.severity.value if evaluation.severity else "ERROR",
            outcome=meta["outcome"].value if "outcome" in meta else ("passed" if evaluation.passed else "failed"),
            failures=list(meta["failed_expectations"].value) if "failed_expectations" in meta else [],
            errors=list(meta["validator_errors"].value) if "validator_errors" in meta else [],
            quarantined=int(meta["quarantined_rows"].value) if "quarantined_rows" in meta else 0,
            description=evaluation.description or "",
        ))
    gated = summary.failed_gates
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            # A gate step fails when its check does: that is a held-back mart, reported as such.
            if event.step_key.startswith("gate_") and event.step_key[len("gate_"):] in gated:
                continue
            error = event.event_specific_data.error if event.event_specific_data else None
            message = _root_message(error) if error else "failed"
            summary.failed_steps[event.step_key] = message


def _hold_back(project: Any, summary: RunSummary) -> None:
    """Why each mart this run did not publish kept its previous version, in dependency order."""
    failed_gates = summary.failed_gates
    failed_contracts = summary.failed_contracts
    for name in project.marts:
        if name in summary.published:
            continue
        upstream = {".".join(relation) for relation in project.upstream((CANDIDATE_SCHEMA, name))}
        if broken := sorted(set(failed_contracts) & upstream):
            reason = "it is built from " + ", ".join(f"{relation}, which failed its {failed_contracts[relation].check}"
                                                     for relation in broken)
        elif name in failed_gates:
            check = failed_gates[name]
            details = check.errors or [f["description"] for f in check.failures]
            kind = "its gate could not run" if check.outcome == "error" else "its gate failed"
            reason = f"{kind}: {'; '.join(details)}"
        elif name not in summary.candidates:
            # The failed step is the cause, whether or not the marts it is built from were held too.
            steps = ", ".join(summary.failed_steps) or "an upstream step"
            reason = f"its candidate was not rebuilt, since {steps} failed"
        elif held := [u for u in project.upstream_marts(name) if u in summary.held_back]:
            reason = f"it is built from {', '.join(f'marts.{u}' for u in held)}, held back"
        else:
            reason = f"publish_{name} did not complete"
        summary.held_back[name] = reason


def _root_message(error: Any) -> str:
    """The innermost cause is the one that names the source, record or key."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return (error.message or "").strip().splitlines()[-1] if error.message else error.cls_name
