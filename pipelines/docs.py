"""The documentation generated from the declarations: the README's source and BI-contract sections,
and the example `.dlt` configuration files. `funnelhouse docs` writes them; `funnelhouse docs --check`
(and a test) fails when a file has drifted from the specs and contracts it documents.
"""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

from alerts import settings as alert_settings
from connectors import registry
from connectors.common.spec import Mode, SourceSpec
from quality.monitors import MONITOR_SETTING_TEXT, MonitorSettings
from transforms.contracts import CheckSpec, MartContract, domains, marts
from transforms.model_settings import ModelSettings
from transforms.views import ViewContract, views

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
EXAMPLE_CONFIG = ROOT / ".dlt" / "example.config.toml"
EXAMPLE_SECRETS = ROOT / ".dlt" / "example.secrets.toml"
_BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n).*?(<!-- end generated -->)", re.DOTALL)


def _mode(spec: SourceSpec) -> str:
    if spec.mode is Mode.WINDOWED:
        return f"by date window, re-reading the last {spec.lookback_days} days"
    return {Mode.CURSOR: "incrementally, from a cursor kept between runs", Mode.SNAPSHOT: "in full, every run",
            Mode.FILE: "as new files land"}[spec.mode]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def source_section(spec: SourceSpec) -> str:
    lines = [f"### {spec.name} ({spec.label})", "",
             f"Domain `{spec.domain}`, read {_mode(spec)}. {spec.description}", "",
             "| key | default | meaning |", "|---|---|---|"]
    for setting in spec.settings:
        default = "required" if setting.required else (
            "optional" if setting.default is None else f"`{_plain(setting.default)}`")
        lines.append(f"| `{setting.env(spec.name)}` | {default} | {_cell(setting.description)} |")
    lines += ["", "Raw tables: " + "; ".join(
        f"`{spec.dataset}.{t.name}` ({t.disposition}"
        f"{' on ' + ', '.join(t.primary_key) if t.primary_key and t.disposition == 'merge' else ''})"
        for t in spec.tables) + "."]
    return "\n".join(lines)


def _check_text(check: CheckSpec) -> str:
    text = {"not_null": "not null", "non_negative": "≥ 0", "currency": "ISO 4217",
            "dates": f"≤ now{', ≥ history start' if check.argument == 'history' else ''}"}.get(check.kind, check.kind)
    if check.kind == "accepted":
        text = "one of " + ", ".join(check.argument)
    if check.kind == "between":
        low, high = check.argument
        text = " and ".join(t for t in (f"≥ {low}" if low is not None else "", f"≤ {high}" if high is not None else "")
                            if t)
    return text + {"error": "", "warn": " (warning)", "quarantine": " (quarantine)"}[check.severity]


_MONITOR_TEXT = {
    "volume": "rows per {by} and day vs the same weekdays' median",
    "anomalies": "{measures} per {by} and day, robust z-score",
    "restatement": "{measures} per {by} and day vs before the re-read",
    "reconciled": "{measures} per {by} and day = the platform's own `{against}`",
}


def staging_section() -> str:
    """Every staging entity's checks and monitors, and each monitor setting with its default."""
    lines = ["| entity | checks | monitors |", "|---|---|---|"]
    for domain in domains().values():
        for entity in domain.entities.values():
            checks = [f"{', '.join(c.columns)} {_check_text(c)}" for c in entity.checks]
            watched = [f"{m.check_name} ({'blocking' if m.severity == 'error' else 'warning'}): "
                       + _MONITOR_TEXT[m.kind].format(by=", ".join(m.by) or "table", against=m.against,
                                                      measures=", ".join(m.measures))
                       for m in entity.monitors]
            checks.insert(0, f"grain {' × '.join(entity.grain)} unique")
            lines.append(f"| `{domain.name}.{entity.name}` | {_cell('; '.join(checks))} | "
                         f"{_cell('; '.join(watched)) or '—'} |")
    lines += ["", "| setting | default | meaning |", "|---|---|---|"]
    for field in fields(MonitorSettings):
        lines.append(f"| `FUNNELHOUSE_MONITOR_{field.name.upper()}` | `{field.default}` | "
                     f"{_cell(MONITOR_SETTING_TEXT[field.name])} |")
    return "\n".join(lines)


def mart_section(contract: MartContract) -> str:
    per_column: dict[str, list[str]] = {}
    for check in contract.all_checks():
        if check.kind in ("not_null", "non_negative", "currency", "dates", "accepted", "between"):
            per_column.setdefault(check.columns[0], []).append(_check_text(check))
    table_checks = []
    for check in contract.checks:
        if check.kind == "ordered":
            table_checks.append(f"{check.columns[0]} ≤ {check.columns[1]}")
        elif check.kind == "min_rows":
            table_checks.append(f"at least {check.argument} row{'s' if check.argument != 1 else ''}")
        elif check.kind == "unique":
            table_checks.append(f"unique ({', '.join(check.columns)})")
        elif check.kind == "sums_to":
            part, total, *by = check.columns
            table_checks.append(f"Σ {part} = {total} per {' × '.join(by)} (± {check.argument})")
        elif check.kind == "no_rows_where":
            table_checks.append(f"no row where `{check.argument}`")
        else:
            continue
        table_checks[-1] += " (warning)" if not check.blocking else ""
    lines = [f"### `marts.{contract.name}`", "", contract.description, "",
             f"Grain: {' × '.join(contract.grain)} (unique, not null). Built when an enabled source provides "
             f"{' and '.join(f'`{r}`' for r in contract.requires)}. Contract: `transforms/marts/{contract.name}.yml`.",
             "",
             "| column | type | description | checks |", "|---|---|---|---|"]
    for column in contract.columns:
        lines.append(f"| `{column.name}` | {column.type} | {_cell(column.description)} | "
                     f"{', '.join(per_column.get(column.name, []))} |")
    if table_checks:
        lines += ["", "Table checks: " + "; ".join(table_checks) + "."]
    return "\n".join(lines)


