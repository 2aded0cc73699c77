"""How Google Ads answers errors, on top of Google's common shape.

- The top-level message only says "Request contains an invalid argument."; the reason
  (`queryError: UNRECOGNIZED_FIELD`, `authenticationError: CUSTOMER_NOT_FOUND`, ...) is in a
  `GoogleAdsFailure` detail.
- searchStream answers a JSON array of batches, and an error can arrive as one of its elements,
  after HTTP 200 (the status line went out before the failure) or with the error's own status.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.common.google_errors import GoogleErrors


class GoogleAdsErrors(GoogleErrors):
    def status(self, response: requests.Response, body: Any) -> int:
        error = stream_error(body)
        if error is not None and response.status_code < 400:
            code = error.get("code")
            return code if isinstance(code, int) and code >= 400 else 500
        return response.status_code

    def summary(self, response: requests.Response, body: Any) -> str:
        error = stream_error(body)
        return super().summary(response, {"error": error} if error is not None else body)

    def is_auth_failure(self, status: int, body: Any) -> bool:
        error = stream_error(body)
        return super().is_auth_failure(status, {"error": error} if error is not None else body)

    def details(self, details: Any) -> list[str]:
        found: list[str] = []
        for detail in details if isinstance(details, list) else []:
            errors = detail.get("errors") if isinstance(detail, Mapping) else None
            for error in errors if isinstance(errors, list) else []:
                if not isinstance(error, Mapping):
                    continue
                code = error.get("errorCode")
                label = " ".join(f"{k} {v}" for k, v in code.items()) if isinstance(code, Mapping) else ""
                found.append(f"{label}: {error.get('message', '')}".strip(": "))
        return found


def stream_error(body: Any) -> Mapping[str, Any] | None:
    """The `error` of the first stream element that is one, for a searchStream array; else None."""
    if not isinstance(body, list):
        return None
    for item in body:
        if isinstance(item, Mapping) and "error" in item:
            error = item["error"]
            return error if isinstance(error, Mapping) else {"message": str(error)}
    return None
