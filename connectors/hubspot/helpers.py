"""HubSpot CRM API calls: list paging, search paging under its 10,000-result ceiling, associations.

All HTTP goes through `VendorClient` (retries 429/5xx with backoff) with HubSpot's error hook: a 429
whose `policyName` is DAILY cannot clear for hours, so it fails at once instead of being retried.
Search requests are also spaced to respect the search API's own per-second limit.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.common import paging
from connectors.common.errors import VendorError
from connectors.common.http import RetryPolicy, StaticTokenAuth, VendorClient
from connectors.hubspot import settings
from connectors.hubspot.errors import HubspotErrors
from connectors.hubspot.settings import ASSOCIATION_BATCH_MAX, MODIFIED_PROPERTY, SOURCE
from connectors.hubspot.tables import parse_timestamp

Record = dict[str, Any]


class _Throttle:
    """Spaces calls at least 1/rate seconds apart (a thread-safe, minimal-interval limiter)."""

    def __init__(self, per_second: float):
        self._interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            time.sleep(delay)


def _next_after(body: Any) -> str | None:
    if not isinstance(body, Mapping):
        return None
    nxt = (body.get("paging") or {}).get("next") or {}
    after = nxt.get("after")
    return str(after) if after not in (None, "") else None


def _results(body: Any, what: str) -> list[Record]:
    results = body.get("results") if isinstance(body, Mapping) else None
    if not isinstance(results, list):
        raise VendorError(SOURCE, f"{what}: response has no 'results' list")
    return results


def _epoch_ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


class HubspotApi:
    def __init__(self, base_url: str, access_token: str, policy: RetryPolicy | None = None):
        self._client = VendorClient(SOURCE, base_url, StaticTokenAuth(access_token),
                                    policy=policy or settings.RETRY_POLICY, errors=HubspotErrors())
        self._search_gate = _Throttle(settings.SEARCH_REQUESTS_PER_SECOND)

    @property
    def requests_made(self) -> int:
        return self._client.requests_made

    def list_pages(self, object_type: str, properties: Sequence[str], limit: int,
                   associations: Sequence[str] = (), prefetch: bool = False) -> Iterator[list[Record]]:
        """Every record of a type, in pages, from the list endpoint (`paging.next.after` cursor).

        With `prefetch`, the next page is requested as soon as its cursor is known, while the
        caller decodes the current one: two calls in flight at most.
        """
        params: dict[str, Any] = {"limit": limit, "properties": ",".join(properties), "archived": "false"}
        if associations:
            params["associations"] = ",".join(associations)
        # Not `paging.next.link`: it drops the properties and associations the first request asked for.
        pages = paging.cursor_pages(self._client, f"/crm/v3/objects/{object_type}",
                                    lambda after: {"params": {**params, "after": after} if after else params},
                                    cursor=_next_after, ahead=prefetch)
        for body in pages:
            yield _results(body, f"list {object_type}")

    def search_modified_since(self, object_type: str, since: datetime, properties: Sequence[str],
                              limit: int) -> Iterator[list[Record]]:
        """Records modified at or after `since`, oldest first, in pages.

        One search query serves at most SEARCH_RESULT_CEILING results. Before paging past it the
        query restarts from the last modified time seen, skipping the records already read at
        exactly that time, so any number of changes can be read.
        """
        prop = MODIFIED_PROPERTY[object_type]
        lower = _epoch_ms(since)
        skip: set[str] = set()
        while True:
            served, last_ms, ids_at_last = 0, None, set()
            pages = paging.cursor_pages(self._client, f"/crm/v3/objects/{object_type}/search",
                                        self._search_request(prop, lower, properties, limit), cursor=_next_after,
                                        method="POST")
            for body in pages:
                results = _results(body, f"search {object_type}")
                served += len(results)
                for record in results:
                    rid = str(record.get("id"))
                    stamp = parse_timestamp(rid, prop, (record.get("properties") or {}).get(prop))
                    if stamp is None:
                        continue
                    ms = _epoch_ms(stamp)
                    if last_ms is None or ms > last_ms:
                        last_ms, ids_at_last = ms, {rid}
                    elif ms == last_ms:
                        ids_at_last.add(rid)
                fresh = [r for r in results if str(r.get("id")) not in skip]
                if fresh:
                    yield fresh
                if _next_after(body) is not None and served + limit > settings.SEARCH_RESULT_CEILING:
                    break
            else:
                return
            if last_ms is None or last_ms <= lower:
                raise VendorError(
                    SOURCE,
                    f"search {object_type}: more than {settings.SEARCH_RESULT_CEILING} records share the "
                    f"{prop} value {lower} ms; the search API cannot page past them. Run with full_refresh=True.",
                )
            lower, skip = last_ms, ids_at_last

    def _search_request(self, prop: str, lower: int, properties: Sequence[str], limit: int,
                        ) -> Callable[[str | None], dict[str, Any]]:
        """The search call's arguments for a cursor, records modified at or after `lower` (epoch ms)."""
        query: dict[str, Any] = {
            "filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": str(lower)}]}],
            "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": limit,
        }

        def request(after: str | None) -> dict[str, Any]:
            # Built right before each call is sent, so the throttle spaces the calls themselves.
            self._search_gate.wait()
            return {"json_body": {**query, "after": after} if after else query}

        return request

    def deal_contact_ids(self, deal_ids: Iterable[str]) -> dict[str, list[str]]:
        """Each deal's associated contact ids (v4 batch read, following per-deal paging)."""
        found: dict[str, list[str]] = {str(d): [] for d in deal_ids}
        pending: list[dict[str, str]] = [{"id": d} for d in found]
        while pending:
            batch, pending = pending[:ASSOCIATION_BATCH_MAX], pending[ASSOCIATION_BATCH_MAX:]
            body = self._client.request("POST", "/crm/v4/associations/deals/contacts/batch/read", json_body={"inputs": batch})
            for result in _results(body, "batch read deal associations"):
                from_id = str((result.get("from") or {}).get("id"))
                # toObjectId is a string in the published schema and a number on the wire.
                found.setdefault(from_id, []).extend(str(to["toObjectId"]) for to in result.get("to") or [])
                after = _next_after(result)
                if after:
                    pending.append({"id": from_id, "after": after})
            for error in body.get("errors") or []:
                if not _means_no_associations(error):
                    raise VendorError(SOURCE, f"batch read deal associations failed: "
                                              f"{error.get('category')}: {error.get('message')}")
        return found


def _means_no_associations(error: Mapping[str, Any]) -> bool:
    sub = str(error.get("subCategory") or "")
    return "NO_ASSOCIATIONS" in sub or error.get("category") == "OBJECT_NOT_FOUND"
