"""Alerts for on-call staff: a failed or unevaluable check, a warning, a failed step.

Feed `dispatch` the observations a run made (`Observation.check(...)`, `Observation.step(...)`);
it sends one trigger per alert and channel until a later evaluation passes, then one resolve, and
keeps that state in the warehouse (`audit.alerts`). `pipelines.alerting` reads a Dagster run's
observations; the CLI and the Dagster sensor both go through it.
"""

from alerts.dispatch import Delivery, DispatchReport, dispatch
from alerts.model import RESOLVE, RUNBOOK_ANCHORS, TRIGGER, Alert, AlertKey, Kind, Observation
from alerts.settings import AlertSettings, load_alert_settings

__all__ = [
    "RESOLVE",
    "RUNBOOK_ANCHORS",
    "TRIGGER",
    "Alert",
    "AlertKey",
    "AlertSettings",
    "Delivery",
    "DispatchReport",
    "Kind",
    "Observation",
    "dispatch",
    "load_alert_settings",
]
