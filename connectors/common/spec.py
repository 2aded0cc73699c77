"""What a source says about itself. The registry, the orchestrator, the transforms, the gate, the
sandbox and the docs read this description, and nothing else, to handle a source: adding one means
writing its folder, never editing a shared module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectors.common.tables import Table


class Mode(StrEnum):
    """How a source is read, which decides how it is scheduled and checked."""

    # By date window, re-reading a restatement lookback (ads, analytics): daily partitions.
    WINDOWED = "windowed"
    # By a cursor kept in dlt's state (a CRM's modified date, the newest FX rate): what is new since the last run.
    CURSOR = "cursor"
    # Everything, every run (small reference data such as plans).
    SNAPSHOT = "snapshot"
    # New files as they land in a folder or bucket.
    FILE = "file"


@dataclass(frozen=True)
class Setting:
    """One configuration key under `[sources.<name>]`, resolved the dlt way."""

    key: str  # dotted below the source's section: "customer_ids", "credentials.client_id"
    description: str
    required: bool = False
    default: Any = None
    secret: bool = False

    def env(self, source: str) -> str:
        """The environment variable dlt reads it from: SOURCES__<SOURCE>__<KEY>."""
        return f"SOURCES__{source.upper()}__{self.key.replace('.', '__').upper()}"


@dataclass(frozen=True)
class FreshnessRule:
    """A warning when the source's newest record is older than `max_lag_days` before the run's end."""

    entity: str  # a staging entity of the source: staging.stg_<source>__<entity>
    column: str
    max_lag_days: int = 3


@dataclass(frozen=True)
class QuarantineRule:
    """A raw table of records the connector set aside as unreadable; a run that adds any is flagged."""

    table: str = "quarantine"
    timestamp: str = "quarantined_at"
    identifying: tuple[str, ...] = ("source_table", "record_id", "field", "raw_value", "error")


@dataclass(frozen=True)
class ChangedDays:
    """A raw table in which each load notes the days of data it changed: a file source's manifest,
    where a file may hold any days of history, and a corrected file also changes the days of the
    version it replaced. A run rebuilds its models by those days as well as by its own window."""

    table: str = "files"
    start: str = "changed_from"
    end: str = "changed_to"
    loaded_at: str = "loaded_at"


@dataclass(frozen=True)
class SourceSpec:
    name: str
    label: str  # what the vendor calls it, for people: "Google Ads"
    domain: str  # the staging contract its models fill: ads, web_analytics, crm, ...
    mode: Mode
    # The dlt source function. Called with the window for windowed sources, and with nothing else:
    # every setting resolves through dlt (env vars, .dlt/*.toml, defaults).
    source: Callable[..., Any]
    tables: tuple[Table, ...]
    settings: tuple[Setting, ...]
    # The sandbox module faking the vendor, named rather than imported: connectors never import the
    # sandbox, and the sandbox finds its fakes through the specs.
    fake: str
    lookback_days: int = 0
    freshness: FreshnessRule | None = None
    quarantine: QuarantineRule | None = None
    description: str = ""
    # Domains this source's data cannot be published without: an ad platform's or a CRM's money
    # converts to the reporting currency with `fx` rates. Enabling the source enables their sources.
    needs: tuple[str, ...] = ()
    # Its staging rows name their own value of the domain's discriminator (`platform`, ...): a file
    # drop carries spend of many platforms, so its rows say which, where an API source is one platform.
    discriminator_in_rows: bool = False
    # A file source's view of its folder, resolved from its settings like the source itself: one
    # string that changes whenever a file is added or changed. The sensor starts a run when it does.
    watch: Callable[[], str] | None = None
    changed_days: ChangedDays | None = None

    def __post_init__(self) -> None:
        names = [t.name for t in self.tables]
        if len(set(names)) != len(names):
            raise ValueError(f"source {self.name}: duplicate table names")
        if self.quarantine and self.quarantine.table not in names:
            raise ValueError(f"source {self.name}: quarantine table {self.quarantine.table!r} is not declared")
        if self.changed_days and self.changed_days.table not in names:
            raise ValueError(f"source {self.name}: changed-days table {self.changed_days.table!r} is not declared")
        if self.mode is Mode.WINDOWED and not any(t.date_column for t in self.tables):
            raise ValueError(f"source {self.name}: a windowed source needs a table with a date_column")

    @property
    def dataset(self) -> str:
        return f"raw_{self.name}"

    @property
    def windowed(self) -> bool:
        return self.mode is Mode.WINDOWED

    def table(self, name: str) -> Table:
        return next(t for t in self.tables if t.name == name)
