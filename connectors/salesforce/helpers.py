"""Salesforce REST calls: SOQL through queryAll with its query locators, describe, the org's currency.

Every data call goes to the instance the token endpoint named, through `VendorClient` (bounded
retries of 5xx; one new session after a 401 INVALID_SESSION_ID, then the same request again, so a
batch is neither lost nor read twice) with Salesforce's error hook.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from connectors.common import paging
from connectors.common.errors import AuthError, SourceError, VendorError
from connectors.common.http import RetryPolicy, VendorClient
from connectors.salesforce import settings
from connectors.salesforce.auth import SalesforceOAuth
from connectors.salesforce.errors import SalesforceErrors
from connectors.salesforce.settings import MODSTAMP, SOURCE

log = logging.getLogger("funnelhouse.connectors.salesforce")

Record = dict[str, Any]


def soql_datetime(value: datetime) -> str:
    """A SOQL dateTime literal (unquoted, UTC), down to the second: the documented format has none finer."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def changed_since_soql(object_name: str, fields: Sequence[str], since: datetime | None) -> str:
    """Every record of the object modified at or after `since` (floored to the second), oldest first."""
    where = f" WHERE {MODSTAMP} >= {soql_datetime(since)}" if since is not None else ""
    return f"SELECT {', '.join(fields)} FROM {object_name}{where} ORDER BY {MODSTAMP}"


def _next_records(body: Any) -> str | None:
    if not isinstance(body, Mapping) or body.get("done", True):
        return None
    link = body.get("nextRecordsUrl")
    if not link:
        raise VendorError(SOURCE, "a query answered done=false without a nextRecordsUrl")
    return str(link)


def _records(body: Any) -> list[Record]:
    records = body.get("records") if isinstance(body, Mapping) else None
    if not isinstance(records, list):
        raise VendorError(SOURCE, "a query answer has no 'records' list")
    return records


def about(object_name: str, exc: SourceError) -> SourceError:
    """The error again, naming the object it happened on."""
    detail = str(exc).removeprefix(f"{SOURCE}: ")
    if isinstance(exc, AuthError):
        return AuthError(SOURCE, f"{object_name}: {detail}")
    if isinstance(exc, VendorError):
        return VendorError(SOURCE, f"{object_name}: {detail}", exc.status, exc.retryable)
    return exc


class SalesforceApi:
    """One org's REST API. Nothing is requested until the first call."""

    def __init__(self, login_url: str, api_version: str, client_id: str, client_secret: str, refresh_token: str,
                 batch_size: int = settings.MAX_BATCH_SIZE, policy: RetryPolicy | None = None):
        self.api_version = api_version
        self._policy = policy or settings.RETRY_POLICY
        headers = {"Sforce-Query-Options": f"batchSize={batch_size}"}
        self.oauth = SalesforceOAuth(login_url, client_id, client_secret, refresh_token, headers, self._policy)
        self.errors = SalesforceErrors()
        self._client: VendorClient | None = None
        self._lock = threading.Lock()
        self._currency: str | None = None

    @property
    def client(self) -> VendorClient:
        with self._lock:
            if self._client is None:
                self._client = VendorClient(SOURCE, self.oauth.instance_url(), self.oauth, self._policy,
                                            errors=self.errors)
            return self._client

    @property
    def data_path(self) -> str:
        return f"/services/data/v{self.api_version}"

    def query_pages(self, soql: str, include_deleted: bool = True, ahead: bool = True) -> Iterator[list[Record]]:
        """The records of a query, a batch at a time, following `nextRecordsUrl` until `done`.

        `queryAll` also returns deleted and archived records (`IsDeleted = true`). With `ahead`, the
        next batch is requested while the current one is decoded.
        """
        resource = "queryAll" if include_deleted else "query"
        bodies = paging.next_url_pages(self.client, f"{self.data_path}/{resource}", params={"q": soql},
                                       next_url=_next_records, ahead=ahead)
        served, total = 0, None
        for body in bodies:
            records = _records(body)
            served += len(records)
            total = body.get("totalSize", total)
            yield records
        if isinstance(total, int) and served != total:
            log.warning("%s: a query served %d records of the %d it announced", SOURCE, served, total)

    def field_names(self, object_name: str) -> set[str]:
        """The fields the org has on an object (describe)."""
        body = self.client.get(f"{self.data_path}/sobjects/{object_name}/describe")
        fields = body.get("fields") if isinstance(body, Mapping) else None
        if not isinstance(fields, list):
            raise VendorError(SOURCE, f"describe {object_name}: the answer has no 'fields' list")
        return {str(f.get("name")) for f in fields if isinstance(f, Mapping)}

    def org_currency(self) -> str:
        """The org's default currency, read once (`SELECT DefaultCurrencyIsoCode FROM Organization`)."""
        if self._currency is None:
            records = [r for page in self.query_pages("SELECT DefaultCurrencyIsoCode FROM Organization",
                                                      include_deleted=False, ahead=False) for r in page]
            code = records[0].get("DefaultCurrencyIsoCode") if records else None
            if not isinstance(code, str) or not code:
                raise VendorError(SOURCE, "Organization: no DefaultCurrencyIsoCode")
            self._currency = code
        return self._currency

    def usage(self) -> str:
        usage = self.errors.usage
        return f"{usage[0]} of {usage[1]}" if usage else "unknown"
