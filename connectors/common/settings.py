"""Checks for a source's settings, worded the same for every source.

Each check returns the value in the form the connector uses, or raises `ConfigurationError(source,
key, problem)`: the message names the key and its `SOURCES__<SOURCE>__<KEY>` variable, never the
value (it may be a secret, or a customer's id pasted into the wrong field). Sources call them when
the dlt source is built, so a bad setting fails before any request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from connectors.common.errors import ConfigurationError
from connectors.common.prefetch import MAX_CONCURRENT_REQUESTS
from connectors.common.window import DateWindow, parse_date, resolve_window

_WHOLE = re.compile(r"-?[0-9]+")


def url(source: str, key: str, value: Any) -> str:
    """An http(s) URL, without a trailing slash."""
    if not isinstance(value, str) or not value.strip().startswith(("https://", "http://")):
        raise ConfigurationError(source, key, "must be an http(s) URL")
    return value.strip().rstrip("/")


def whole_number(source: str, key: str, value: Any, minimum: int | None = None, maximum: int | None = None,
                 unit: str = "") -> int:
    """An int (or its decimal text) within [minimum, maximum]. True/False and 2.5 are not numbers of anything."""
    number = _int(value)
    if number is None or (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        what = f"a whole number of {unit}" if unit else "a whole number"
        if minimum is not None and maximum is not None:
            bounds = f" from {minimum} to {maximum}"
        elif minimum is not None:
            bounds = f" >= {minimum}"
        elif maximum is not None:
            bounds = f" <= {maximum}"
        else:
            bounds = ""
        raise ConfigurationError(source, key, f"must be {what}{bounds}")
    return number


def days(source: str, key: str, value: Any, minimum: int = 0) -> int:
    return whole_number(source, key, value, minimum, unit="days")


def concurrency(source: str, value: Any, key: str = "concurrent_requests") -> int:
    """Requests in flight at once: 1 (no prefetching) to MAX_CONCURRENT_REQUESTS."""
    return whole_number(source, key, value, 1, MAX_CONCURRENT_REQUESTS)


def iso_date(source: str, key: str, value: Any) -> date | None:
    """A date, or its ISO text (YYYY-MM-DD); None or "" when unset."""
    try:
        if value is not None and not isinstance(value, (str, date)):
            raise TypeError
        return parse_date(value)
    except (TypeError, ValueError):
        raise ConfigurationError(source, key, "must be an ISO date (YYYY-MM-DD)") from None


def boolean(source: str, key: str, value: Any) -> bool:
    """True or False, or the words true/false as environment variables spell them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConfigurationError(source, key, "must be true or false")


def secret(source: str, key: str, value: Any) -> str:
    """A credential: a string that is not blank, stripped of the whitespace a paste brings along."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(source, key, "is missing or empty")
    return value.strip()


def secrets(source: str, credentials: Any, keys: Sequence[str], section: str = "credentials") -> dict[str, str]:
    """Each of `keys` from a credentials configspec (or a dict) as a checked secret, named `<section>.<key>`."""
    def get(key: str) -> Any:
        if isinstance(credentials, Mapping):
            return credentials.get(key)
        return getattr(credentials, key, None)

    return {key: secret(source, f"{section}.{key}", get(key)) for key in keys}


def id_list(source: str, key: str, value: Any, *, example: str, prefix: str = "", dashes: bool = False) -> list[str]:
    """Numeric ids as digit strings, in order, without repeats: from a comma list, a JSON array, a list,
    or a single number. `prefix` ("properties/") and, with `dashes`, dashes ("123-456-7890") are dropped."""
    try:
        items = _items(value)
    except ValueError:
        items = None
    ids: list[str] = []
    for item in items or ():
        text = _digits(item, prefix, dashes)
        if text is None:
            items = None
            break
        if text and text not in ids:
            ids.append(text)
    if items is None:
        raise ConfigurationError(source, key, f"must be a comma list (or JSON array) of numeric ids, e.g. {example}")
    if not ids:
        raise ConfigurationError(source, key, "is missing")
    return ids


def optional_id(source: str, key: str, value: Any, *, example: str, dashes: bool = False) -> str | None:
    """One numeric id as a digit string, or None when unset."""
    if value is None:
        return None
    text = _digits(value, "", dashes)
    if text is None:
        raise ConfigurationError(source, key, f"must be a numeric id, e.g. {example}")
    return text or None


def window_settings(source: str, start_date: Any, end_date: Any, lookback_days: Any,
                    ) -> tuple[date | None, date | None, int]:
    """The window's settings checked, for a source that resolves its window when the run starts."""
    start = iso_date(source, "start_date", start_date)
    end = iso_date(source, "end_date", end_date)
    lookback = days(source, "lookback_days", lookback_days)
    if start and end and start > end:
        raise ConfigurationError(source, "start_date", "is after end_date")
    return start, end, lookback


def date_window(source: str, start_date: Any, end_date: Any, lookback_days: Any,
                today: date | None = None) -> DateWindow:
    """The window a run fetches (see `resolve_window`), its settings checked."""
    start, end, lookback = window_settings(source, start_date, end_date, lookback_days)
    try:
        return resolve_window(start, end, lookback, today)
    except ValueError:
        # Only a start date later than the default end (yesterday) gets here.
        raise ConfigurationError(source, "start_date", "is after end_date") from None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
        return int(value)
    return None


def _items(value: Any) -> Iterable[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            items = json.loads(text)
            if not isinstance(items, list):
                raise ValueError("not a JSON array")
            return items
        return text.split(",")
    if isinstance(value, int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, (list, tuple)):
        return value
    raise ValueError("not a list of ids")


def _digits(item: Any, prefix: str, dashes: bool) -> str | None:
    """The id as digits ("" when blank), or None when it is not a numeric id."""
    if isinstance(item, bool) or not isinstance(item, (str, int)):
        return None
    text = str(item).strip()
    if prefix:
        text = text.removeprefix(prefix)
    if dashes:
        text = text.replace("-", "")
    if text and not (text.isascii() and text.isdigit()):
        return None
    return text
