"""A Dagster run's alerts, read from its instance: check evaluations with the gate's metadata, steps
that failed (with the vendor's innermost message) or succeeded, and the sensors that send them for
runs started outside the CLI. A small job of the same shape as the project's runs in process."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest
from dagster import AssetCheckResult, AssetCheckSeverity, AssetKey, DagsterInstance, build_run_status_sensor_context

from alerts import Kind, Observation
from connectors.common.errors import AuthError
from pipelines.alerting import (
    RUN_STEP,
    build_alert_sensors,
    observations_for_run,
    run_partition,
)
from pipelines.quality import GATE_CHECK, WARNINGS_CHECK, outcome_metadata
from pipelines.resources import WarehouseResource
from pipelines.window import partition_tags
from quality.runner import Finding, Outcome
from tests.alerts.receivers import PAGERDUTY, WEBHOOK
from tests.conftest import SENTINEL, UI_URL

JOB = "funnelhouse_daily"
RANGE = {"dagster/asset_partition_range_start": "2026-11-01", "dagster/asset_partition_range_end": "2026-11-19"}
ROWS = tuple({"deal_id": str(i), "amount": "-250.00"} for i in range(1, 4))
NEGATIVE = Finding("expect_column_values_to_be_between", "amount", 7, None, ROWS, rule="non_negative:amount")
LATE = Finding("expect_column_values_to_be_between", "closed_at", 2, None, ({"deal_id": "9"},), rule="dates:closed_at")
MISSING = Finding("expect_column_values_to_not_be_null", "stage", None, None,
                  error='column "stage" does not exist', rule="not_null:stage")


def _job(vendor_down: bool) -> dg.JobDefinition:
    @dg.asset(key=AssetKey(["raw_acme", "stats"]))
    def ingest_acme() -> None:
        if vendor_down:
            try:
                raise AuthError("acme", f"HTTP 401: the access token was revoked (token {SENTINEL})")
            except AuthError as exc:
                raise RuntimeError("Pipeline execution failed at stage extract") from exc

    @dg.asset(key=AssetKey(["marts_candidate", "crm_deals"]))
    def deals() -> None:
        pass

    @dg.asset(key=AssetKey(["marts_candidate", "web_traffic_daily"]))
    def web() -> None:
        pass

    @dg.multi_asset_check(name="gate_crm_deals", specs=[
        dg.AssetCheckSpec(GATE_CHECK, asset=deals.key, blocking=True),
        dg.AssetCheckSpec(WARNINGS_CHECK, asset=deals.key),
    ])
    def gate_crm_deals() -> Iterator[AssetCheckResult]:
        failed = Outcome("marts_candidate.crm_deals", 12, failures=(NEGATIVE,), row_count=40)
        yield AssetCheckResult(asset_key=deals.key, check_name=GATE_CHECK, passed=False,
                               severity=AssetCheckSeverity.ERROR, metadata=outcome_metadata(failed))
        late = Outcome("marts_candidate.crm_deals", 3, failures=(LATE,), row_count=40)
        yield AssetCheckResult(asset_key=deals.key, check_name=WARNINGS_CHECK, passed=False,
                               severity=AssetCheckSeverity.WARN, metadata=outcome_metadata(late))

    @dg.asset_check(asset=web, name=GATE_CHECK, blocking=True)
    def gate_web() -> AssetCheckResult:
        errored = Outcome("marts_candidate.web_traffic_daily", 8, errors=(MISSING,))
        return AssetCheckResult(passed=False, severity=AssetCheckSeverity.ERROR, metadata=outcome_metadata(errored))

    defs = dg.Definitions(assets=[ingest_acme, deals, web], asset_checks=[gate_crm_deals, gate_web],
                          jobs=[dg.define_asset_job(JOB, executor_def=dg.in_process_executor)])
    return defs.resolve_job_def(JOB)


@pytest.fixture
def instance() -> Iterator[DagsterInstance]:
    with DagsterInstance.ephemeral() as inst:
        yield inst


def _execute(instance: DagsterInstance, vendor_down: bool, tags: dict[str, str]) -> dg.ExecuteInProcessResult:
    return _job(vendor_down).execute_in_process(instance=instance, tags=tags, raise_on_error=False)


def test_the_partition_is_the_runs_day_or_range():
    assert run_partition(partition_tags(*[__import__("datetime").date(2026, 11, 19)] * 2)) == "2026-11-19"
    assert run_partition(RANGE) == "2026-11-01..2026-11-19"
    assert run_partition({}) == ""


def test_a_runs_checks_and_steps_become_observations(instance):
    result = _execute(instance, vendor_down=True, tags=RANGE)
    run_id = result.run_id
    found = {(o.scope, o.subject, o.name): o for o in observations_for_run(instance, run_id)}
    window = "2026-11-01..2026-11-19"
    assert found[("check", "marts_candidate/crm_deals", GATE_CHECK)] == Observation(
        run_id, JOB, window, "check", "marts_candidate/crm_deals", GATE_CHECK, Kind.CHECK_FAILED, "error",
        failing_count=7, sample=ROWS, details=(NEGATIVE.describe(),))
    warning = found[("check", "marts_candidate/crm_deals", WARNINGS_CHECK)]
    assert (warning.kind, warning.severity, warning.failing_count, warning.sample) == (
        Kind.CHECK_WARNING, "warning", 2, ({"deal_id": "9"},))
    errored = found[("check", "marts_candidate/web_traffic_daily", GATE_CHECK)]
    assert (errored.kind, errored.failing_count, errored.details) == (Kind.VALIDATOR_ERROR, None, (MISSING.describe(),))
    # The vendor's own message (the innermost cause), not the wrapper's.
    failed = found[("step", JOB, "raw_acme__stats")]
    assert failed.kind is Kind.RUN_FAILED
    assert failed.details == (f"AuthError: acme: HTTP 401: the access token was revoked (token {SENTINEL})",)
    succeeded = {name for (scope, _, name), o in found.items() if scope == "step" and o.passed}
    assert {"marts_candidate__crm_deals", "marts_candidate__web_traffic_daily", RUN_STEP} <= succeeded
    # The gate steps failed because their checks did: those are the checks' alerts, not failed steps.
    assert not any(scope == "step" and name.startswith("gate") and not o.passed for (scope, _, name), o in found.items())


def _sense(sensor, result, instance, resources):
    """Evaluate the failure sensor on a run's failure as the daemon does: inside the context's scope,
    which sets its resources up and tears them down."""
    with build_run_status_sensor_context(sensor.name, result.get_run_failure_event(), instance, result.dagster_run,
                                         resources=resources) as context:
        return sensor(context)


def test_the_sensors_send_the_runs_alerts_and_skip_cli_runs(instance, alert_receivers, tmp_path):
    on_failure, on_success = build_alert_sensors(_job(vendor_down=False))
    assert (on_failure.name, on_success.name) == ("alerts_on_failure", "alerts_on_success")
    assert on_failure.default_status == dg.DefaultSensorStatus.RUNNING
    resources = {"warehouse": WarehouseResource(url=f"duckdb:///{tmp_path / 'warehouse.duckdb'}")}

    cli = _execute(instance, vendor_down=True, tags={**RANGE, "funnelhouse/trigger": "cli"})
    skipped = _sense(on_failure, cli, instance, resources)
    assert isinstance(skipped, dg.SkipReason) and "funnelhouse run" in skipped.skip_message
    assert alert_receivers.http.posts == []

    scheduled = _execute(instance, vendor_down=True, tags=RANGE)
    _sense(on_failure, scheduled, instance, resources)
    events = {(e.json["payload"]["class"], e.json["payload"]["component"]): e.json
              for e in alert_receivers.http.to(PAGERDUTY)}
    assert set(events) == {("check_failed", GATE_CHECK), ("check_warning", WARNINGS_CHECK),
                           ("validator_error", GATE_CHECK), ("run_failed", "raw_acme__stats")}
    vendor = events[("run_failed", "raw_acme__stats")]
    assert vendor["payload"]["custom_details"]["vendor_message"] == [
        "AuthError: acme: HTTP 401: the access token was revoked (token ***)"]
    assert vendor["links"][0]["href"] == f"{UI_URL}/runs/{scheduled.run_id}"
    assert len(alert_receivers.smtp.mails) == 4
    for post in alert_receivers.http.posts:
        assert SENTINEL not in post.raw.decode()

    # The vendor is back: the step's success resolves its alert; the checks, failing again for the
    # same window, stay open without a second message.
    recovered = _execute(instance, vendor_down=False, tags=RANGE)
    _sense(on_failure, recovered, instance, resources)
    resolves = [p.json for p in alert_receivers.http.to(WEBHOOK) if p.json["action"] == "resolve"]
    assert [(r["kind"], r["step"], r["partition"], r["run_id"]) for r in resolves] == [
        ("run_failed", "raw_acme__stats", "2026-11-01..2026-11-19", recovered.run_id)]
    assert len(alert_receivers.http.to(WEBHOOK)) == 5
