"""Asset metadata every warehouse table carries: row count and column schema."""

from __future__ import annotations

from typing import Any

from dagster import MetadataValue, TableColumn, TableSchema

from warehouse import Warehouse


def table_metadata(warehouse: Warehouse, schema: str, table: str, row_count: int | None = None) -> dict[str, Any]:
    columns = warehouse.columns(schema, table)
    count = warehouse.row_count(schema, table) if row_count is None else row_count
    return {
        "dagster/row_count": MetadataValue.int(count),
        "dagster/column_schema": TableSchema(columns=[TableColumn(c.name, c.type) for c in columns]),
        "dagster/relation_identifier": MetadataValue.text(f"{schema}.{table}"),
    }
