"""Ingestion's limit: the exact requests the connectors made, replayed with a bare HTTP client.

The replay fetches every page and parses it (JSON; a zip's members and XML for file downloads such
as the ECB's), and stores nothing: what a hand-written script could do at best against the same
server. Our figure is the source's Dagster step, from the first request to the rows committed in the
warehouse.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import requests

from bench.sandbox import RecordedRequest


def parse(content_type: str, content: bytes) -> None:
    """What a client must do with a response before it has rows: parse it by its media type."""
    if "zip" in content_type:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            for name in archive.namelist():
                archive.read(name).decode()
    elif "xml" in content_type:
        ElementTree.fromstring(content)
    else:
        json.loads(content)


def replay(base_url: str, recorded: list[RecordedRequest]) -> dict[str, dict[str, float]]:
    """Seconds and bytes per source; requests to shared fakes (Google's OAuth tokens) are no
    source's and are not replayed."""
    from connectors.registry import specs

    out: dict[str, dict[str, float]] = defaultdict(lambda: {"seconds": 0.0, "requests": 0, "bytes": 0})
    session = requests.Session()
    for req in recorded:
        if req.vendor not in specs():
            continue
        started = time.perf_counter()
        resp = session.request(req.method, base_url + req.path, headers=req.headers, data=req.body or None)
        parse(resp.headers.get("content-type", ""), resp.content)
        elapsed = time.perf_counter() - started
        if resp.status_code != 200:
            raise RuntimeError(f"replay of {req.method} {req.path} returned {resp.status_code}")
        stats = out[req.vendor]
        stats["seconds"] += elapsed
        stats["requests"] += 1
        stats["bytes"] += len(resp.content)
    return dict(out)


def dlt_steps(pipelines_dir: Path, pipeline_name: str) -> dict[str, float]:
    """extract / normalize / load seconds of the pipeline's last run, from dlt's own trace."""
    import dlt

    pipeline = dlt.attach(pipeline_name=pipeline_name, pipelines_dir=str(pipelines_dir))
    trace: Any = pipeline.last_trace
    if trace is None:
        return {}
    return {
        step.step: (step.finished_at - step.started_at).total_seconds()
        for step in trace.steps
        if step.step in ("extract", "normalize", "load") and step.finished_at and step.started_at
    }
