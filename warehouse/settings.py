"""Project-wide settings, resolved the dlt way: env vars override `.dlt/config.toml` / `secrets.toml`.

`FUNNELHOUSE_WAREHOUSE_URL` is the top-level key `funnelhouse_warehouse_url` in dlt's providers, so it
can live in `.dlt/secrets.toml` (it may carry a password) as well as in the environment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_WAREHOUSE_URL = "duckdb:///.funnelhouse/warehouse.duckdb"
DEFAULT_REPORTING_CURRENCY = "USD"
DEFAULT_OVERRIDES = Path(__file__).resolve().parent.parent / "transforms" / "seeds" / "campaign_key_overrides.csv"
DEFAULT_DATA_DOCS_DIR = ".funnelhouse/data_docs"
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class SettingError(ValueError):
    """A project setting is malformed. Names the key, never the value."""


@dataclass(frozen=True)
class Settings:
    warehouse_url: str = DEFAULT_WAREHOUSE_URL
    reporting_currency: str = DEFAULT_REPORTING_CURRENCY
    campaign_key_overrides: str = str(DEFAULT_OVERRIDES)

    def __post_init__(self) -> None:
        if not self.warehouse_url.startswith(("duckdb://", "postgresql://", "postgresql+psycopg://", "postgres://")):
            raise SettingError(
                "setting 'FUNNELHOUSE_WAREHOUSE_URL' must start with duckdb:/// or postgresql://"
            )
        if not _CURRENCY.match(self.reporting_currency):
            raise SettingError("setting 'FUNNELHOUSE_REPORTING_CURRENCY' must be a three-letter ISO 4217 code")
        if not Path(self.campaign_key_overrides).is_file():
            raise SettingError("setting 'FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES' must name an existing CSV file")


def setting_value(key: str) -> str | None:
    """A top-level `funnelhouse_*` key from the environment, `.dlt/config.toml` or `.dlt/secrets.toml`;
    None when unset or empty."""
    import dlt

    value = dlt.config.get(key)
    if value is None:
        value = dlt.secrets.get(key)
    return None if value in (None, "") else str(value)


def load_settings(
    warehouse_url: str | None = None,
    reporting_currency: str | None = None,
    campaign_key_overrides: str | None = None,
) -> Settings:
    """Explicit arguments win; then env vars / .dlt files; then the defaults."""
    return Settings(
        warehouse_url=warehouse_url or setting_value("funnelhouse_warehouse_url") or DEFAULT_WAREHOUSE_URL,
        reporting_currency=(reporting_currency or setting_value("funnelhouse_reporting_currency")
                            or DEFAULT_REPORTING_CURRENCY).upper(),
        campaign_key_overrides=campaign_key_overrides or setting_value("funnelhouse_campaign_key_overrides")
        or str(DEFAULT_OVERRIDES),
    )


def data_docs_dir() -> Path:
    """FUNNELHOUSE_DATA_DOCS_DIR (env or .dlt files), or the default, resolved against the working
    directory now: the quality checks' Data Docs are written there, one folder per run."""
    return Path(setting_value("funnelhouse_data_docs_dir") or DEFAULT_DATA_DOCS_DIR).expanduser().resolve()
