"""A finished Dagster run's alerts: its check evaluations and step ends, read from the instance, as
observations for `alerts.dispatch`. The CLI calls `alert_run` when its run ends; for runs started
from the UI, the schedule or a backfill, two run status sensors (success and failure) call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunStatusSensorContext,
    SensorDefinition,
    SkipReason,
    run_status_sensor,
)

from alerts import DispatchReport, Observation, dispatch
from pipelines.resources import WarehouseResource
from pipelines.window import PARTITION, RANGE_END, RANGE_START
from warehouse import Warehouse, load_settings

TRIGGER_TAG = "funnelhouse/trigger"
CLI_TRIGGER = "cli"
# A run that failed before any step ran (its worker died, it could not start) is a step of its own.
RUN_STEP = "run"
_EVENTS = {DagsterEventType.ASSET_CHECK_EVALUATION, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE,
           DagsterEventType.RUN_FAILURE}


def run_partition(tags: Mapping[str, str]) -> str:
    """The run's partition ("2026-11-19") or range ("2026-11-01..2026-11-19"); "" when unpartitioned."""
    if tags.get(RANGE_START) and tags.get(RANGE_END):
        start, end = tags[RANGE_START], tags[RANGE_END]
        return start if start == end else f"{start}..{end}"
    return tags.get(PARTITION, "")


def root_message(error: Any) -> str:
    """The innermost cause is the one that names the vendor, the record or the key: its last line,
    led by the exception's class name (`AuthError: hubspot: ...`) rather than its module path."""
    while getattr(error, "cause", None) is not None:
        error = error.cause
    if not error.message or not error.message.strip():
        return error.cls_name
    line = error.message.strip().splitlines()[-1]
    head, sep, rest = line.partition(": ")
    if sep and head.endswith("." + error.cls_name):
        return f"{error.cls_name}: {rest}"
    return line


def _value(metadata: Mapping[str, Any], key: str, default: Any = None) -> Any:
    entry = metadata.get(key)
    return default if entry is None else entry.value


def _blocks(evaluation: Any) -> bool:
    """A failed check of ERROR severity holds back what is downstream: the gate's through Dagster's
    blocking checks, the staging checks by the models' step itself (they run inside it, so Dagster
    sees them as non-blocking)."""
    return getattr(evaluation.severity, "value", "ERROR") == "ERROR"


def check_observation(run_id: str, job: str, partition: str, evaluation: Any) -> Observation:
    """One asset check evaluation, its metadata as `pipelines.quality.outcome_metadata` writes it."""
    meta = evaluation.metadata or {}
    failures = list(_value(meta, "failed_expectations", []) or [])
    counts = [f.get("unexpected_count") for f in failures if isinstance(f.get("unexpected_count"), int)]
    error_level = getattr(evaluation.severity, "value", "ERROR") == "ERROR"
    outcome = _value(meta, "outcome")
    details = list(_value(meta, "validator_errors", []) or []) if outcome == "error" else []
    details += [f.get("description") or f.get("expectation", "") for f in failures]
    if not details and evaluation.description and not evaluation.passed:
        details = [evaluation.description.strip().splitlines()[0]]
    return Observation.check(
        run_id, job, partition, "/".join(evaluation.asset_key.path), evaluation.check_name,
        passed=evaluation.passed, blocking=_blocks(evaluation), severity="error" if error_level else "warning",
        outcome=outcome,
        failing_count=sum(counts) if counts else None,
        sample=[row for f in failures for row in (f.get("sample_rows") or [])],
        details=[str(d) for d in details if d],
    )


