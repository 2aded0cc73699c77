"""Error hooks: what each vendor's error bodies mean, and how `VendorClient` acts on the hook's answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connectors.common.error_hooks import VendorErrors
from connectors.common.errors import AuthError, VendorError
from connectors.common.google_errors import GoogleErrors, parse_duration
from connectors.common.http import RetryPolicy, StaticTokenAuth, VendorClient
from connectors.google_ads.errors import GoogleAdsErrors
from connectors.hubspot.errors import HubspotErrors
from tests.connectors.canned import Canned, response


def google_ads_failure(status: int, name: str, group: str, code: str, message: str, **extra) -> dict:
    return {"error": {"code": status, "message": "Request contains an invalid argument.", "status": name,
                      "details": [{"@type": "type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure",
                                   "errors": [{"errorCode": {group: code}, "message": message, **extra}]}]}}


# --- the hooks on their own -------------------------------------------------------------------------
def test_default_hook_reads_common_shapes():
    hook = VendorErrors()
    oauth = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    assert hook.summary(response(400, oauth), oauth) == "invalid_grant; Token has been expired or revoked."
    nested = {"error": {"message": "quota", "code": 7}}
    assert hook.summary(response(429, nested), nested) == "quota"
    assert hook.summary(response(502, text="<html>bad gateway</html>"), None) == "<html>bad gateway</html>"
    assert hook.status(response(200, [{"error": {"code": 429}}]), [{"error": {"code": 429}}]) == 200
    assert hook.is_auth_failure(401, None) and hook.is_auth_failure(403, None)
    assert not hook.is_auth_failure(400, {"error": {"status": "PERMISSION_DENIED"}})
    assert hook.refusal(429, {"policyName": "DAILY"}) is None


def test_retry_after_as_seconds_or_http_date():
    hook = VendorErrors()
    assert hook.retry_after(response(429, {}, {"Retry-After": "7"}), {}) == 7.0
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= hook.retry_after(response(503, {}, {"Retry-After": when}), {}) <= 30
    assert hook.retry_after(response(429, {"retryDelay": "3s"}), {"retryDelay": "3s"}) is None
    assert hook.retry_after(response(429, {}, {"Retry-After": "soon"}), {}) is None


def test_google_hook_reads_status_names_and_retry_delay():
    hook = GoogleErrors()
    denied = {"error": {"code": 403, "message": "User does not have sufficient permissions", "status":
                        "PERMISSION_DENIED"}}
    assert hook.summary(response(403, denied), denied) == "PERMISSION_DENIED; User does not have sufficient permissions"
    # The status name decides even where the HTTP code alone would not.
    assert hook.is_auth_failure(400, {"error": {"status": "UNAUTHENTICATED"}})
    assert not hook.is_auth_failure(400, {"error": {"status": "INVALID_ARGUMENT"}})
    throttled = {"error": {"status": "RESOURCE_EXHAUSTED", "details": [{"retryDelay": "0.250s"}]}}
    assert hook.retry_after(response(429, throttled), throttled) == 0.25
    assert hook.retry_after(response(429, throttled, {"Retry-After": "2"}), throttled) == 2.0
    assert parse_duration({"seconds": 3, "nanos": 500_000_000}) == 3.5
    assert parse_duration("1.5") == 1.5 and parse_duration("later") is None and parse_duration(True) is None


def test_google_ads_hook_finds_the_error_inside_a_200_stream():
    hook = GoogleAdsErrors()
    failure = google_ads_failure(429, "RESOURCE_EXHAUSTED", "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED",
                                 "Too many requests.", details={"quotaErrorDetails": {"retryDelay": "1s"}})
    stream = [{"results": [{"campaign": {"id": "1"}}]}, failure]
    r = response(200, stream)
    assert hook.status(r, stream) == 429
    assert hook.summary(r, stream) == ("RESOURCE_EXHAUSTED; Request contains an invalid argument.; "
                                       "quotaError RESOURCE_TEMPORARILY_EXHAUSTED: Too many requests.")
    assert hook.retry_after(r, stream) == 1.0
    healthy = [{"results": []}, {"results": []}]
    assert hook.status(response(200, healthy), healthy) == 200
    # An element without a usable code is still a failure.
    assert hook.status(response(200, [{"error": "broken"}]), [{"error": "broken"}]) == 500
    unknown = google_ads_failure(403, "PERMISSION_DENIED", "authenticationError", "CUSTOMER_NOT_FOUND", "No customer")
    assert hook.is_auth_failure(200, [unknown])
    assert "authenticationError CUSTOMER_NOT_FOUND: No customer" in hook.summary(response(403, unknown), unknown)


def test_hubspot_hook_refuses_only_the_daily_limit():
    hook = HubspotErrors()
    daily = {"status": "error", "message": "You have reached your daily limit.", "policyName": "DAILY",
             "category": "RATE_LIMITS"}
    assert "resets at midnight" in hook.refusal(429, daily)
    assert hook.refusal(429, {**daily, "policyName": "TEN_SECONDLY_ROLLING"}) is None
    assert hook.refusal(500, daily) is None
    assert hook.summary(response(429, daily), daily) == "RATE_LIMITS; policy DAILY; You have reached your daily limit."
    assert hook.auth_message(401, "INVALID_AUTHENTICATION").startswith("HubSpot rejected the private app access token")


# --- the client acting on them ------------------------------------------------------------------------
class Refreshable(StaticTokenAuth):
    def __init__(self, token: str):
        super().__init__(token)
        self.refreshes = 0

    def refresh(self) -> bool:
        self.refreshes += 1
        return True


def client(adapter: Canned, errors=None, auth=None, **policy) -> tuple[VendorClient, list[float]]:
    waits: list[float] = []
    return VendorClient("vendor", "https://api.example.com", auth=auth, session=adapter.session(),
                        sleep=waits.append, errors=errors, policy=RetryPolicy(backoff_base=0.01, **policy)), waits


def test_an_error_inside_a_200_stream_is_retried_with_the_hook_only():
    failure = google_ads_failure(429, "RESOURCE_EXHAUSTED", "quotaError", "RESOURCE_TEMPORARILY_EXHAUSTED",
                                 "Slow down", details={"quotaErrorDetails": {"retryDelay": "0.050s"}})
    good = [{"results": [{"campaign": {"id": "1"}}]}]
    http, waits = client(Canned(response(200, [failure]), response(200, good)), GoogleAdsErrors())
    assert http.post("stream") == good
    assert waits == [0.05] and http.requests_made == 2
    # The vendor-neutral default takes the 200 at its word.
    plain, _ = client(Canned(response(200, [failure])))
    assert plain.post("stream") == [failure]


def test_a_refused_error_is_not_retried():
    daily = {"status": "error", "message": "daily", "policyName": "DAILY"}
    adapter = Canned(response(429, daily), response(200, {}))
    http, waits = client(adapter, HubspotErrors())
    with pytest.raises(VendorError) as info:
        http.get("crm")
    assert info.value.status == 429 and "DAILY" in str(info.value)
    assert len(adapter.sent) == 1 and waits == []


def test_a_hint_longer_than_allowed_fails_at_once():
    adapter = Canned(response(429, {}, {"Retry-After": "900"}))
    http, waits = client(adapter, max_hinted_wait=60)
    with pytest.raises(VendorError, match="vendor asks to wait 900s, more than the 60s allowed"):
        http.get("x")
    assert waits == []


def test_retryable_statuses_back_off_with_jitter_then_give_up():
    adapter = Canned(*(response(503, {"message": "down"}) for _ in range(3)))
    http, waits = client(adapter, max_attempts=3)
    with pytest.raises(VendorError, match=r"HTTP 503\): down \(gave up after 3 attempts\)"):
        http.get("x")
    assert len(waits) == 2 and all(0 <= w <= 0.01 * 2 ** i for i, w in enumerate(waits))


def test_a_401_refreshes_once_and_an_auth_failure_is_never_retried():
    auth = Refreshable("tok-123")
    adapter = Canned(response(401, {}), response(200, {"ok": True}))
    http, _ = client(adapter, auth=auth)
    assert http.get("x") == {"ok": True} and auth.refreshes == 1

    auth = Refreshable("tok-123")
    adapter = Canned(response(401, {}), response(401, {}), response(200, {}))
    http, _ = client(adapter, auth=auth)
    with pytest.raises(AuthError):
        http.get("x")
    assert auth.refreshes == 1 and len(adapter.sent) == 2

    denied = {"error": {"status": "PERMISSION_DENIED", "message": "no"}}
    adapter = Canned(response(400, denied), response(200, {}))
    http, _ = client(adapter, GoogleErrors(), auth=Refreshable("tok-123"))
    with pytest.raises(AuthError, match="PERMISSION_DENIED"):
        http.get("x")
    assert len(adapter.sent) == 1


def test_secrets_are_scrubbed_from_every_message():
    echo = {"error": {"message": "token tok-SECRET-1 is not valid here", "status": "INVALID_ARGUMENT"}}
    for status, kind in ((400, VendorError), (401, AuthError)):
        http, _ = client(Canned(response(status, echo)), GoogleErrors(), auth=StaticTokenAuth("tok-SECRET-1"))
        with pytest.raises(kind) as info:
            http.get("x")
        assert "tok-SECRET-1" not in str(info.value) and "token *** is not valid" in str(info.value)
