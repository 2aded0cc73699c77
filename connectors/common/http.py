"""HTTP for connectors: bounded retries with exponential backoff and jitter, vendor hints honoured.

Retried: 429, 5xx, connection errors and timeouts. Waits follow `Retry-After` or Google's
`retryDelay` when the vendor sends one, else exponential backoff with full jitter.
Not retried: 401/403 (an `AuthError`, after one token refresh where the auth can refresh) and
other 4xx. No message built here ever contains a credential: the auth headers are never
formatted, and any secret the auth knows is scrubbed from vendor bodies quoted in errors.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from connectors.common.errors import AuthError, VendorError

log = logging.getLogger("funnelhouse.connectors")

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    # A vendor hint longer than this is not waited out: we give up and say so.
    max_hinted_wait: float = 300.0
    connect_timeout: float = 10.0
    read_timeout: float = 120.0


class Auth(Protocol):
    def headers(self) -> Mapping[str, str]: ...

    def refresh(self) -> bool:
        """Get fresh credentials after a 401. False when there is nothing to refresh."""
        ...

    def secrets(self) -> Iterable[str]: ...


class StaticTokenAuth:
    """A bearer token that cannot be refreshed (HubSpot private-app tokens)."""

    def __init__(self, token: str, extra_headers: Mapping[str, str] | None = None):
        self._token = token
        self._extra = dict(extra_headers or {})

    def headers(self) -> Mapping[str, str]:
        return {"Authorization": f"Bearer {self._token}", **self._extra}

    def refresh(self) -> bool:
        return False

    def secrets(self) -> Iterable[str]:
        return [self._token]


class _Retryable(Exception):
    def __init__(self, error: VendorError, hinted_wait: float | None):
        self.error = error
        self.hinted_wait = hinted_wait
        super().__init__(str(error))


def parse_duration(value: Any) -> float | None:
    """Google's JSON Duration ("3s", "0.500s") or a plain number of seconds."""
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


def decode_body(response: requests.Response) -> Any:
    # orjson parses the bytes several times faster; what it refuses (NaN, ints beyond 64 bits,
    # other encodings) still gets the lenient standard parser.
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        pass
    try:
        return response.json()
    except ValueError:
        return None


def hinted_wait(response: requests.Response, body: Any) -> float | None:
    header = response.headers.get("Retry-After")
    if header:
        seconds = parse_duration(header)
        if seconds is not None:
            return seconds
    delay = find_key(body, "retryDelay")
    return parse_duration(delay) if delay is not None else None


def describe_error(body: Any, response: requests.Response) -> str:
    """A short, vendor-neutral summary of an error body: status name, message, policy."""
    if isinstance(body, list):
        body = next((item for item in body if isinstance(item, Mapping) and "error" in item), body)
    parts: list[str] = []
    if isinstance(body, Mapping):
        err = body.get("error", body)
        if isinstance(err, Mapping):
            for key in ("status", "category", "policyName", "message"):
                if err.get(key):
                    parts.append(str(err[key]))
            parts.extend(_google_ads_failures(err.get("details")))
            if isinstance(body.get("error"), str):
                parts.append(str(body["error"]))
                if body.get("error_description"):
                    parts.append(str(body["error_description"]))
        elif isinstance(err, str):
            parts.append(err)
            if body.get("error_description"):
                parts.append(str(body["error_description"]))
        if body.get("policyName") and str(body["policyName"]) not in parts:
            parts.append(f"policy {body['policyName']}")
    if not parts:
        text = response.text[:300] if response.text else ""
        parts.append(text or response.reason or "no body")
    return "; ".join(parts)


def _google_ads_failures(details: Any) -> list[str]:
    """Google Ads puts the real reason (`queryError: UNRECOGNIZED_FIELD`, ...) in a GoogleAdsFailure
    detail; the top-level message only says "Request contains an invalid argument."."""
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


