"""How HubSpot answers errors: `{"status": "error", "message", "category", "correlationId"}`, and on
a 429 the rate `policyName` that was hit (TEN_SECONDLY_ROLLING, SECONDLY, DAILY)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.common.error_hooks import VendorErrors

# What a rejected token most often means, for the AuthError.
TOKEN_ADVICE = ("HubSpot rejected the private app access token (setting 'credentials.access_token'; it also "
                "needs the crm.objects.contacts.read and crm.objects.deals.read scopes)")
DAILY_LIMIT = ("the account's DAILY API request limit is used up (HTTP 429, policy DAILY). It resets at midnight "
               "in the HubSpot account's time zone, so retrying now cannot succeed: run again after the reset "
               "or raise the account's limit.")


class HubspotErrors(VendorErrors):
    def summary(self, response: requests.Response, body: Any) -> str:
        if not isinstance(body, Mapping):
            return super().summary(response, body)
        parts = [str(body["category"])] if body.get("category") else []
        if body.get("policyName"):
            parts.append(f"policy {body['policyName']}")
        if body.get("message"):
            parts.append(str(body["message"]))
        return "; ".join(parts) or super().summary(response, body)

    def refusal(self, status: int, body: Any) -> str | None:
        # The other policies clear within seconds; the daily one only after midnight.
        if status == 429 and isinstance(body, Mapping) and str(body.get("policyName", "")).upper() == "DAILY":
            return DAILY_LIMIT
        return None

    def auth_message(self, status: int, summary: str) -> str:
        return f"{TOKEN_ADVICE}: {super().auth_message(status, summary)}"
