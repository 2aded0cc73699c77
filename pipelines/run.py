"""`funnelhouse run`: the same job and assets as the UI, executed in-process for a date window."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from connectors.registry import build_source

DAGSTER_YAML = """\
telemetry:
  enabled: false
"""


@dataclass
class CheckReport:
    asset: str
    check: str
    passed: bool
    severity: str
    outcome: str
    failures: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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
    failed_steps: dict[str, str] = field(default_factory=dict)

    @property
    def blocking_failures(self) -> list[CheckReport]:
        return [c for c in self.checks if not c.passed and c.severity == "ERROR"]

    @property
    def ok(self) -> bool:
        return not self.failed_steps and not self.blocking_failures and bool(self.published)

    def render(self) -> str:
        lines = [f"funnelhouse run {self.run_id[:8]}: {self.start} to {self.end}, sources {', '.join(self.sources)}"]
        lines.append("rows loaded:")
        for source in self.sources:
            lines.append(f"  {source:<18} {self.rows_loaded.get(source, 0):>10,} rows "
                         f"({self.rows_fetched.get(source, 0):,} fetched)")
        passed = sum(c.passed for c in self.checks)
        lines.append(f"checks: {passed} passed, {len(self.checks) - passed} failed")
        for check in self.checks:
            if check.passed:
                continue
            kind = "VALIDATOR ERROR" if check.outcome == "error" else ("BLOCKING" if check.severity == "ERROR" else "warning")
            lines.append(f"  [{kind}] {check.asset} {check.check}")
            for error in check.errors:
                lines.append(f"      {error}")
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
        lines.append(f"status: {'OK' if self.ok else 'FAILED'} in {self.seconds:.1f}s")
        return "\n".join(lines)


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


def run(start: date, end: date, sources: list[str], stream: Any = None) -> RunSummary:
    from dagster import DagsterInstance

    from connectors.common import progress as rows
    from pipelines import definitions
    from pipelines.progress import ProgressReporter
    from pipelines.window import partition_tags

    preflight(sources)
    ensure_dagster_home()
    job = definitions.defs.resolve_job_def(definitions.JOB_NAME)
    instance = DagsterInstance.get()
    run_id = str(uuid.uuid4())
    summary = RunSummary(run_id, start, end, sources)
    started = time.monotonic()
    with ProgressReporter(instance, run_id, stream=stream):
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            tags={**partition_tags(start, end), "funnelhouse/trigger": "cli"},
            asset_selection=definitions.asset_keys_for(sources),
            raise_on_error=False,
            # The progress line and the summary replace Dagster's console event log; the full log
            # stays in the instance, where the UI shows it.
            run_config={"loggers": {"console": {"config": {"log_level": "ERROR"}}}},
        )
        summary.rows_fetched = rows.snapshot()
    summary.seconds = time.monotonic() - started
    _collect(result, summary)
    return summary


def _collect(result: Any, summary: RunSummary) -> None:
    # A partition range emits one materialization per partition of the same load: count each asset once.
    latest = {event.materialization.asset_key: event.materialization for event in result.get_asset_materialization_events()}
    for key, materialization in latest.items():
        path, meta = key.path, materialization.metadata
        if path[0].startswith("raw_") and "rows_loaded" in meta:
            source = path[0][len("raw_"):]
            summary.rows_loaded[source] = summary.rows_loaded.get(source, 0) + int(meta["rows_loaded"].value)
        if path[0] == "marts":
            summary.published[path[1]] = int(meta["dagster/row_count"].value)
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
        ))
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            error = event.event_specific_data.error if event.event_specific_data else None
            message = _root_message(error) if error else "failed"
            summary.failed_steps[event.step_key] = message


def _root_message(error: Any) -> str:
    """The innermost cause is the one that names the source, record or key."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    return (error.message or "").strip().splitlines()[-1] if error.message else error.cls_name
