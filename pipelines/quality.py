"""The write-audit-publish gate: each candidate mart's contract, run as a blocking check in a step of
its own. A failed check holds back only its mart's publication (and that of marts built from it);
Dagster skips just those publish steps, and every other mart still publishes."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    multi_asset_check,
)

from pipelines.resources import WarehouseResource
from pipelines.transform import model_key
from quality import data_docs, gate
from quality.runner import Outcome
from quality.suites import DateBounds
from transforms import state
from transforms.contracts import marts
from transforms.models import CANDIDATE_SCHEMA, PUBLISHED_SCHEMA

GATE_CHECK = "quality_gate"
WARNINGS_CHECK = "quality_warnings"


def outcome_metadata(outcome: Outcome, page: Path | None = None) -> dict[str, Any]:
    return {
        "outcome": MetadataValue.text(outcome.status),
        "expectations_evaluated": MetadataValue.int(outcome.evaluated),
        "failed_expectations": MetadataValue.json([
            {"expectation": f.expectation, "column": f.column, "unexpected_count": f.unexpected_count,
             "observed": f.observed, "description": f.describe(), "sample_rows": list(f.sample)}
            for f in outcome.failures
        ]),
        "validator_errors": MetadataValue.json([f.describe() for f in outcome.errors]),
        "report": MetadataValue.md(f"```\n{gate.render(outcome)}\n```"),
        **({"row_count": MetadataValue.int(outcome.row_count)} if outcome.row_count is not None else {}),
        **({"data_docs": MetadataValue.path(str(page))} if page else {}),
    }


def build_gate(mart: str, history_start: date) -> AssetChecksDefinition:
    contract = marts()[mart]
    key = model_key(CANDIDATE_SCHEMA, mart)
    rules = {severity: [c.label for c in contract.all_checks() if c.severity == severity]
             for severity in ("error", "warn")}
    source = f"transforms/marts/{mart}.yml"
    specs = [AssetCheckSpec(
        GATE_CHECK, asset=key, blocking=True,
        description=f"The contract of {PUBLISHED_SCHEMA}.{mart} ({source}): {', '.join(rules['error'])}. A failure "
                    f"holds back its publication and that of marts built from it.",
    )]
    if rules["warn"]:
        specs.append(AssetCheckSpec(
            WARNINGS_CHECK, asset=key,
            description=f"Warning-severity rules of {source}: {', '.join(rules['warn'])}. Alerts, never blocks.",
        ))
    severities = {GATE_CHECK: ("error", AssetCheckSeverity.ERROR), WARNINGS_CHECK: ("warn", AssetCheckSeverity.WARN)}

    @multi_asset_check(name=f"gate_{mart}", specs=specs, can_subset=True)
    def _gate(context: AssetCheckExecutionContext, warehouse: WarehouseResource) -> Iterator[AssetCheckResult]:
        wh = warehouse.warehouse(keep_open=True)
        bounds = DateBounds(history_start, datetime.now(UTC))
        with wh.engine.connect() as conn:
            build = state.read(wh, conn).get(f"{CANDIDATE_SCHEMA}.{mart}")
        partial = build is not None and build.partial
        selected = [spec for spec in specs if spec.key in context.selected_asset_check_keys]
        outcomes = gate.check_mart_severities(wh, CANDIDATE_SCHEMA, mart, bounds,
                                              [severities[spec.name][0] for spec in selected], partial)
        for spec in selected:
            severity, level = severities[spec.name]
            outcome = outcomes[severity]
            if not outcome.success:
                (context.log.error if severity == "error" else context.log.warning)(gate.render(outcome))
            page = data_docs.publish(outcome, context.run.run_id, spec.name)
            yield AssetCheckResult(
                asset_key=key,
                check_name=spec.name,
                passed=outcome.success,
                severity=level,
                metadata=outcome_metadata(outcome, page),
                description=None if outcome.success else gate.render(outcome)[:2000],
            )

    return _gate
