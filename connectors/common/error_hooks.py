"""How a vendor's error responses are read: the hook a source hands its `VendorClient`.

The client keeps the generic rules (which statuses are retried, backoff, one token refresh after a
401, scrubbing secrets). What an error *body* means differs per vendor: Google hides the real
reason in `details` and may answer 200 with the error inside a stream, HubSpot names its rate
policy, and so on. A source passes an `ErrorHook` that knows its vendor; `VendorErrors` is the
vendor-neutral default and the base the vendor hooks extend.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import requests


class ErrorHook(Protocol):
    def status(self, response: requests.Response, body: Any) -> int:
        """The status the response really has: a 200 can carry an error (a stream's element)."""
        ...

    def summary(self, response: requests.Response, body: Any) -> str:
        """A short description of an error body for messages (the client scrubs secrets from it)."""
        ...

    def is_auth_failure(self, status: int, body: Any) -> bool:
        """Whether the credentials were refused: never retried, refreshed once after a 401."""
        ...

    def retry_after(self, response: requests.Response, body: Any) -> float | None:
        """Seconds the vendor asks us to wait before retrying, when it says."""
        ...

    def refusal(self, status: int, body: Any) -> str | None:
        """A message when this error must not be retried although its status usually is."""
        ...

    def auth_message(self, status: int, summary: str) -> str:
        """What an AuthError says: the refusal, and what the user should check."""
        ...


class VendorErrors:
    """The vendor-neutral reading: HTTP status, `Retry-After`, and the common JSON error keys."""

    def status(self, response: requests.Response, body: Any) -> int:
        return response.status_code

    def summary(self, response: requests.Response, body: Any) -> str:
        parts: list[str] = []
        if isinstance(body, Mapping):
            error = body.get("error")
            if isinstance(error, Mapping):
                parts += [str(error[key]) for key in ("message", "detail") if error.get(key)]
            elif isinstance(error, str):
                # OAuth 2.0 (RFC 6749): {"error": "invalid_grant", "error_description": "..."}
                parts.append(error)
            parts += [str(body[key]) for key in ("error_description", "message", "detail") if body.get(key)]
        if not parts:
            text = response.text[:300] if response.text else ""
            parts.append(text or response.reason or "no body")
        return "; ".join(parts)

    def is_auth_failure(self, status: int, body: Any) -> bool:
        return status in (401, 403)

    def retry_after(self, response: requests.Response, body: Any) -> float | None:
        return retry_after_header(response)

    def refusal(self, status: int, body: Any) -> str | None:
        return None

    def auth_message(self, status: int, summary: str) -> str:
        return f"authentication failed (HTTP {status}): {summary}"


def retry_after_header(response: requests.Response) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110)."""
    header = (response.headers.get("Retry-After") or "").strip()
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