def model_settings_section() -> str:
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for setting in ModelSettings.documented():
        default = setting.default if isinstance(setting.default, (str, int, float)) else json.dumps(setting.default)
        lines.append(f"| `FUNNELHOUSE_{setting.name.upper()}` | `{_cell(str(default))}` | {_cell(setting.description)} |")
    return "\n".join(lines)


def view_section(view: ViewContract) -> str:
    lines = [f"### `marts.{view.name}` (view of `marts.{view.mart}`)", "", view.description, "",
             f"Grain: {' × '.join(view.grain)}. Replaced with `marts.{view.mart}`, in the same transaction; no "
             f"checks of its own. Contract: `transforms/views/{view.name}.yml`.", "",
             "| column | type | description |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.type} | {_cell(c.description)} |" for c in view.columns]
    return "\n".join(lines)


def blocks() -> dict[str, str]:
    return {
        "model-settings": model_settings_section(),
        "sources": "\n\n".join(source_section(spec) for spec in registry.specs().values()),
        "contract": "\n\n".join([*(mart_section(contract) for contract in marts().values()),
                                  *(view_section(view) for view in views().values())]),
        "checks": staging_section(),
    }


def readme(text: str) -> str:
    generated = blocks()

    def fill(match: re.Match[str]) -> str:
        return f"{match.group(1)}{generated[match.group('name')]}\n{match.group(3)}"

    return _BLOCK.sub(fill, text)


def _plain(value: object) -> str:
    """A default as the TOML files write it, without quotes."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _model_setting_toml(value: object) -> str:
    """A number or word as usual; a list or mapping as JSON in a TOML literal string."""
    return _toml_value(value) if isinstance(value, (str, int, float)) else f"'{json.dumps(value)}'"


def _toml_value(value: object) -> str:
    return _plain(value) if isinstance(value, (bool, int)) else f'"{value}"'


def example(secret: bool) -> str:
    """`.dlt/example.secrets.toml` (secret) or `.dlt/example.config.toml`: every key, its default."""
    if secret:
        lines = ["# Copy to .dlt/secrets.toml (git-ignored) and fill in. Environment variables override these:",
                 "# [sources.google_ads.credentials] developer_token  <->  SOURCES__GOOGLE_ADS__CREDENTIALS__DEVELOPER_TOKEN",
                 "# Generated from the sources' specs by `funnelhouse docs`.", "",
                 "# May carry a password, so it can live here rather than in config.toml.",
                 'funnelhouse_warehouse_url = "postgresql://funnelhouse:password@db.internal:5432/marketing"']
    else:
        lines = ["# Copy to .dlt/config.toml. Environment variables override these:",
                 "# [sources.google_ads] customer_ids  <->  SOURCES__GOOGLE_ADS__CUSTOMER_IDS",
                 "# Generated from the sources' specs by `funnelhouse docs`.", "",
                 f'funnelhouse_sources = "{",".join(registry.source_names())}"',
                 'funnelhouse_publication = "by_dependency"',
                 'funnelhouse_reporting_currency = "USD"',
                 'funnelhouse_campaign_key_overrides = "transforms/seeds/campaign_key_overrides.csv"',
                 'funnelhouse_data_docs_dir = ".funnelhouse/data_docs"',
                 "funnelhouse_freshness_warn_hours = 26",
                 "funnelhouse_freshness_fail_hours = 30",
                 "", "# The monitors' thresholds (README: The quality gate), here at their defaults.",
                 *(f"funnelhouse_monitor_{f.name} = {_toml_value(f.default)}" for f in fields(MonitorSettings)),
                 "", "# The marketing model (README: Configuration), here at their defaults; lists and maps are JSON.",
                 *(f"funnelhouse_{s.name} = {_model_setting_toml(s.default)}" for s in ModelSettings.documented())]
    lines += ["", "# Alerts for on-call staff (docs/oncall.md): each channel is off while its key is empty."
              if secret else "# Alerts for on-call staff (docs/oncall.md); the channels' keys are secrets."]
    lines += [f'{key} = "{default or ""}"' for key, default, is_secret in alert_settings.KEYS.values()
              if is_secret == secret]
    for spec in registry.specs().values():
        sections: dict[str, list[str]] = {}
        for setting in spec.settings:
            if setting.secret != secret:
                continue
            section, _, key = setting.key.rpartition(".")
            value = "" if setting.required or setting.default is None else setting.default
            sections.setdefault(section, []).append(f"{key} = {_toml_value(value)}")
        for section, keys in sections.items():
            lines += ["", f"[sources.{spec.name}{'.' + section if section else ''}]", *keys]
    return "\n".join(lines) + "\n"


def expected() -> dict[Path, str]:
    return {README: readme(README.read_text()), EXAMPLE_CONFIG: example(False), EXAMPLE_SECRETS: example(True)}


def drifted() -> list[Path]:
    return [path for path, text in expected().items() if not path.exists() or path.read_text() != text]


def write() -> list[Path]:
    changed = drifted()
    for path, text in expected().items():
        if path in changed:
            path.write_text(text)
    return changed
