"""HubSpot CRM records (every property a string or null) to Arrow tables of the raw layer.

A malformed value is a `RecordError` naming the record and field, except a deal's `amount`: sales
teams type free text there ("12,50 EUR"), so that deal still loads with amount NULL and the raw
value goes to the quarantine table.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa

from connectors.common.errors import RecordError
from connectors.hubspot.settings import (
    CONTACTS_TABLE,
    DEAL_CONTACTS_TABLE,
    DEALS,
    DEALS_TABLE,
    LIFECYCLE_DATE_PROPERTIES,
    QUARANTINE_TABLE,
    SOURCE,
)

log = logging.getLogger("funnelhouse.connectors.hubspot")

_SCALE = Decimal("0.000001")
_MAX_AMOUNT = Decimal(10) ** 32  # decimal(38, 6) keeps 32 digits before the point


def _record_id(record: Mapping[str, Any]) -> str:
    rid = record.get("id")
    if rid in (None, ""):
        raise RecordError(SOURCE, "<missing id>", "id", "a CRM record without an id")
    return str(rid)


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def parse_timestamp(record_id: str, field: str, value: Any) -> datetime | None:
    """ISO 8601 (what CRM v3 sends) or epoch milliseconds (older properties and filters)."""
    if value is None or value == "":
        return None
    text = str(value).strip()
    try:
        if text.isdigit():
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError):
        raise RecordError(SOURCE, record_id, field, f"not a timestamp: {text[:40]!r}") from None
    if parsed.tzinfo is None:
        raise RecordError(SOURCE, record_id, field, f"timestamp without a time zone: {text[:40]!r}")
    return parsed.astimezone(UTC)


def parse_bool(record_id: str, field: str, value: Any) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise RecordError(SOURCE, record_id, field, f"not a boolean: {text[:40]!r}")


def parse_amount(value: Any) -> Decimal | None:
    """The amount as decimal(38, 6); ValueError says why it is not one."""
    if value is None or str(value).strip() == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("not a number") from None
    if not amount.is_finite():
        raise ValueError("not a finite number")
    if abs(amount) >= _MAX_AMOUNT:
        raise ValueError("too large for decimal(38, 6)")
    return amount.quantize(_SCALE)


def contacts_table(records: Sequence[Mapping[str, Any]]) -> pa.Table:
    cols: dict[str, list[Any]] = {name: [] for name in CONTACTS_TABLE.column_names}
    for record in records:
        rid = _record_id(record)
        props = record.get("properties") or {}
        cols["id"].append(rid)
        for name in ("email", "firstname", "lastname", "hs_analytics_source", "hs_analytics_source_data_1",
                     "hs_analytics_source_data_2", "hs_analytics_first_url", "lifecyclestage", "hs_latest_source",
                     "hs_latest_source_data_1", "hs_latest_source_data_2", "hs_analytics_last_url"):
            cols[name].append(_text(props.get(name)))
        for name in ("createdate", *LIFECYCLE_DATE_PROPERTIES):
            cols[name].append(parse_timestamp(rid, name, props.get(name)))
        cols["lastmodifieddate"].append(parse_timestamp(rid, "lastmodifieddate", props.get("lastmodifieddate")))
        cols["hs_latest_source_timestamp"].append(
            parse_timestamp(rid, "hs_latest_source_timestamp", props.get("hs_latest_source_timestamp")))
        cols["archived"].append(parse_bool(rid, "archived", record.get("archived", False)))
    return pa.table(cols, schema=CONTACTS_TABLE.arrow_schema())


class Quarantine:
    """Values set aside while building tables, collected per record for the quarantine table."""

    def __init__(self) -> None:
        self._rows: dict[str, list[dict[str, Any]]] = {}
        self.table_announced = False

    @staticmethod
    def empty() -> pa.Table:
        return QUARANTINE_TABLE.empty()

    def add(self, table: str, record_id: str, field: str, raw_value: Any, error: str) -> None:
        log.warning("%s: %s %s, field '%s': %s (value %r); loaded as NULL and quarantined",
                    SOURCE, table, record_id, field, error, raw_value)
        self._rows.setdefault(record_id, []).append({
            "source_table": table, "record_id": record_id, "field": field,
            "raw_value": None if raw_value is None else str(raw_value), "error": error,
            "quarantined_at": datetime.now(UTC),
        })

    def take(self, record_ids: Sequence[str]) -> pa.Table | None:
        rows = [row for rid in record_ids for row in self._rows.pop(rid, [])]
        return pa.Table.from_pylist(rows, schema=QUARANTINE_TABLE.arrow_schema()) if rows else None


def deals_table(records: Sequence[Mapping[str, Any]], quarantine: Quarantine) -> pa.Table:
    cols: dict[str, list[Any]] = {name: [] for name in DEALS_TABLE.column_names}
    for record in records:
        rid = _record_id(record)
        props = record.get("properties") or {}
        cols["id"].append(rid)
        for name in ("dealname", "deal_currency_code", "dealstage", "pipeline"):
            cols[name].append(_text(props.get(name)))
        raw_amount = props.get("amount")
        try:
            amount = parse_amount(raw_amount)
        except ValueError as exc:
            quarantine.add(DEALS, rid, "amount", raw_amount, str(exc))
            amount = None
        cols["amount"].append(amount)
        for name in ("createdate", "closedate", "hs_lastmodifieddate"):
            cols[name].append(parse_timestamp(rid, name, props.get(name)))
        for name in ("hs_is_closed", "hs_is_closed_won"):
            cols[name].append(parse_bool(rid, name, props.get(name)))
        cols["archived"].append(parse_bool(rid, "archived", record.get("archived", False)))
    return pa.table(cols, schema=DEALS_TABLE.arrow_schema())


def deal_contacts_table(pairs: Sequence[tuple[str, str]]) -> pa.Table:
    unique = sorted(set(pairs))
    return pa.table({"deal_id": [d for d, _ in unique], "contact_id": [c for _, c in unique]},
                    schema=DEAL_CONTACTS_TABLE.arrow_schema())
