"""Live progress for CLI runs: the current step and rows fetched so far per source.

Reads the run's own event log (steps starting and finishing) and the connectors' row counters,
and renders one line: redrawn in place on a terminal; otherwise (CI logs) printed for every step
that starts, however short, and on a change of the row counts at most once a second.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from dagster import DagsterEventType, DagsterInstance

from connectors.common import progress as rows

_EVENTS = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}


class ProgressReporter:
    def __init__(self, instance: DagsterInstance, run_id: str, stream: TextIO | None = None,
                 interval: float = 0.5, quiet_interval: float = 10.0):
        self.instance = instance
        self.run_id = run_id
        self.stream = stream or sys.stderr
        self.interval = interval
        self.quiet_interval = quiet_interval
        self.tty = self.stream.isatty()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
        self._cursor: str | None = None
        self._running: list[str] = []
        self._done = 0
        self._started = time.monotonic()
        self._last_line = ""
        self._last_print = 0.0

    def __enter__(self) -> ProgressReporter:
        rows.reset()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._poll()
        self._render(final=True)

    def _poll(self) -> None:
        try:
            conn = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, of_type=_EVENTS)
        except Exception:  # the run may not have been created yet
            return
        self._cursor = conn.cursor
        for record in conn.records:
            event = record.event_log_entry.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                self._running.append(event.step_key)
                if not self.tty:
                    # A step shorter than the poll interval would otherwise never be shown.
                    self._print(self.line())
            else:
                if event.step_key in self._running:
                    self._running.remove(event.step_key)
                self._done += 1

    def line(self) -> str:
        elapsed = time.monotonic() - self._started
        if self._running:
            step = self._running[-1]
        else:
            step = "finished" if self._stop.is_set() else ("starting" if not self._done else "next step")
        fetched = rows.snapshot()
        counts = " · ".join(f"{src} {n:,} rows" for src, n in sorted(fetched.items())) or "no rows fetched yet"
        number = self._done if self._stop.is_set() and not self._running else self._done + 1
        return f"[{elapsed:6.1f}s] step {number}: {step} | {counts}"

    def _print(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()
        self._last_print = time.monotonic()
        self._last_line = line

    def _render(self, final: bool = False) -> None:
        line = self.line()
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r\033[K" + line + ("\n" if final else ""))
            self.stream.flush()
            self._last_line = line
        elif line.split("] ", 1)[-1] != self._last_line.split("] ", 1)[-1] and (
            final or now - self._last_print >= 1.0
        ) or now - self._last_print >= self.quiet_interval:
            self._print(line)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._poll()
            self._render()
