"""The sources funnelhouse knows, found by looking: every package under `connectors/` that exports a
`SPEC` is one. Also which of them a deployment enables, and how to build one's dlt source for a run.

Configuration errors read the same everywhere (CLI, Dagster, tests): they name the source and the
key, never a value.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import date
from functools import cache
from typing import Any

import connectors
from connectors.common.errors import ConfigurationError
from connectors.common.spec import SourceSpec

ENABLED_KEY = "funnelhouse_sources"
ENABLED_ENV = "FUNNELHOUSE_SOURCES"


@cache
def specs() -> dict[str, SourceSpec]:
    """Every registered source by name, in name order."""
    found: dict[str, SourceSpec] = {}
    for module in sorted(pkgutil.iter_modules(connectors.__path__), key=lambda m: m.name):
        if not module.ispkg or module.name == "common":
            continue
        spec = getattr(importlib.import_module(f"connectors.{module.name}"), "SPEC", None)
        if not isinstance(spec, SourceSpec):
            continue
        if spec.name != module.name:
            raise ValueError(f"connectors/{module.name} exports the spec of {spec.name!r}: a source is named by its folder")
        found[spec.name] = spec
    return found


def spec(name: str) -> SourceSpec:
    return specs()[name]


def source_names() -> list[str]:
    return list(specs())


def parse_source_list(value: str | None, allowed: list[str] | None = None, key: str = "--sources") -> list[str]:
    """A comma list of source names, checked against `allowed` (default: every registered source);
    empty means all of them."""
    allowed = source_names() if allowed is None else allowed
    if not value or not value.strip():
        return list(allowed)
    names = list(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [n for n in names if n not in specs()]
    if unknown:
        raise ValueError(f"{key}: unknown source(s) {', '.join(unknown)}; known: {', '.join(specs())}")
    outside = [n for n in names if n not in allowed]
    if outside:
        raise ValueError(f"{key}: source(s) {', '.join(outside)} not enabled; enabled: {', '.join(allowed)} "
                         f"(set {ENABLED_ENV})")
    # Registry order, so runs and summaries read the same whatever order the user typed.
    return [n for n in allowed if n in names]


def enabled_sources(value: str | None = None) -> list[str]:
    """The sources this deployment uses: `value`, else FUNNELHOUSE_SOURCES (env or .dlt/config.toml
    `funnelhouse_sources`), else every registered source; with the sources of the domains they
    need (`SourceSpec.needs`)."""
    if value is None:
        import dlt

        configured = dlt.config.get(ENABLED_KEY)
        value = ",".join(configured) if isinstance(configured, list) else configured
    chosen = parse_source_list(value, key=ENABLED_ENV)
    needed = {domain for name in chosen for domain in spec(name).needs}
    # A listed source brings the sources of the domains it needs (FX rates for money), so a
    # deployment that lists only its ad platforms still converts their spend.
    return [name for name, info in specs().items() if name in chosen or info.domain in needed]


def build_source(
    name: str,
    start_date: date | None = None,
    end_date: date | None = None,
    lookback_days: int | None = None,
) -> Any:
    """A fresh dlt source for one run, configured from env vars and `.dlt/*.toml`."""
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    info = spec(name)
    kwargs: dict[str, Any] = {}
    if info.windowed:
        kwargs.update(start_date=start_date, end_date=end_date)
        if lookback_days is not None:
            kwargs["lookback_days"] = lookback_days
    try:
        return info.source(**kwargs)
    except ConfigFieldMissingException as exc:
        keys = ", ".join(_documented_keys(exc, name)) or f"SOURCES__{name.upper()}__*"
        raise ConfigurationError(name, keys, "is missing (set it in the environment or .dlt/secrets.toml)") from None


def _documented_keys(exc: Any, name: str) -> list[str]:
    """The env var names the README documents (SOURCES__<NAME>__[CREDENTIALS__]KEY), from dlt's lookup traces."""
    prefix = f"SOURCES__{name.upper()}__"
    keys: list[str] = []

    def walk(traces: Any) -> None:
        for trace in traces:
            nested = getattr(trace, "traces", None)
            if isinstance(nested, dict):
                for inner in nested.values():
                    walk(inner)
            elif trace.key.startswith(prefix) and not trace.key.startswith(prefix + name.upper() + "__"):
                keys.append(trace.key)
                return

    for field_traces in exc.traces.values():
        walk(field_traces)
    return list(dict.fromkeys(keys))
