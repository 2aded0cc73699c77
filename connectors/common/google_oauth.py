"""Google's OAuth 2.0 refresh-token grant, shared by Google Ads and GA4.

The token endpoint answers errors as `{"error": "invalid_grant", "error_description": ...}`.
An invalid or revoked refresh token is an `AuthError`; 5xx and 429 are retried like any call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping

from connectors.common.errors import AuthError, VendorError
from connectors.common.google_errors import GoogleErrors
from connectors.common.http import RetryPolicy, VendorClient

DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"


class GoogleOAuth:
    """Exchanges the refresh token for an access token, and again when Google says it expired."""

    def __init__(
        self,
        source: str,
        token_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        extra_headers: Mapping[str, str] | None = None,
        policy: RetryPolicy | None = None,
    ):
        self.source = source
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._extra = dict(extra_headers or {})
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = threading.RLock()
        self._sent = threading.local()  # the token this thread last sent
        self._http = VendorClient(source, token_url, auth=None, policy=policy, errors=GoogleErrors())
        self._http.auth = _SecretsOnly(self)

    def _exchange(self) -> None:
        try:
            body = self._http.post(
                "",
                data={
                    "grant_type": "refresh_token",
                    "client_id": self._client_id,
                    "client_secret": self._client_secret,
                    "refresh_token": self._refresh_token,
                },
                authenticated=False,
            )
        except VendorError as exc:
            if exc.status in (400, 401):
                raise AuthError(self.source, f"OAuth token exchange rejected: {_reason(exc)}") from None
            raise
        token = body.get("access_token") if isinstance(body, Mapping) else None
        if not token:
            raise AuthError(self.source, "OAuth token endpoint answered without an access_token")
        self._token = token
        self._expires_at = time.monotonic() + float(body.get("expires_in", 3600)) - 60

    def headers(self) -> Mapping[str, str]:
        # Prefetch threads share this auth: one of them exchanges, the others wait for its token.
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at:
                self._exchange()
            token = self._token
        self._sent.token = token
        return {"Authorization": f"Bearer {token}", **self._extra}

    def refresh(self) -> bool:
        # Requests in flight together all fail with the same expired token: only the first
        # invalidates it, so one exchange serves them all.
        with self._lock:
            if self._token == getattr(self._sent, "token", self._token):
                self._token = None
        return True

    def secrets(self) -> Iterable[str]:
        return [s for s in (self._token, self._client_secret, self._refresh_token, self._extra.get("developer-token")) if s]


class _SecretsOnly:
    """Lets the token client scrub secrets from error bodies without sending any auth header."""

    def __init__(self, oauth: GoogleOAuth):
        self._oauth = oauth

    def headers(self) -> Mapping[str, str]:
        return {}

    def refresh(self) -> bool:
        return False

    def secrets(self) -> Iterable[str]:
        return self._oauth.secrets()


def _reason(exc: VendorError) -> str:
    text = str(exc)
    return text.split(": ", 2)[-1] if ": " in text else text
