"""HTTP for connectors: bounded retries with exponential backoff and jitter, vendor hints honoured.

Retried: 408, 429, 5xx, connection errors and timeouts. Waits follow the vendor's hint when it
sends one (`Retry-After`, or what the source's error hook finds in the body), else exponential
backoff with full jitter; a hint longer than the policy allows fails at once, saying so.
Not retried: auth failures (an `AuthError`, after one token refresh on a 401 where the auth can
refresh), other 4xx, and what the error hook refuses. What an error body means is the source's
`ErrorHook` (see `error_hooks`); nothing here knows a vendor. No message built here ever contains a
credential: the auth headers are never formatted, and any secret the auth knows is scrubbed from
vendor bodies quoted in errors.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from connectors.common.error_hooks import ErrorHook, VendorErrors
from connectors.common.errors import AuthError, VendorError

log = logging.getLogger("funnelhouse.connectors")

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


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
    """A bearer token that cannot be refreshed (API keys, private-app tokens)."""

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
        errors: ErrorHook | None = None,
    ):
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.errors: ErrorHook = errors or VendorErrors()
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
        raw: bool = False,
    ) -> Any:
        """Send one request with retries; return the decoded JSON body, or with `raw` the body's bytes
        as sent (a file: a zip, XML, CSV). Error bodies are read the same either way."""
        url = self.url(path)
        refreshed = False

        def attempt() -> Any:
            nonlocal refreshed
            headers = {"Accept": "*/*" if raw else "application/json"}
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
            # A file is not decoded: the JSON parsers would only fail on it (and guess its charset first).
            body = None if raw and response.status_code < 400 else decode_body(response)
            status = self.errors.status(response, body)
            if status < 400:
                return response.content if raw else body
            summary = self._scrub(self.errors.summary(response, body))
            if self.errors.is_auth_failure(status, body):
                if status == 401 and authenticated and not refreshed and self.auth and self.auth.refresh():
                    refreshed = True
                    raise _Retryable(VendorError(self.source, "access token expired", status, True), 0.0)
                raise AuthError(self.source, self._scrub(self.errors.auth_message(status, summary)))
            refusal = self.errors.refusal(status, body)
            if refusal:
                raise VendorError(self.source, self._scrub(refusal), status)
            error = VendorError(self.source, f"{method} {url} failed (HTTP {status}): {summary}", status)
            if status in RETRYABLE_STATUS:
                error.retryable = True
                wait = self.errors.retry_after(response, body)
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
