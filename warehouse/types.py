"""The column types funnelhouse declares, and what each is in Arrow, in dlt and in each engine's SQL.

One small vocabulary serves every declaration: raw tables (connectors), the domains' staging
contracts and the published marts' contracts. `decimal(p,s)` carries its precision and scale.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

SIMPLE = ("text", "bool", "date", "timestamp", "bigint", "double")
_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


@lru_cache(maxsize=64)
def parse(type_name: str) -> tuple[str, int | None, int | None]:
    """('decimal', 38, 6) for 'decimal(38,6)'; (name, None, None) for the others."""
    match = _DECIMAL.match(type_name)
    if match:
        return "decimal", int(match.group(1)), int(match.group(2))
    if type_name not in SIMPLE:
        raise ValueError(f"unknown column type {type_name!r}: use one of {', '.join(SIMPLE)} or decimal(p,s)")
    return type_name, None, None


def arrow_type(type_name: str) -> Any:
    import pyarrow as pa

    kind, precision, scale = parse(type_name)
    if kind == "decimal":
        return pa.decimal128(precision, scale)
    return {
        "text": pa.string(),
        "bool": pa.bool_(),
        "date": pa.date32(),
        # Every timestamp is stored with its time zone, in UTC, to the microsecond.
        "timestamp": pa.timestamp("us", tz="UTC"),
        "bigint": pa.int64(),
        "double": pa.float64(),
    }[kind]


def dlt_hint(type_name: str) -> dict[str, Any]:
    kind, precision, scale = parse(type_name)
    if kind == "decimal":
        return {"data_type": "decimal", "precision": precision, "scale": scale}
    if kind == "timestamp":
        return {"data_type": "timestamp", "timezone": True, "precision": 6}
    return {"data_type": kind}


def sql_type(type_name: str) -> str:
    """The type in SQL both engines read alike, as is or transpiled from DuckDB's dialect."""
    kind, precision, scale = parse(type_name)
    if kind == "decimal":
        return f"decimal({precision}, {scale})"
    return {
        "text": "varchar",
        "bool": "boolean",
        "date": "date",
        "timestamp": "timestamp with time zone",
        "bigint": "bigint",
        "double": "double precision",
    }[kind]


# What information_schema.columns.data_type says for each kind, on DuckDB and on PostgreSQL.
_CATALOG = {
    "text": {"varchar", "character varying", "text"},
    "bool": {"boolean"},
    "date": {"date"},
    "timestamp": {"timestamp with time zone"},
    "bigint": {"bigint", "int8", "hugeint"},
    "double": {"double", "double precision", "float8"},
    "decimal": {"numeric", "decimal"},
}


def catalog_matches(type_name: str, catalog_type: str) -> bool:
    """Whether a column the warehouse reports (information_schema data_type) has the declared type.

    DuckDB reports decimals as DECIMAL(p,s), PostgreSQL as numeric; both count as decimal.
    """
    kind, _, _ = parse(type_name)
    reported = catalog_type.strip().lower()
    if kind == "decimal":
        return reported.split("(")[0] in _CATALOG["decimal"]
    return reported in _CATALOG[kind]
