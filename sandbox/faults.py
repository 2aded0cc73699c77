"""Faults on demand: queued ones for tests, and a steady trickle in `--faults` (chaos) mode.

Each fake decides what a fault name means on its wire (Google's 429 RESOURCE_EXHAUSTED with
retryDelay, HubSpot's 429 with policyName, ...) and which of its faults a client should ride out
(`Fake.retryable`, what chaos cycles through). This module only decides *when*.
"""

from __future__ import annotations

import threading
from collections import defaultdict, deque


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

    def next(self, vendor: str, retryable: tuple[str, ...] = ()) -> str | None:
        """The fault for the vendor's next request: a queued one, else in chaos mode every `every`th
        request one of `retryable`, in turn."""
        with self._lock:
            self._counts[vendor] += 1
            fault = None
            if self._queued[vendor]:
                fault = self._queued[vendor].popleft()
            elif self.chaos and retryable and self._counts[vendor] % self.every == 0:
                fault = retryable[(self._counts[vendor] // self.every) % len(retryable)]
            if fault:
                self._served.append((vendor, fault))
            return fault

    def served(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._served)
