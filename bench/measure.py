"""Timing, peak memory of a child process, and the figure every comparison produces."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Figure:
    """Our path against its limit, measured in the same run on the same data."""

    name: str
    ours: float
    limit: float
    unit: str
    # ratio = ours / limit. For durations the target is a ceiling; for throughputs a floor.
    target: float
    higher_is_better: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        return self.ours / self.limit if self.limit else None

    @property
    def met(self) -> bool | None:
        if self.ratio is None:
            return None
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": self.ratio, "met": self.met}


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as t: ...` then t[0] holds the elapsed seconds."""
    box: list[float] = []
    started = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - started)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    started = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - started


def best_of(n: int, fn: Callable[[], Any]) -> float:
    """The fastest of n runs: the least disturbed by the other core's work."""
    return min(timed(fn)[1] for _ in range(n))


@dataclass
class ChildRun:
    returncode: int
    seconds: float
    peak_rss_bytes: int
    stdout: str
    stderr: str


def run_child(argv: list[str], env: dict[str, str], cwd: str) -> ChildRun:
    """Run a command to completion, with its peak RSS: the high-water mark of its own memory
    (VmHWM), read while it runs. The kernel's wait4 accounting would not do: Linux carries a
    process's peak across fork and exec, so a child would report the benchmark's own peak (the raw
    tables it holds as Arrow for the load figure)."""
    started = time.perf_counter()
    with open(os.path.join(cwd, "child.out"), "w+") as out, open(os.path.join(cwd, "child.err"), "w+") as err:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=err)
        peak = _watch_peak(proc)
        proc.wait()
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return ChildRun(proc.returncode, seconds, peak(), out.read(), err.read())


def _watch_peak(proc: subprocess.Popen) -> Callable[[], int]:
    """Poll the process's VmHWM (monotonic within its image) until it exits; the last reading is its
    peak but for whatever it allocated in its last 50 ms."""
    box = [0]

    def poll() -> None:
        path = f"/proc/{proc.pid}/status"
        while proc.poll() is None:
            try:
                with open(path) as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            box[0] = max(box[0], int(line.split()[1]) * 1024)
                            break
            except (FileNotFoundError, ProcessLookupError):
                break
            time.sleep(0.05)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()

    def peak() -> int:
        watcher.join()
        return box[0]

    return peak
