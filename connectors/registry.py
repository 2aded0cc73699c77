"""The sources funnelhouse knows, and how to build each one's dlt source for a date window.

Plain dlt: the orchestrator and the CLI both go through `build_source`, so configuration errors
read the same everywhere: they name the source and the key, never a value.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connectors.common.errors import ConfigurationError


@dataclass(frozen=True)
class SourceInfo:
    name: str
    module: str
    function: str
    # Ads and analytics are fetched by date window (daily partitions); CRM by modified cursor.
    windowed: bool
    # Explicit arguments that let the source be built without resolving any configuration, only to
    # learn its resources (the orchestrator does this at definition time).
    definition_args: dict[str, Any] = field(default_factory=dict)

    @property
    def dataset(self) -> str:
        return f"raw_{self.name}"

    def factory(self) -> Any:
        return getattr(importlib.import_module(self.module), self.function)


_DUMMY_OAUTH = {"client_id": "-", "client_secret": "-", "refresh_token": "-"}

SOURCES: dict[str, SourceInfo] = {
    "google_ads": SourceInfo(
        "google_ads", "connectors.google_ads", "google_ads_source", windowed=True,
        definition_args={"customer_ids": "1", "credentials": {**_DUMMY_OAUTH, "developer_token": "-"}},
    ),
    "google_analytics": SourceInfo(
        "google_analytics", "connectors.google_analytics", "google_analytics_source", windowed=True,
        definition_args={"property_ids": "1", "credentials": dict(_DUMMY_OAUTH)},
    ),
    "hubspot": SourceInfo(
        "hubspot", "connectors.hubspot", "hubspot_source", windowed=False,
        definition_args={"credentials": {"access_token": "-"}},
    ),
}


def source_names() -> list[str]:
    return list(SOURCES)


def parse_source_list(value: str | None) -> list[str]:
    if not value:
        return source_names()
    names = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if unknown:
        raise ValueError(f"unknown source(s) {', '.join(unknown)}; known: {', '.join(SOURCES)}")
    return names


def definition_source(name: str) -> Any:
    info = SOURCES[name]
    return info.factory()(**info.definition_args)


def build_source(
    name: str,
    start_date: date | None = None,
    end_date: date | None = None,
    lookback_days: int | None = None,
) -> Any:
    """A fresh dlt source for one run, configured from env vars and `.dlt/*.toml`."""
    from dlt.common.configuration.exceptions import ConfigFieldMissingException

    info = SOURCES[name]
    kwargs: dict[str, Any] = {}
    if info.windowed:
        kwargs.update(start_date=start_date, end_date=end_date)
        if lookback_days is not None:
            kwargs["lookback_days"] = lookback_days
    try:
        return info.factory()(**kwargs)
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
