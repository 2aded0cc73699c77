"""Downloading the ECB's files through the project's HTTP client.

The files are static downloads from www.ecb.europa.eu, with no authentication and no documented
rate limits or error bodies: a 5xx or 429 (from the site or its CDN, or a mirror) is retried with
backoff, honouring `Retry-After`; a 404 means `base_url` does not point at the ECB's root or a mirror
of its `/stats/eurofxref/` files, and fails at once saying so.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from connectors.common.error_hooks import VendorErrors
from connectors.common.errors import VendorError
from connectors.common.http import RetryPolicy, VendorClient
from connectors.fx_rates.settings import FILES_PATH, SOURCE

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


class EcbErrors(VendorErrors):
    """Error answers are web pages (HTML), not JSON: the status and the page's text, tags stripped."""

    def summary(self, response: requests.Response, body: Any) -> str:
        text = _SPACE.sub(" ", _TAG.sub(" ", response.text or "")).strip()
        reason = f"{response.status_code} {response.reason or ''}".strip()
        return f"{reason}: {text[:200]}" if text else reason

    def is_auth_failure(self, status: int, body: Any) -> bool:
        # Public files: a 401/403 is a proxy or mirror refusing us, reported as any other error.
        return False


class EcbFiles:
    """The ECB's reference-rate files under `<base_url>/stats/eurofxref/`."""

    def __init__(self, base_url: str, policy: RetryPolicy | None = None):
        self.base_url = base_url.rstrip("/")
        self.client = VendorClient(SOURCE, self.base_url, policy=policy, errors=EcbErrors())

    def url(self, name: str) -> str:
        return self.client.url(f"{FILES_PATH}/{name}")

    def download(self, name: str) -> bytes:
        """The file's bytes as served, after retries of the answers worth retrying."""
        url = self.url(name)
        try:
            content = self.client.get(url, raw=True)
        except VendorError as exc:
            if exc.status == 404:
                raise VendorError(SOURCE, f"{name} not found at {url} (HTTP 404): base_url (SOURCES__FX_RATES__"
                                          f"BASE_URL) must be the ECB's root or a mirror serving {FILES_PATH}/",
                                  404) from None
            raise
        return content
