"""Fake of Google's OAuth 2.0 token endpoint (refresh-token grant), shared by Ads and GA4."""

from __future__ import annotations

from sandbox import credentials as c
from sandbox.server import Request, Response, SandboxState

VENDOR = "google_oauth"


def token(req: Request, state: SandboxState) -> Response:
    if req.fault == "unavailable":
        return Response(503, {"error": "temporarily_unavailable", "error_description": "Service unavailable."})
    form = req.form()
    if form.get("grant_type") != "refresh_token":
        return Response(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
    if form.get("client_id") != c.GOOGLE_CLIENT_ID or form.get("client_secret") != c.GOOGLE_CLIENT_SECRET:
        return Response(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
    if req.fault == "invalid_grant" or form.get("refresh_token") != c.GOOGLE_REFRESH_TOKEN:
        return Response(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    return Response(200, {
        "access_token": state.issue_google_token(),
        "expires_in": 3599,
        "scope": "https://www.googleapis.com/auth/adwords https://www.googleapis.com/auth/analytics.readonly",
        "token_type": "Bearer",
    })


def check_bearer(req: Request, state: SandboxState) -> Response | None:
    """Google's 401 for a missing, unknown or (on the `expired_token` fault) expired access token."""
    token_value = req.bearer()
    if req.fault == "expired_token" and token_value:
        state.revoke_google_token(token_value)
    if not token_value or token_value not in state.google_tokens:
        return Response(401, {"error": {
            "code": 401,
            "message": "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
                       "cookie or other valid authentication credential. See "
                       "https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "status": "UNAUTHENTICATED",
        }})
    return None


ROUTES = [("POST", r"/token", token)]
