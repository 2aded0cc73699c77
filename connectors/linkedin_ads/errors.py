"""How LinkedIn's Marketing API answers errors.

The body is Rest.li's error response: `{"status": 401, "serviceErrorCode": 65600, "code":
"INVALID_ACCESS_TOKEN", "message": "Invalid access token"}` (`serviceErrorCode` and `code` are not always
there). Documented meanings (LinkedIn API concepts: error handling, rate limits):
- 401: the token is missing, invalid, expired or revoked; 403: the token lacks a scope (r_ads,
  r_ads_reporting) or its member has no role on the ad account. Neither is retried: a static access
  token cannot be refreshed here.
- 429: throttled. Limits are per application and per member per UTC day, reset at midnight UTC; LinkedIn
  "may also return a 429 as part of infrastructure protection", which clears by itself. No wait hint is
  documented (a `Retry-After` would still be honoured): the client backs off exponentially. A message
  naming a DAY limit cannot clear before midnight UTC, so it is not waited out.
- 426 NONEXISTENT_VERSION / 400 VERSION_MISSING: the `LinkedIn-Version` header names no active version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.common.error_hooks import VendorErrors


class LinkedInErrors(VendorErrors):
    def summary(self, response: requests.Response, body: Any) -> str:
        if isinstance(body, Mapping) and ("message" in body or "code" in body):
            parts = [str(body[key]) for key in ("code", "message") if body.get(key)]
            if body.get("serviceErrorCode") is not None:
                parts.append(f"serviceErrorCode {body['serviceErrorCode']}")
            return "; ".join(parts)
        return super().summary(response, body)

    def refusal(self, status: int, body: Any) -> str | None:
        message = str(body.get("message") or "") if isinstance(body, Mapping) else ""
        if status == 429 and "DAY limit" in message:
            return (f"the daily API call limit is reached ({message}); LinkedIn resets it at midnight UTC, "
                    "so this run stops rather than wait")
        return None

    def auth_message(self, status: int, summary: str) -> str:
        hint = ("check that the access token is valid and not expired (SOURCES__LINKEDIN_ADS__CREDENTIALS__"
                "ACCESS_TOKEN)" if status == 401 else
                "check that the token has the r_ads and r_ads_reporting scopes and that its member has a role "
                "on every ad account in SOURCES__LINKEDIN_ADS__ACCOUNT_IDS")
        return f"LinkedIn refused the credentials (HTTP {status}): {summary}; {hint}"


def is_element_cap(status: int | None, message: str) -> bool:
    """A 400 saying the analytics query would return more elements than one response may carry."""
    return status == 400 and "too many" in message.lower()
