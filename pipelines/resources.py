"""Dagster resources. Values left unset resolve the dlt way (env vars, then .dlt/*.toml, then the
documented defaults) when a run starts, never at import time. Set a field with `EnvVar(...)` to
pin it from the Dagster side; the UI then shows the variable's name, not its value."""

from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource, InitResourceContext
from pydantic import Field

from warehouse import Settings, Warehouse, load_settings
from warehouse.engine import release_all

STATE_DIR = Path(".funnelhouse")


class WarehouseResource(ConfigurableResource):
    """Where every layer lives: raw datasets, staging, intermediate, candidates and marts."""

    url: str | None = Field(default=None, description="SQLAlchemy URL; default FUNNELHOUSE_WAREHOUSE_URL")
    reporting_currency: str | None = Field(default=None, description="default FUNNELHOUSE_REPORTING_CURRENCY")
    campaign_key_overrides: str | None = Field(
        default=None, description="CSV of campaign key overrides; default FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES"
    )

    def settings(self) -> Settings:
        return load_settings(self.url, self.reporting_currency, self.campaign_key_overrides)

    def warehouse(self, keep_open: bool = False) -> Warehouse:
        """`keep_open`: for a run's steps after ingestion, which then share one open DuckDB file
        until the run ends (`Warehouse.keep_open`). Never from a sensor: its process would hold the
        file the runs need."""
        warehouse = Warehouse(self.settings().warehouse_url)
        if keep_open:
            warehouse.keep_open()
        return warehouse

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        release_all()


class IngestionResource(ConfigurableResource):
    """How ingestion behaves across sources."""

    lookback_days: int | None = Field(
        default=None,
        description="Days re-read on every run, because platforms restate recent conversions; "
                    "default: each windowed source's own (its spec's lookback_days)",
    )
    state_dir: str = Field(default=str(STATE_DIR), description="Where dlt keeps its working files")
