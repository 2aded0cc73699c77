"""Paginators: plain generators over a `VendorClient`, one per way a vendor pages its answers.

- `offset_pages`: offset/limit until the total the vendor reports (GA4 `runReport`: `rowCount`).
- `cursor_pages`: a cursor read from each body and sent back (HubSpot lists: `paging.next.after`),
  optionally fetching the next page while the caller decodes the current one.
- `next_url_pages`: follow a URL found in the body (HubSpot `paging.next.link`, Meta `paging.next`,
  Salesforce `nextRecordsUrl`).
- `stream_batches`: one response that is a JSON array of batches (Google Ads `searchStream`).

They yield response bodies, never records: connectors build Arrow tables from whole pages.

Why not dlt's `rest_api`/`RESTClient`: its paginators hand back pages as lists of Python dicts
picked out with JSONPath from `response.json()`, while we decode each page whole (orjson) into
Arrow, which the benchmark measured at 40x dict rows through dlt; and its retries honour only
`Retry-After`, not Google's `retryDelay` in the body nor refusals such as HubSpot's DAILY limit,
which the per-source error hooks of `VendorClient` handle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sized
from typing import Any
from urllib.parse import urljoin, urlsplit

from connectors.common import prefetch
from connectors.common.errors import VendorError
from connectors.common.http import VendorClient

log = logging.getLogger("funnelhouse.connectors")

# Keyword arguments for `VendorClient.request`: params, json_body, data.
RequestArgs = Mapping[str, Any]


def at(*keys: str) -> Callable[[Any], Any]:
    """A reader of the value under `keys` in a JSON body, None where any level is absent:
    `at("paging", "next", "after")`."""
    def read(body: Any) -> Any:
        for key in keys:
            if not isinstance(body, Mapping):
                return None
            body = body.get(key)
        return body

    return read


def offset_pages(client: VendorClient, path: str, request: Callable[[int, int], RequestArgs], *, limit: int,
                 items: Callable[[Any], Sized], total: Callable[[Any], int], method: str = "POST",
                 ) -> Iterator[tuple[int, Any]]:
    """(offset of the page's first item, body) for each page that has items.

    `request(offset, limit)` builds each call; `items(body)` is the page's items and `total(body)`
    the vendor's count of them all. Paging stops once the offset reaches the total, so an exact
    multiple costs no extra, empty request. A total that moves while paging (the vendor still
    processing) is followed and logged; an empty page short of the total ends paging, logged too.
    """
    offset = 0
    known: int | None = None
    while True:
        body = client.request(method, path, **request(offset, limit))
        count = len(items(body))
        reported = total(body)
        if known is not None and reported != known:
            log.warning("%s: %s: the total moved from %d to %d while paging", client.source, path, known, reported)
        known = reported
        if count:
            yield offset, body
        offset += count
        if offset >= known:
            return
        if not count:
            log.warning("%s: %s: stopped at item %d of %d: an empty page", client.source, path, offset, known)
            return


def cursor_pages(client: VendorClient, path: str, request: Callable[[str | None], RequestArgs], *,
                 cursor: Callable[[Any], Any], method: str = "GET", ahead: bool = False) -> Iterator[Any]:
    """Bodies of a cursor-paged endpoint: `request(None)` first, then `request(c)` with the cursor `c`
    each body carries, until one carries none (None or "").

    With `ahead`, the next page is requested as soon as its cursor is known, while the caller works
    on the current one: two calls in flight at most. `request` is called just before its call is sent.
    """
    def call(after: str | None) -> Callable[[], Any]:
        return lambda: client.request(method, path, **request(after))

    def following(body: Any) -> Callable[[], Any] | None:
        after = cursor(body)
        return call(str(after)) if after not in (None, "") else None

    yield from prefetch.cursor_pages(call(None), following, ahead)


def next_url_pages(client: VendorClient, path: str, *, next_url: Callable[[Any], Any],
                   params: Mapping[str, Any] | None = None, method: str = "GET",
                   ahead: bool = False) -> Iterator[Any]:
    """Bodies of an endpoint that links each page to the next: the first from `path` with `params`,
    then each URL `next_url(body)` gives, as is (it carries its own query), until there is none.

    A relative link (Salesforce's `/services/data/...`) resolves against the base URL. A link to
    another host is refused: our credentials would go with the request.
    """
    origin = urlsplit(client.base_url)

    def follow(link: str) -> Callable[[], Any]:
        url = urljoin(client.base_url + "/", link)
        target = urlsplit(url)
        if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
            raise VendorError(client.source, f"{path}: the next page's link leads to another host "
                                             f"({target.netloc}); not following it with our credentials")
        return lambda: client.request(method, url)

    def following(body: Any) -> Callable[[], Any] | None:
        link = next_url(body)
        return follow(str(link)) if link not in (None, "") else None

    yield from prefetch.cursor_pages(lambda: client.request(method, path, params=params), following, ahead)


def stream_batches(client: VendorClient, path: str, *, method: str = "POST", **request: Any,
                   ) -> Iterator[Mapping[str, Any]]:
    """The batches of a streamed answer: one response holding a JSON array of objects.

    An element carrying `error` means the stream failed after it started. The source's error hook
    normally turns that into a status the client retries or raises on; this is the guard behind it.
    """
    body = client.request(method, path, **request)
    batches = [body] if isinstance(body, Mapping) else body
    if not isinstance(batches, list):
        raise VendorError(client.source, f"{path}: the stream is not a JSON array of batches")
    for batch in batches:
        if not isinstance(batch, Mapping):
            raise VendorError(client.source, f"{path}: a stream batch is not a JSON object")
        if "error" in batch:
            error = batch["error"] if isinstance(batch["error"], Mapping) else {"message": batch["error"]}
            code = error.get("code")
            raise VendorError(client.source, f"{path}: the stream failed midway: "
                                             f"{error.get('status') or ''} {error.get('message') or ''}".rstrip(),
                              code if isinstance(code, int) else None)
        yield batch
