"""Faults on demand: queued ones for tests, and a steady trickle in `--faults` (chaos) mode.

Each vendor module decides what a fault name means on its wire (Google's 429 RESOURCE_EXHAUSTED
with retryDelay, HubSpot's 429 with policyName, ...). This module only decides *when*.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque

# Faults a client is expected to ride out by retrying; chaos mode cycles through these.
RETRYABLE: dict[str, tuple[str, ...]] = {
    "google_ads": ("rate_limit", "unavailable", "stream_rate_limit", "expired_token"),
    "google_analytics": ("rate_limit", "unavailable", "expired_token"),
    "hubspot": ("rate_limit", "server_error"),
    "google_oauth": ("unavailable",),
}


class Faults:
    def __init__(self, chaos: bool = False, every: int = 5):
        self.chaos = chaos
        self.every = every
        self._queued: dict[str, deque[str]] = defaultdict(deque)
        self._counts: dict[str, int] = defaultdict(int)
        self._served: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def push(self, vendor: str, fault: str, times: int = 1) -> None:
        with self._lock:
            self._queued[vendor].extend([fault] * times)

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()
            self._served.clear()

    def next(self, vendor: str) -> str | None:
        with self._lock:
            self._counts[vendor] += 1
            fault = None
            if self._queued[vendor]:
                fault = self._queued[vendor].popleft()
            elif self.chaos and vendor in RETRYABLE and self._counts[vendor] % self.every == 0:
                cycle = RETRYABLE[vendor]
                fault = cycle[(self._counts[vendor] // self.every) % len(cycle)]
            if fault:
                self._served.append((vendor, fault))
            return fault

    def served(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._served)
