"""How Salesforce answers errors: a JSON array of `{"message", "errorCode", "fields"}`.

A 401 INVALID_SESSION_ID is an expired session: the client gets a new one and sends the request
again, once. A 403 REQUEST_LIMIT_EXCEEDED means the org's daily API request limit is used up: it
frees up over the rolling 24 hours, so it is never retried, and the message says how much of the
limit is used, from the `Sforce-Limit-Info: api-usage=<used>/<limit>` header every response carries.
Other 403s (API disabled for the org or the user, no access to an object) are credential problems.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

import requests

from connectors.common.error_hooks import VendorErrors

LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
_API_USAGE = re.compile(r"(?:^|[;\s])api-usage=(\d+)/(\d+)")

SESSION_ADVICE = ("Salesforce refused the session from a fresh token (settings 'credentials.client_id', "
                  "'credentials.client_secret', 'credentials.refresh_token': the connected app's user needs the "
                  "API Enabled permission and the app the 'api' and 'refresh_token' scopes)")


def errors_of(body: Any) -> list[Mapping[str, Any]]:
    """The error items of a Salesforce error body (an array; a single object tolerated)."""
    if isinstance(body, Mapping):
        body = [body]
    return [item for item in body if isinstance(item, Mapping)] if isinstance(body, list) else []


def error_code(body: Any) -> str | None:
    codes = [str(item["errorCode"]) for item in errors_of(body) if item.get("errorCode")]
    return codes[0] if codes else None


def api_usage(header: str | None) -> tuple[int, int] | None:
    """(used, limit) from a `Sforce-Limit-Info` header."""
    match = _API_USAGE.search(header or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


class SalesforceErrors(VendorErrors):
    """Also keeps the org's API usage, as the latest response reported it."""

    def __init__(self) -> None:
        self.usage: tuple[int, int] | None = None
        self._lock = threading.Lock()

    def status(self, response: requests.Response, body: Any) -> int:
        usage = api_usage(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            with self._lock:
                self.usage = usage
        return response.status_code

    def summary(self, response: requests.Response, body: Any) -> str:
        items = errors_of(body)
        if not items or not any(item.get("errorCode") or item.get("message") for item in items):
            return super().summary(response, body)
        parts = []
        for item in items:
            text = f"{item.get('errorCode') or 'ERROR'}: {item.get('message') or ''}".rstrip(": ")
            if item.get("fields"):
                text += f" (fields {', '.join(map(str, item['fields']))})"
            parts.append(text)
        return "; ".join(parts)

    def is_auth_failure(self, status: int, body: Any) -> bool:
        return status == 401 or (status == 403 and error_code(body) != LIMIT_EXCEEDED)

    def refusal(self, status: int, body: Any) -> str | None:
        if status != 403 or error_code(body) != LIMIT_EXCEEDED:
            return None
        with self._lock:
            usage = self.usage
        used = f" ({usage[0]} of {usage[1]} used)" if usage else ""
        return (f"the org's daily API request limit{used} is exhausted ({LIMIT_EXCEEDED}). Salesforce counts "
                "requests over a rolling 24 hours, so retrying now cannot succeed: run again later or raise the "
                "org's limit. Nothing of this run was loaded and the cursor did not advance.")

    def auth_message(self, status: int, summary: str) -> str:
        if status == 401:
            return f"{SESSION_ADVICE}: HTTP 401: {summary}"
        return (f"Salesforce refused the request (HTTP {status}): {summary}; check that the connected app's user "
                "may read this object and has the API Enabled permission")
