"""Asset metadata every warehouse table carries: row count and column schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagster import MetadataValue, TableColumn, TableSchema

from warehouse import Warehouse
from warehouse.engine import Column


def table_metadata(
    warehouse: Warehouse, schema: str, table: str, row_count: int | None = None, columns: Sequence[Column] = ()
) -> dict[str, Any]:
    columns = columns or warehouse.columns(schema, table)
    count = warehouse.row_count(schema, table) if row_count is None else row_count
    return {
        "dagster/row_count": MetadataValue.int(count),
        "dagster/column_schema": TableSchema(columns=[TableColumn(c.name, c.type) for c in columns]),
        "dagster/relation_identifier": MetadataValue.text(f"{schema}.{table}"),
    }
