"""The mapping config: how each file's columns become a contract's fields.

Under `[sources.<source>.mappings.<name>]` (TOML in `.dlt/config.toml`; in the environment the same
as TOML or JSON text, or the path of a TOML file holding them), one table per kind of file:

```toml
[sources.ad_spend_files.mappings.microsoft]
pattern = "microsoft_ads*"        # file names (paths below the folder) it applies to; first match wins
delimiter = ";"                   # CSV only; default ","
decimal = ","                     # the decimal mark; default "."
thousands = "."                   # grouping mark dropped from numbers; default none
date_formats = ["%d.%m.%Y"]       # strptime formats tried in order; default ["%Y-%m-%d"]
sheet = "Report"                  # XLSX only; default the first sheet
encoding = "utf-8"                # CSV only; default utf-8 (a BOM is dropped)
columns = { "Day" = "date_day", "Cost" = "spend" }   # file column = field
defaults = { platform = "microsoft_ads", currency_code = "EUR" }  # where no column or a blank cell
```

A value the config gets wrong fails the source with a `ConfigurationError` naming the key
(`mappings.microsoft.columns`), before any file is read.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from connectors.common.errors import ConfigurationError
from connectors.common.files.fields import FileContract

_KEYS = {"pattern", "delimiter", "decimal", "thousands", "date_formats", "sheet", "encoding", "columns", "defaults"}


@dataclass(frozen=True)
class FileMapping:
    name: str
    pattern: str = "*"
    delimiter: str = ","
    decimal: str = "."
    thousands: str = ""
    date_formats: tuple[str, ...] = ("%Y-%m-%d",)
    sheet: str | None = None
    encoding: str = "utf-8-sig"
    columns: Mapping[str, str] = field(default_factory=dict)  # file column -> field
    defaults: Mapping[str, str] = field(default_factory=dict)  # field -> value

    def matches(self, file_name: str) -> bool:
        base = file_name.rsplit("/", 1)[-1]
        return fnmatch.fnmatch(file_name, self.pattern) or fnmatch.fnmatch(base, self.pattern)


def mapping_for(mappings: Sequence[FileMapping], file_name: str) -> FileMapping | None:
    return next((m for m in mappings if m.matches(file_name)), None)


def parse_mappings(source: str, contract: FileContract, value: Any) -> tuple[FileMapping, ...]:
    """The `mappings` setting checked against the contract: a table of named mappings, as a dict or
    as TOML or JSON text, or as the path of a TOML file holding them (alone, or as
    `[sources.<source>.mappings.<name>]` tables)."""
    key = "mappings"
    tables = _tables(source, value)
    if not tables:
        raise ConfigurationError(source, key, "is missing: name at least one mapping of file columns to fields")
    mappings = [_mapping(source, contract, name, spec) for name, spec in tables.items()]
    return tuple(mappings)


def _looks_like_path(text: str) -> bool:
    return bool(text) and "\n" not in text and "=" not in text and not text.startswith(("{", "["))


def _tables(source: str, value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        text = value.strip()
        if _looks_like_path(text):
            try:
                text = Path(text).expanduser().read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigurationError(source, "mappings", f"names a file that cannot be read ({type(exc).__name__})"
                                         ) from None
        try:
            value = json.loads(text) if text.startswith("{") else tomllib.loads(text)
        except (ValueError, tomllib.TOMLDecodeError) as exc:
            raise ConfigurationError(source, "mappings", f"is neither a TOML nor a JSON table ({type(exc).__name__} "
                                                         f"at {_where(exc)})") from None
    if value is None:
        return {}
    # A file of the documented layout nests them as they are in .dlt/config.toml.
    if isinstance(value, Mapping) and isinstance(value.get("sources"), Mapping):
        value = (value["sources"].get(source) or {}).get("mappings")
        if value is None:
            return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ConfigurationError(source, "mappings", "must be a table of named mappings: "
                                                     "[sources.<source>.mappings.<name>]")
    return value


def _where(exc: Exception) -> str:
    # Positions only: the text may hold a customer's column names, which are no secret, but a
    # message of the config's shape is enough to find the mistake.
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    return f"line {line}, column {column}" if line else "the start"


def _text(source: str, key: str, value: Any, default: str, allow_empty: bool = False) -> str:
    if value is None:
        return default
    if not isinstance(value, str) or (not value and not allow_empty):
        raise ConfigurationError(source, key, "must be text")
    return value


def _mapping(source: str, contract: FileContract, name: str, spec: Mapping[str, Any]) -> FileMapping:
    where = f"mappings.{name}"
    unknown = sorted(set(spec) - _KEYS)
    if unknown:
        raise ConfigurationError(source, f"{where}.{unknown[0]}", f"is not a mapping key; known: {', '.join(sorted(_KEYS))}")
    delimiter = _text(source, f"{where}.delimiter", spec.get("delimiter"), ",")
    if len(delimiter) != 1:
        raise ConfigurationError(source, f"{where}.delimiter", "must be one character, e.g. ',' or ';'")
    decimal = _text(source, f"{where}.decimal", spec.get("decimal"), ".")
    if decimal not in (".", ","):
        raise ConfigurationError(source, f"{where}.decimal", "must be '.' or ','")
    thousands = _text(source, f"{where}.thousands", spec.get("thousands"), "", allow_empty=True)
    if thousands not in ("", ",", ".", " ", "'", "\u00a0") or thousands == decimal:
        raise ConfigurationError(source, f"{where}.thousands", "must be one of ',', '.', ' ', \"'\" (or empty) and "
                                                               "differ from the decimal mark")
    formats = spec.get("date_formats", ["%Y-%m-%d"])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not formats or not all(isinstance(f, str) and "%" in f for f in formats):
        raise ConfigurationError(source, f"{where}.date_formats", "must be a list of strptime formats, e.g. "
                                                                 "[\"%d.%m.%Y\"]")
    for fmt in formats:
        try:
            datetime(2026, 1, 31).strftime(fmt)
        except ValueError:
            raise ConfigurationError(source, f"{where}.date_formats", "holds a format strptime cannot use") from None
    columns = spec.get("columns") or {}
    defaults = spec.get("defaults") or {}
    if not isinstance(columns, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                   for k, v in columns.items()):
        raise ConfigurationError(source, f"{where}.columns", "must be a table of file column = field")
    if not isinstance(defaults, Mapping) or not all(isinstance(v, (str, int, float)) for v in defaults.values()):
        raise ConfigurationError(source, f"{where}.defaults", "must be a table of field = value")
    known = set(contract.field_names)
    for part, names in (("columns", columns.values()), ("defaults", defaults)):
        unknown_fields = [name for name in names if name not in known]
        if unknown_fields:
            raise ConfigurationError(source, f"{where}.{part}", f"names no field {unknown_fields[0]!r}; the fields are "
                                                                f"{', '.join(contract.field_names)}")
    if len(set(columns.values())) != len(columns):
        raise ConfigurationError(source, f"{where}.columns", "maps two file columns to the same field")
    uncovered = [f.name for f in contract.fields if f.required and f.name not in columns.values()
                 and f.name not in defaults]
    if uncovered:
        raise ConfigurationError(source, f"{where}.columns", f"maps no column to {', '.join(uncovered)} and has no "
                                                             "default for it")
    sheet = spec.get("sheet")
    return FileMapping(
        name=name,
        pattern=_text(source, f"{where}.pattern", spec.get("pattern"), "*"),
        delimiter=delimiter, decimal=decimal, thousands=thousands, date_formats=tuple(formats),
        sheet=_text(source, f"{where}.sheet", sheet, "") or None,
        encoding=_text(source, f"{where}.encoding", spec.get("encoding"), "utf-8-sig"),
        columns=dict(columns), defaults={k: str(v) for k, v in defaults.items()},
    )
