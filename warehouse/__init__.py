"""The warehouse: one SQLAlchemy engine and one dlt destination for DuckDB or PostgreSQL."""

from warehouse.engine import Warehouse
from warehouse.settings import Settings, load_settings

__all__ = ["Settings", "Warehouse", "load_settings"]
