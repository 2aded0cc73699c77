"""The prefetch helpers: order kept, each item fetched once, a mid-run error stops everything."""

from __future__ import annotations

import threading
import time

import pyarrow as pa
import pytest

from connectors.common.prefetch import batched_tables, cursor_pages, ordered_map


class _Recorder:
    def __init__(self, fail_at: int | None = None):
        self.calls: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self._lock = threading.Lock()
        self.fail_at = fail_at

    def __call__(self, item: int) -> int:
        with self._lock:
            self.calls.append(item)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            # Later items finish first, so order can only come from the helper.
            time.sleep(0.02 * (5 - item % 5) / 5)
            if item == self.fail_at:
                raise RuntimeError(f"item {item} failed")
            return item * 10
        finally:
            with self._lock:
                self.in_flight -= 1


@pytest.mark.parametrize("concurrency", [1, 2, 3])
def test_ordered_map_keeps_order_and_fetches_each_item_once(concurrency):
    fetch = _Recorder()
    assert list(ordered_map(fetch, range(12), concurrency)) == [i * 10 for i in range(12)]
    assert sorted(fetch.calls) == list(range(12))
    assert fetch.most_in_flight <= concurrency


def test_ordered_map_stops_on_the_first_error_without_leaving_work_behind():
    fetch = _Recorder(fail_at=3)
    got = []
    with pytest.raises(RuntimeError, match="item 3 failed"):
        for value in ordered_map(fetch, range(50), 3):
            got.append(value)
    assert got == [0, 10, 20]
    # Only what was already queued (at most `concurrency` ahead) ran; none twice; none still running.
    assert len(fetch.calls) == len(set(fetch.calls)) <= 3 + 3
    assert fetch.in_flight == 0
    assert not [t for t in threading.enumerate() if t.name.startswith("prefetch")]


def test_ordered_map_stops_cleanly_when_the_consumer_stops():
    fetch = _Recorder()
    stream = ordered_map(fetch, range(50), 3)
    assert [next(stream), next(stream)] == [0, 10]
    stream.close()
    assert len(fetch.calls) <= 2 + 3
    assert fetch.in_flight == 0


@pytest.mark.parametrize("ahead", [False, True])
def test_cursor_pages_follow_the_cursor_once_each(ahead):
    calls: list[int] = []

    def page(n: int):
        def call():
            calls.append(n)
            return {"n": n, "next": n + 1 if n < 4 else None}
        return call

    def following(body):
        return page(body["next"]) if body["next"] is not None else None

    assert [b["n"] for b in cursor_pages(page(0), following, ahead)] == [0, 1, 2, 3, 4]
    assert calls == [0, 1, 2, 3, 4]


def test_cursor_pages_raise_the_next_pages_error_after_yielding_the_current_one():
    def first():
        return {"n": 0}

    def broken():
        raise RuntimeError("page 1 failed")

    pages = cursor_pages(first, lambda body: broken, ahead=True)
    assert next(pages) == {"n": 0}
    with pytest.raises(RuntimeError, match="page 1 failed"):
        next(pages)


def test_batched_tables_keep_rows_in_order():
    tables = [pa.table({"x": list(range(i * 3, i * 3 + 3))}) for i in range(5)]
    batches = list(batched_tables(iter(tables), 7))
    assert [b.num_rows for b in batches] == [9, 6]
    assert [x for b in batches for x in b.column("x").to_pylist()] == list(range(15))
    assert [b.num_rows for b in batched_tables(iter([pa.table({"x": []})]), 7)] == [0]