def observations_for_run(instance: DagsterInstance, run_id: str) -> list[Observation]:
    """The run's check evaluations and step ends. A step that failed because its own blocking check
    did (a gate) is that check's alert, not a failed step's."""
    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ValueError(f"no run {run_id} in this Dagster instance")
    job, partition = run.job_name, run_partition(run.tags)
    observations: list[Observation] = []
    failed_steps: dict[str, str] = {}
    succeeded: list[str] = []
    blocked_by_check: set[str] = set()
    run_failure: str | None = None
    cursor = None
    while True:
        page = instance.get_records_for_run(run_id, cursor=cursor, of_type=_EVENTS, limit=1000)
        for record in page.records:
            entry = record.event_log_entry
            event = entry.dagster_event
            if event is None:
                continue
            data = event.event_specific_data
            if event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
                observation = check_observation(run_id, job, partition, data)
                observations.append(observation)
                if not observation.passed and _blocks(data) and event.step_key:
                    blocked_by_check.add(event.step_key)
            elif event.event_type == DagsterEventType.STEP_FAILURE:
                error = getattr(data, "error", None)
                failed_steps[event.step_key] = root_message(error) if error else "failed"
            elif event.event_type == DagsterEventType.STEP_SUCCESS:
                succeeded.append(event.step_key)
            elif event.event_type == DagsterEventType.RUN_FAILURE:
                error = getattr(data, "error", None)
                run_failure = root_message(error) if error else (entry.user_message or "the run failed")
        cursor = page.cursor
        if not page.has_more:
            break
    for step in succeeded:
        observations.append(Observation.step(run_id, job, partition, step, succeeded=True))
    for step, message in failed_steps.items():
        if step not in blocked_by_check:
            observations.append(Observation.step(run_id, job, partition, step, succeeded=False, message=message))
    if run_failure is not None and not failed_steps and not succeeded:
        observations.append(Observation.step(run_id, job, partition, RUN_STEP, succeeded=False, message=run_failure))
    elif succeeded or failed_steps:
        observations.append(Observation.step(run_id, job, partition, RUN_STEP, succeeded=True))
    return observations


def alert_run(instance: DagsterInstance, run_id: str, warehouse: Warehouse | None = None) -> DispatchReport:
    """Read the run's observations and dispatch them. `warehouse` defaults to FUNNELHOUSE_WAREHOUSE_URL."""
    observations = observations_for_run(instance, run_id)
    return dispatch(observations, warehouse or Warehouse(load_settings().warehouse_url))


def _alert_from_sensor(context: RunStatusSensorContext, warehouse: WarehouseResource) -> SkipReason | None:
    run = context.dagster_run
    if run.tags.get(TRIGGER_TAG) == CLI_TRIGGER:
        return SkipReason(f"run {run.run_id[:8]} was started by `funnelhouse run`, which sent its own alerts")
    # An unreadable warehouse raises, failing the tick: the sensor then retries this run on its next one.
    report = alert_run(context.instance, run.run_id, warehouse.warehouse())
    for line in report.lines():
        context.log.info(line)
    return None


def build_alert_sensors(job: Any) -> list[SensorDefinition]:
    """Alerts for runs of `job` started outside the CLI, on success (resolves) and failure (triggers).
    Running by default: on-call staff are told from the first deployment, once a channel is set."""
    description = ("Sends the run's alerts (failed, warning and unevaluable checks, failed steps) and resolves "
                   "those its passing checks and steps close, through the channels FUNNELHOUSE_ALERT_* set. "
                   "Skips CLI runs, which alert themselves.")

    @run_status_sensor(run_status=DagsterRunStatus.FAILURE, name="alerts_on_failure", monitored_jobs=[job],
                       default_status=DefaultSensorStatus.RUNNING, description=description)
    def alerts_on_failure(context: RunStatusSensorContext, warehouse: WarehouseResource) -> SkipReason | None:
        return _alert_from_sensor(context, warehouse)

    @run_status_sensor(run_status=DagsterRunStatus.SUCCESS, name="alerts_on_success", monitored_jobs=[job],
                       default_status=DefaultSensorStatus.RUNNING, description=description)
    def alerts_on_success(context: RunStatusSensorContext, warehouse: WarehouseResource) -> SkipReason | None:
        return _alert_from_sensor(context, warehouse)

    return [alerts_on_failure, alerts_on_success]