class VendorClient:
    """One vendor's HTTP session. Paths are joined to `base_url`; absolute URLs pass through."""

    def __init__(
        self,
        source: str,
        base_url: str,
        auth: Auth | None = None,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.policy = policy or RetryPolicy()
        self.session = session or requests.Session()
        self._sleep = sleep
        self.requests_made = 0
        self.retries = 0
        # Prefetching calls `request` from several threads; the counters must not lose counts.
        self._count_lock = threading.Lock()

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        # An empty path is the base URL itself (an OAuth token endpoint): no trailing slash.
        if not path:
            return self.base_url
        return f"{self.base_url}/{path.lstrip('/')}"

    def _scrub(self, text: str) -> str:
        if self.auth is not None:
            for secret in self.auth.secrets():
                if secret:
                    text = text.replace(secret, "***")
        return text

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hint = exc.hinted_wait if isinstance(exc, _Retryable) else None
        if hint is not None:
            return hint
        ceiling = min(self.policy.backoff_max, self.policy.backoff_base * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)

    def _before_sleep(self, state: RetryCallState) -> None:
        with self._count_lock:
            self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("%s: retrying in %.2fs after: %s", self.source, wait, exc)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        data: Mapping[str, Any] | None = None,
        authenticated: bool = True,
    ) -> Any:
        """Send one request with retries; return the decoded JSON body."""
        url = self.url(path)
        refreshed = False

        def attempt() -> Any:
            nonlocal refreshed
            headers = {"Accept": "application/json"}
            if authenticated and self.auth is not None:
                headers.update(self.auth.headers())
            with self._count_lock:
                self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json_body,
                    data=data,
                    headers=headers,
                    timeout=(self.policy.connect_timeout, self.policy.read_timeout),
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                raise _Retryable(
                    VendorError(self.source, f"{method} {url} {kind}", retryable=True), None
                ) from None
            body = decode_body(response)
            if response.status_code < 400 and not _is_error_stream(body):
                return body
            summary = self._scrub(describe_error(body, response))
            status = response.status_code
            if _is_error_stream(body) and status < 400:
                status = int(find_key(body, "code") or 500)
            if status in (401, 403) or _is_auth_failure(body):
                if status == 401 and authenticated and not refreshed and self.auth and self.auth.refresh():
                    refreshed = True
                    raise _Retryable(VendorError(self.source, "access token expired", status, True), 0.0)
                raise AuthError(self.source, f"authentication failed (HTTP {status}): {summary}")
            error = VendorError(self.source, f"{method} {url} failed (HTTP {status}): {summary}", status)
            if status in RETRYABLE_STATUS:
                error.retryable = True
                wait = hinted_wait(response, body)
                if wait is not None and wait > self.policy.max_hinted_wait:
                    raise VendorError(
                        self.source,
                        f"{method} {url}: vendor asks to wait {wait:.0f}s, more than the "
                        f"{self.policy.max_hinted_wait:.0f}s allowed: {summary}",
                        status,
                    )
                raise _Retryable(error, wait)
            raise error

        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(lambda exc: isinstance(exc, _Retryable)),
            before_sleep=self._before_sleep,
            sleep=self._sleep or _default_sleep,
            reraise=True,
        )
        try:
            return retrying(attempt)
        except _Retryable as exc:
            exc.error.args = (f"{exc.error} (gave up after {self.policy.max_attempts} attempts)",)
            raise exc.error from None

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.request("POST", path, **kwargs)


def _default_sleep(seconds: float) -> None:
    import time

    time.sleep(seconds)


def _is_error_stream(body: Any) -> bool:
    """Google's streaming methods can answer 200 with the error as an element of the JSON array."""
    return isinstance(body, list) and any(isinstance(item, Mapping) and "error" in item for item in body)


def _is_auth_failure(body: Any) -> bool:
    status = find_key(body, "status")
    return status in ("UNAUTHENTICATED", "PERMISSION_DENIED")

