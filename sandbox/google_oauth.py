"""Fake of Google's OAuth 2.0 token endpoint (refresh-token grant), shared by Ads and GA4.

Not a source: the fakes of the Google sources require it. It holds the OAuth client both of them
use, sandbox-only values published on purpose, and the access tokens it has issued.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sandbox.core import Fake, Request, Response, SandboxState

VENDOR = "google_oauth"
TOKEN_PATH = "/token"
CLIENT_ID = "sandbox-client.apps.googleusercontent.com"
CLIENT_SECRET = "sandbox-client-secret"
REFRESH_TOKEN = "1//sandbox-refresh-token"
# A Google source's settings that hold the OAuth client, by their keys in the source's spec.
CLIENT_SETTINGS = {
    "credentials.client_id": CLIENT_ID,
    "credentials.client_secret": CLIENT_SECRET,
    "credentials.refresh_token": REFRESH_TOKEN,
}


def token_url(sandbox_url: str) -> str:
    return sandbox_url + TOKEN_PATH


@dataclass
class OAuthState:
    """The access tokens issued and not revoked."""

    tokens: set[str] = field(default_factory=set)
    issued: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        with self.lock:
            self.issued += 1
            token = f"ya29.sandbox-access-{self.issued:06d}"
            self.tokens.add(token)
            return token

    def revoke(self, token: str) -> None:
        with self.lock:
            self.tokens.discard(token)

    def valid(self, token: str) -> bool:
        with self.lock:
            return token in self.tokens


def _tokens(state: SandboxState) -> OAuthState:
    return state.vendor(VENDOR)


def token(req: Request, state: SandboxState) -> Response:
    if req.fault == "unavailable":
        return Response(503, {"error": "temporarily_unavailable", "error_description": "Service unavailable."})
    form = req.form()
    if form.get("grant_type") != "refresh_token":
        return Response(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
    if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
        return Response(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
    if req.fault == "invalid_grant" or form.get("refresh_token") != REFRESH_TOKEN:
        return Response(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    return Response(200, {
        "access_token": _tokens(state).issue(),
        "expires_in": 3599,
        "scope": "https://www.googleapis.com/auth/adwords https://www.googleapis.com/auth/analytics.readonly",
        "token_type": "Bearer",
    })


def check_bearer(req: Request, state: SandboxState) -> Response | None:
    """Google's 401 for a missing, unknown or (on the `expired_token` fault) expired access token."""
    token_value = req.bearer()
    tokens = _tokens(state)
    if req.fault == "expired_token" and token_value:
        tokens.revoke(token_value)
    if not token_value or not tokens.valid(token_value):
        return Response(401, {"error": {
            "code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                       "cookie or other valid authentication credential. See "
                       "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "status": "UNAUTHENTICATED",
        }})
    return None


FAKE = Fake(
    vendor=VENDOR,
    routes=(("POST", TOKEN_PATH, token),),
    retryable=("unavailable",),
    state=OAuthState,
)
