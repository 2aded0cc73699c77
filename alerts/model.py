"""What an alert is about: observations a run made, and the alerts they open and close.

An `Observation` is one thing a run evaluated: a check on an asset (passed, failed, or could not be
evaluated) or a step of a job (succeeded or failed). Whoever produced it (the Dagster run reader in
`pipelines.alerting`, or a monitor of its own) hands a list of them to `alerts.dispatch`, which
decides what to send. An `Alert` is what the channels render.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TRIGGER = "trigger"
RESOLVE = "resolve"
# PagerDuty's severities, which every channel shows.
SEVERITIES = ("critical", "error", "warning", "info")
SAMPLE_ROWS = 3


class Kind(StrEnum):
    """Each kind has its own section of docs/oncall.md, named by its value."""

    CHECK_FAILED = "check_failed"
    CHECK_WARNING = "check_warning"
    VALIDATOR_ERROR = "validator_error"
    RUN_FAILED = "run_failed"

    @property
    def anchor(self) -> str:
        return self.value

    @property
    def title(self) -> str:
        return {
            Kind.CHECK_FAILED: "Blocking check failed, publication held back",
            Kind.CHECK_WARNING: "Warning check failed",
            Kind.VALIDATOR_ERROR: "Check could not be evaluated",
            Kind.RUN_FAILED: "Step failed",
        }[self]

    @property
    def first_step(self) -> str:
        """The one line on-call staff read before anything else."""
        return {
            Kind.CHECK_FAILED: "Read the sample rows and find whether the vendor sent them (raw table) or a model "
                               "made them; the mart keeps its previous version until a rerun passes.",
            Kind.CHECK_WARNING: "Nothing is held back: read the sample and decide whether it needs fixing before the "
                                "next scheduled run.",
            Kind.VALIDATOR_ERROR: "The check did not run, so the data is unknown, not bad: read the validator error "
                                  "(missing table or column, warehouse error), fix it, then rerun the window.",
            Kind.RUN_FAILED: "Read the vendor's message: 401/403 or a revoked token means renewing the credentials; "
                             "5xx, 429 or a timeout means rerunning the window once the vendor is back.",
        }[self]

    @property
    def default_severity(self) -> str:
        return {Kind.CHECK_FAILED: "error", Kind.CHECK_WARNING: "warning", Kind.VALIDATOR_ERROR: "error",
                Kind.RUN_FAILED: "critical"}[self]


RUNBOOK_ANCHORS = tuple(kind.anchor for kind in Kind)


@dataclass(frozen=True)
class AlertKey:
    """What one alert is about, whatever its kind: a check of an asset, or a step of a job, for a
    partition. A check that fails, then cannot be evaluated, is still the same open alert."""

    scope: str  # "check" or "step"
    subject: str  # the asset ("marts_candidate/crm_deals") or the job
    name: str  # the check or the step
    partition: str  # "2026-11-19", "2026-11-01..2026-11-19", or "" for an unpartitioned run

    @property
    def dedup_key(self) -> str:
        """Stable across processes and releases: PagerDuty's dedup_key, and the store's key."""
        text = "\x1f".join(("funnelhouse", self.scope, self.subject, self.name, self.partition))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Observation:
    """One evaluation a run made. Build it with `Observation.check(...)` or `Observation.step(...)`.

    `kind` is None when the check passed or the step succeeded: that resolves every open alert of
    the same check (or step), whatever its partition.
    """

    run_id: str
    job: str
    partition: str
    scope: str
    subject: str
    name: str
    kind: Kind | None = None
    severity: str | None = None
    failing_count: int | None = None
    sample: tuple[Mapping[str, Any], ...] = ()
    # The failed expectations' descriptions, the validator's errors, or the vendor's message.
    details: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.scope not in ("check", "step"):
            raise ValueError("an observation is of a check or of a step")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {', '.join(SEVERITIES)}")
        if self.kind is Kind.RUN_FAILED and self.scope != "step":
            raise ValueError("run_failed is a step's kind")
        if self.kind not in (None, Kind.RUN_FAILED) and self.scope != "check":
            raise ValueError(f"{self.kind} is a check's kind")

    @classmethod
    def check(cls, run_id: str, job: str, partition: str, asset: str, check: str, *, passed: bool,
              blocking: bool = True, severity: str | None = None, outcome: str | None = None,
              failing_count: int | None = None, sample: tuple[Mapping[str, Any], ...] | list = (),
              details: tuple[str, ...] | list = ()) -> Observation:
        """A check's evaluation. `outcome` "error" means it could not be evaluated (validator_error);
        otherwise a failure is check_failed when `blocking` (it holds back what is downstream),
        check_warning when not. `severity` defaults to error when blocking, warning when not."""
        if passed:
            kind = None
        elif outcome == "error":
            kind = Kind.VALIDATOR_ERROR
        else:
            kind = Kind.CHECK_FAILED if blocking else Kind.CHECK_WARNING
        severity = None if kind is None else (severity or ("error" if blocking else "warning"))
        return cls(run_id, job, partition, "check", asset, check, kind, severity, failing_count,
                   tuple(sample)[:SAMPLE_ROWS], tuple(details))

    @classmethod
    def step(cls, run_id: str, job: str, partition: str, step: str, *, succeeded: bool,
             message: str = "") -> Observation:
        """A step's end: failed outright (`message`: the vendor's, innermost cause) or succeeded."""
        kind = None if succeeded else Kind.RUN_FAILED
        return cls(run_id, job, partition, "step", job, step, kind,
                   details=(message,) if message and not succeeded else ())

    @property
    def passed(self) -> bool:
        return self.kind is None

    @property
    def key(self) -> AlertKey:
        return AlertKey(self.scope, self.subject, self.name, self.partition)


@dataclass(frozen=True)
class Alert:
    """One message, as every channel renders it. Every text in it has been redacted."""

    action: str  # TRIGGER or RESOLVE
    kind: Kind
    key: AlertKey
    job: str
    run_id: str  # the run that triggered it, or that resolved it
    severity: str
    run_url: str
    runbook_url: str
    failing_count: int | None = None
    sample: tuple[Mapping[str, Any], ...] = ()
    details: tuple[str, ...] = ()
    # For a resolve: the run that opened the alert.
    opened_run_id: str | None = None

    @property
    def window(self) -> str:
        return self.key.partition or "unpartitioned run"

    @property
    def what(self) -> str:
        """`marts_candidate/crm_deals quality_gate`, or `funnelhouse_daily step ingest_hubspot`."""
        if self.key.scope == "check":
            return f"{self.key.subject} {self.key.name}"
        return f"{self.key.subject} step {self.key.name}"

    @property
    def title(self) -> str:
        if self.action == RESOLVE:
            return f"Resolved: {self.what} ({self.kind})"
        return f"{self.kind.title}: {self.what}"

    @property
    def summary(self) -> str:
        """One line, at most 1024 characters (PagerDuty's limit for a summary)."""
        if self.action == RESOLVE:
            passed = "passed" if self.key.scope == "check" else "succeeded"
            text = f"[funnelhouse] resolved {self.kind}: {self.what} {passed} in run {self.run_id[:8]} " \
                   f"(opened for {self.window})"
        else:
            count = f": {self.failing_count} failing rows" if self.failing_count is not None else ""
            first = f" ({self.details[0]})" if self.details else ""
            text = f"[funnelhouse] {self.kind}: {self.what} for {self.window}{count}{first}"
        return text if len(text) <= 1024 else text[:1023] + "…"

    @property
    def first_step(self) -> str:
        return self.kind.first_step
