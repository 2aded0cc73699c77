"""Asset metadata every warehouse table carries: row count and column schema, with the contract's
column descriptions where the table has a contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from dagster import MetadataValue, TableColumn, TableSchema

from transforms.contracts import MartContract
from transforms.views import ViewContract
from warehouse import Warehouse
from warehouse.engine import Column


def mart_column_schema(contract: MartContract | ViewContract) -> TableSchema:
    """The published contract's (a mart's or a view's) columns, as the Dagster UI shows them before any run."""
    return TableSchema(columns=[TableColumn(c.name, c.type, description=c.description or None)
                                for c in contract.columns])


def table_metadata(
    warehouse: Warehouse,
    schema: str,
    table: str,
    row_count: int | None = None,
    columns: Sequence[Column] = (),
    conn: sa.Connection | None = None,
    contract: MartContract | None = None,
) -> dict[str, Any]:
    """Pass `conn` when describing several tables: a DuckDB connection costs ~40 ms to open and close."""
    columns = columns or warehouse.columns(schema, table, conn)
    count = warehouse.row_count(schema, table, conn) if row_count is None else row_count
    described = {c.name: c.description for c in contract.columns} if contract else {}
    return {
        "dagster/row_count": MetadataValue.int(count),
        "dagster/column_schema": TableSchema(columns=[
            TableColumn(c.name, c.type, description=described.get(c.name) or None) for c in columns
        ]),
        "dagster/relation_identifier": MetadataValue.text(f"{schema}.{table}"),
    }
