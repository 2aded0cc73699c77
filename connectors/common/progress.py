"""Rows fetched so far, per source, for whoever wants to show live progress.

Connectors call `add_rows` as pages arrive; the CLI polls `snapshot`. Plain Python on purpose:
connectors must not depend on the orchestrator.
"""

from __future__ import annotations

import threading
from collections import Counter

_lock = threading.Lock()
_rows: Counter[str] = Counter()


def add_rows(source: str, count: int) -> None:
    if count:
        with _lock:
            _rows[source] += count


def snapshot() -> dict[str, int]:
    with _lock:
        return dict(_rows)


def reset() -> None:
    with _lock:
        _rows.clear()
