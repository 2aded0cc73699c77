"""The sandbox in its own process, so serving pages never competes with the pipeline for the GIL."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import requests

from bench.scales import HISTORY_DAYS, Scale


@dataclass
class RecordedRequest:
    method: str
    path: str
    vendor: str  # the fake that served it: a source's name, or a shared fake's (google_oauth)
    headers: dict[str, str]
    body: bytes


class Sandbox:
    def __init__(self, url: str, env: dict[str, str], proc: subprocess.Popen):
        self.url = url
        self.env = env
        self.proc = proc
        self.http = requests.Session()

    def set_today(self, today: date) -> None:
        """The world moved on to `today`, warmed as at start: the run that follows pays for its own
        work, not for the fakes computing the new day."""
        self.http.post(f"{self.url}/_sandbox/world", json={"today": today.isoformat(), "warm": True}
                       ).raise_for_status()

    def recorded(self) -> list[RecordedRequest]:
        resp = self.http.get(f"{self.url}/_sandbox/requests", params={"full": "1"})
        resp.raise_for_status()
        return [
            RecordedRequest(r["method"], r["path"], r["vendor"], r["headers"], base64.b64decode(r["body"]))
            for r in resp.json()["requests"]
        ]

    def forget_requests(self) -> None:
        self.http.delete(f"{self.url}/_sandbox/requests").raise_for_status()


@contextmanager
def sandbox(scale: Scale, today: date, log_dir: Path) -> Iterator[Sandbox]:
    argv = [sys.executable, "-m", "pipelines.cli", "sandbox", "--port", "0", "--record", "--warm",
            "--today", today.isoformat(), "--history-days", str(HISTORY_DAYS),
            "--ad-group-scale", str(scale.ad_group_scale)]
    log = open(log_dir / "sandbox.log", "w")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True, cwd=Path(__file__).parent.parent)
    env: dict[str, str] = {}
    url = None
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("sandbox serving on "):
                url = line.split()[3]
            elif line.startswith("export "):
                key, _, value = line[len("export "):].strip().partition("=")
                env[key] = value
            elif env:
                break  # the line after the settings: the sandbox is serving
        if url is None or not env:
            raise RuntimeError(f"the sandbox did not start; see {log_dir / 'sandbox.log'}")
        yield Sandbox(url, env, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOURCES__", "FUNNELHOUSE_"))}
    env.update(extra)
    return env
