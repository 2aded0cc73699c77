"""Salesforce's OAuth 2.0 refresh-token flow: a session (access token) and the org's instance URL.

`POST {login host}/services/oauth2/token` with grant_type=refresh_token, refresh_token, client_id and
client_secret answers the access token and `instance_url`, the host every data call goes to. The
answer carries no lifetime: a session lasts until Salesforce says otherwise (401
INVALID_SESSION_ID), and then this flow runs again. A refused grant cannot be fixed by retrying, so
it fails at once, naming the setting to check and never its value.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.common.errors import ConfigurationError, VendorError
from connectors.common.http import RetryPolicy, VendorClient
from connectors.salesforce.settings import SOURCE, TOKEN_PATH

# The setting each OAuth error points at.
_SETTING_AT_FAULT = {
    "invalid_client_id": "credentials.client_id",
    "invalid_client": "credentials.client_secret",
    "unauthorized_client": "credentials.client_id",
    "invalid_grant": "credentials.refresh_token",
}


class SalesforceOAuth:
    """The `Auth` of the data client: exchanges the refresh token on first use and after a 401."""

    def __init__(self, login_url: str, client_id: str, client_secret: str, refresh_token: str,
                 extra_headers: Mapping[str, str] | None = None, policy: RetryPolicy | None = None):
        self._login_url = login_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._extra = dict(extra_headers or {})
        self._token: str | None = None
        self._instance_url: str | None = None
        self._lock = threading.RLock()
        self._sent = threading.local()  # the token this thread last sent
        self.exchanges = 0
        self._http = VendorClient(SOURCE, login_url + TOKEN_PATH, auth=None, policy=policy)
        self._http.auth = _SecretsOnly(self)

    def _exchange(self) -> None:
        try:
            body = self._http.post("", data={
                "grant_type": "refresh_token",
                "refresh_token": self._refresh_token,
                "client_id": self._client_id,
                "client_secret": self._client_secret,
            }, authenticated=False)
        except VendorError as exc:
            if exc.status in (400, 401, 403):
                raise _refused(exc, self._login_url) from None
            raise
        token = body.get("access_token") if isinstance(body, Mapping) else None
        instance = body.get("instance_url") if isinstance(body, Mapping) else None
        if not token or not isinstance(instance, str) or not instance.startswith(("https://", "http://")):
            raise VendorError(SOURCE, "the token endpoint answered without an access_token and instance_url")
        # Data calls stay on the first instance: its query locators live there.
        if self._instance_url is not None and instance.rstrip("/") != self._instance_url:
            raise VendorError(SOURCE, "the org moved to another instance during the run; run again")
        self._token, self._instance_url = token, instance.rstrip("/")
        self.exchanges += 1

    def instance_url(self) -> str:
        with self._lock:
            if self._token is None:
                self._exchange()
            assert self._instance_url is not None
            return self._instance_url

    def headers(self) -> Mapping[str, str]:
        # Prefetch threads share this auth: one of them exchanges, the others wait for its token.
        with self._lock:
            if self._token is None:
                self._exchange()
            token = self._token
        self._sent.token = token
        return {"Authorization": f"Bearer {token}", **self._extra}

    def refresh(self) -> bool:
        # Requests in flight together all fail with the same expired session: only the first drops
        # it, so one exchange serves them all.
        with self._lock:
            if self._token == getattr(self._sent, "token", self._token):
                self._token = None
        return True

    def secrets(self) -> Iterable[str]:
        return [s for s in (self._token, self._client_secret, self._refresh_token, self._client_id) if s]


class _SecretsOnly:
    """Lets the token client scrub secrets from error bodies without sending any auth header."""

    def __init__(self, oauth: SalesforceOAuth):
        self._oauth = oauth

    def headers(self) -> Mapping[str, str]:
        return {}

    def refresh(self) -> bool:
        return False

    def secrets(self) -> Iterable[str]:
        return self._oauth.secrets()


def _refused(exc: VendorError, login_url: str) -> ConfigurationError:
    """The refusal as a configuration error naming the setting at fault and the OAuth error."""
    text = str(exc)
    reason = text.rsplit("): ", 1)[-1] if "): " in text else text
    code: Any = reason.split(";", 1)[0].strip()
    key = _SETTING_AT_FAULT.get(code, "credentials.refresh_token")
    return ConfigurationError(SOURCE, key, f"was refused by the token endpoint {login_url}{TOKEN_PATH} "
                                           f"(HTTP {exc.status}: {reason}). Check the connected app's consumer "
                                           "key and secret and the refresh token, and that base_url is the org's "
                                           "login host (https://test.salesforce.com for a sandbox org)")
