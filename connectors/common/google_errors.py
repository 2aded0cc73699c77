"""Google's API error shape, shared by Google Ads, GA4 and Google's OAuth token endpoint.

Google APIs answer errors as a `google.rpc.Status` in JSON:
`{"error": {"code": 429, "message": "...", "status": "RESOURCE_EXHAUSTED", "details": [...]}}`.
The status name says more than the HTTP code (a 403 may be PERMISSION_DENIED on one property), and
a throttled call may say how long to wait in a `retryDelay` (a JSON Duration such as "0.200s")
inside its details. The token endpoint answers the OAuth 2.0 shape, which the default reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import requests

from connectors.common.error_hooks import VendorErrors, retry_after_header

AUTH_STATUSES = frozenset({"UNAUTHENTICATED", "PERMISSION_DENIED"})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


class GoogleErrors(VendorErrors):
    def summary(self, response: requests.Response, body: Any) -> str:
        error = body.get("error") if isinstance(body, Mapping) else None
        if not isinstance(error, Mapping):
            return super().summary(response, body)
        parts = [str(error[key]) for key in ("status", "message") if error.get(key)]
        parts += self.details(error.get("details"))
        return "; ".join(parts) or super().summary(response, body)

    def details(self, details: Any) -> list[str]:
        """What an API adds from the status's `details`; none by default."""
        return []

    def is_auth_failure(self, status: int, body: Any) -> bool:
        error = body.get("error") if isinstance(body, Mapping) else None
        return super().is_auth_failure(status, body) or (
            isinstance(error, Mapping) and error.get("status") in AUTH_STATUSES)

    def retry_after(self, response: requests.Response, body: Any) -> float | None:
        header = retry_after_header(response)
        if header is not None:
            return header
        delay = find_key(body, "retryDelay")
        return parse_duration(delay) if delay is not None else None


def parse_duration(value: Any) -> float | None:
    """Google's JSON Duration ("3s", "0.500s", {"seconds": 3, "nanos": 0}) or a plain number of seconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            return float(match.group(1))
        try:
            return float(value)
        except ValueError:
            return None
    if isinstance(value, Mapping) and "seconds" in value:
        return float(value.get("seconds", 0)) + float(value.get("nanos", 0)) / 1e9
    return None


def find_key(payload: Any, key: str) -> Any:
    """First value under `key` anywhere in a decoded JSON document."""
    if isinstance(payload, Mapping):
        if key in payload:
            return payload[key]
        children: Iterable[Any] = payload.values()
    elif isinstance(payload, list):
        children = payload
    else:
        return None
    for child in children:
        found = find_key(child, key)
        if found is not None:
            return found
    return None
