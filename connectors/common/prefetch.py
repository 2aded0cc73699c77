"""Overlap the next requests with decoding the current response, keeping results in order.

Waiting on a socket releases the GIL, so while the pipeline decodes one page (CPU) the next ones
can already be on the wire. Each item is fetched exactly once; nothing is retried here (the
`VendorClient` inside `fetch` keeps its own retries). On the first error, or when the consumer
stops early, queued items are cancelled and the ones already in flight are waited for, so no
request outlives the iteration.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

import pyarrow as pa

T = TypeVar("T")
R = TypeVar("R")

# Vendors allow more, but two or three in flight already hide the wait behind the decoding.
MAX_CONCURRENT_REQUESTS = 8
# Rows per table handed to dlt: large enough that its per-item cost vanishes, small enough to
# keep memory flat.
BATCH_ROWS = 20_000


def ordered_map(fetch: Callable[[T], R], items: Iterable[T], concurrency: int) -> Iterator[R]:
    """`fetch(item)` for every item, at most `concurrency` at once, yielded in the items' order."""
    if concurrency <= 1:
        for item in items:
            yield fetch(item)
        return
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="prefetch")
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            pending.append(pool.submit(fetch, item))
            if len(pending) >= concurrency:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def cursor_pages(first: Callable[[], R], following: Callable[[R], Callable[[], R] | None],
                 ahead: bool) -> Iterator[R]:
    """Cursor-paged responses: while one is consumed, the next (its cursor known) is fetched.

    `following(response)` returns the call that fetches the next page, or None after the last.
    """
    if not ahead:
        body: R | None = first()
        while body is not None:
            call = following(body)
            yield body
            body = call() if call is not None else None
        return
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch")
    try:
        body = first()
        while True:
            call = following(body)
            nxt = pool.submit(call) if call is not None else None
            yield body
            if nxt is None:
                return
            body = nxt.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def batched_tables(tables: Iterable[pa.Table], min_rows: int) -> Iterator[pa.Table]:
    """Consecutive tables concatenated until each holds at least `min_rows` rows (the last may hold
    fewer). dlt's extract pays a fixed cost per item (schema hints computed and validated each
    time), which dominates when vendors page 100 records at a time."""
    held: list[pa.Table] = []
    rows = 0
    for table in tables:
        held.append(table)
        rows += table.num_rows
        if rows >= min_rows:
            yield _concat(held)
            held, rows = [], 0
    if held:
        yield _concat(held)


def _concat(tables: list[pa.Table]) -> pa.Table:
    return tables[0] if len(tables) == 1 else pa.concat_tables(tables)

