"""How the Graph API answers errors, and which of them retrying clears.

Every error body is `{"error": {"message", "type", "code", "error_subcode", "fbtrace_id",
"is_transient"?, "error_user_msg"?}}` ("Handling Errors", Graph API docs).

- Throttling arrives as HTTP 400 (sometimes 403), told apart by `code` ("Rate Limiting" and
  "Marketing API Rate Limiting"): 4 (application limit), 17 (user limit, e.g. subcode 2446079
  "User request limit reached"), 32 (page limit), 613 (e.g. subcode 1487742, too many calls from
  this ad account) and 80000-80014 (Business Use Case limits; 80000 is ads insights, 80004 ads
  management). It is read as a 429 so the client backs off and retries.
- How long to wait: `X-Business-Use-Case-Usage` is `{"<business id>": [{"type", "call_count",
  "total_cputime", "total_time", "estimated_time_to_regain_access"}]}`, the estimate in *minutes*;
  `X-Ad-Account-Usage` is `{"acc_id_util_pct", "reset_time_duration" (seconds), ...}`. The longest
  estimate is honoured; an estimate of 0 leaves the wait to exponential backoff.
- Code 1 or 2 with `is_transient` (and any 5xx) is a passing server failure: retried.
- Code 190 is an invalid, expired or revoked access token (102 an invalid session): an auth
  failure, never retried. So are missing permissions (10 and 200-299).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from connectors.common.error_hooks import VendorErrors, retry_after_header

THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
AUTH_CODES = frozenset({102, 190})
PERMISSION_CODES = frozenset({10, *range(200, 300)})
TRANSIENT_CODES = frozenset({1, 2})

TOKEN_ADVICE = ("Meta refused the access token (setting 'credentials.access_token', "
                "SOURCES__FACEBOOK_ADS__CREDENTIALS__ACCESS_TOKEN): it is invalid, expired or revoked, or lacks "
                "the ads_read permission on these ad accounts; issue a new (system user) token")


def graph_error(body: Any) -> Mapping[str, Any] | None:
    error = body.get("error") if isinstance(body, Mapping) else None
    return error if isinstance(error, Mapping) else None


def error_code(body: Any) -> int | None:
    error = graph_error(body)
    code = error.get("code") if error else None
    if isinstance(code, bool):
        return None
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isdigit():
        return int(code)
    return None


class MetaErrors(VendorErrors):
    def status(self, response: requests.Response, body: Any) -> int:
        status = response.status_code
        if status < 400:
            return status
        code = error_code(body)
        if code in THROTTLE_CODES:
            return 429
        error = graph_error(body) or {}
        if status < 500 and (error.get("is_transient") is True or code == 2):
            return 503
        return status

    def summary(self, response: requests.Response, body: Any) -> str:
        error = graph_error(body)
        if error is None:
            return super().summary(response, body)
        labels = [f"{key} {error[key]}" for key in ("type", "code", "error_subcode") if error.get(key) not in (None, "")]
        text = str(error.get("message") or "no message")
        if error.get("error_user_msg"):
            text += f" ({error['error_user_msg']})"
        if error.get("fbtrace_id"):
            labels.append(f"fbtrace_id {error['fbtrace_id']}")
        return f"{text} [{', '.join(labels)}]" if labels else text

    def is_auth_failure(self, status: int, body: Any) -> bool:
        code = error_code(body)
        return code in AUTH_CODES or code in PERMISSION_CODES or status == 401

    def retry_after(self, response: requests.Response, body: Any) -> float | None:
        waits = [w for w in (business_use_case_wait(response), ad_account_wait(response), retry_after_header(response))
                 if w is not None]
        return max(waits) if waits else None

    def auth_message(self, status: int, summary: str) -> str:
        return f"{TOKEN_ADVICE}: HTTP {status}: {summary}"


def _header_json(response: requests.Response, name: str) -> Any:
    text = response.headers.get(name)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def business_use_case_wait(response: requests.Response) -> float | None:
    """Seconds until access returns by `X-Business-Use-Case-Usage`: the longest
    `estimated_time_to_regain_access` (minutes) of its entries; None when it names none above 0."""
    usage = _header_json(response, "X-Business-Use-Case-Usage")
    minutes: list[float] = []
    for entries in usage.values() if isinstance(usage, Mapping) else ():
        for entry in entries if isinstance(entries, list) else [entries]:
            value = entry.get("estimated_time_to_regain_access") if isinstance(entry, Mapping) else None
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
                minutes.append(float(value))
    return max(minutes) * 60 if minutes else None


def ad_account_wait(response: requests.Response) -> float | None:
    """Seconds by `X-Ad-Account-Usage`'s `reset_time_duration`, once the account's usage is at 100%."""
    usage = _header_json(response, "X-Ad-Account-Usage")
    if not isinstance(usage, Mapping):
        return None
    used, reset = usage.get("acc_id_util_pct"), usage.get("reset_time_duration")
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (used, reset)):
        return None
    return float(reset) if used >= 100 and reset > 0 else None
