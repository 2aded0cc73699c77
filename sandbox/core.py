"""The sandbox core: requests and responses, what a fake declares, shared state, routing, and the
`/_sandbox/*` control plane tests use to queue faults, change the world and read the request log.

Fake modules import this module, never the server: each exports a `FAKE` describing its routes,
faults, environment, state and slice of the world, and the server serves whichever fakes it is given.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, TypedDict
from urllib.parse import parse_qs

from sandbox.faults import Faults
from sandbox.world import World
from sandbox.world.ads import AdPlatform

log = logging.getLogger("funnelhouse.sandbox")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    fault: str | None = None
    vendor: str | None = None  # the matched route's, once routed
    # The query string as sent, still percent-encoded: for fakes whose vendor gives escaping a meaning
    # (Rest.li 2.0 tells a URN's encoded ':' from the syntax's own).
    raw_query: str = ""
    # How the client reached the sandbox: "https" when it serves TLS.
    scheme: str = "http"

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value[7:] if value.lower().startswith("bearer ") else None


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Request, "SandboxState"], Response]


class TableTotals(TypedDict):
    rows: int
    sums: dict[str, int | Decimal]  # per numeric column, exact


@dataclass(frozen=True)
class Fake:
    """What a fake module exports as `FAKE`."""

    # A source's name for a source's fake; faults are queued and counted under it.
    vendor: str
    # (method, path pattern, handler); named groups of the pattern join the request's query.
    routes: tuple[tuple[str, str, Handler], ...]
    # Faults a client is expected to ride out by retrying: what chaos mode cycles through.
    retryable: tuple[str, ...] = ()
    # The SOURCES__<SOURCE>__* environment that points its source at a sandbox serving on the URL
    # given, with the sandbox's credentials.
    env: Callable[[str], dict[str, str]] | None = None
    # Makes this fake's own state for one sandbox: what `SandboxState.vendor` returns.
    state: Callable[[], Any] | None = None
    # Computes ahead what the first requests would, so a replay of them pays what the run paid.
    warm: Callable[[World], object] | None = None
    # Shared fakes served alongside it (Google's OAuth token endpoint for both Google sources).
    requires: tuple[Fake, ...] = ()
    # An ad platform's slice of the world: its campaigns feed web analytics and the CRM.
    ad_platform: AdPlatform | None = None
    # What its connector loads for a window (the days start to end; a cursor source loads
    # everything) when no fault changes data, per raw table.
    expected_totals: Callable[[World, date, date], dict[str, TableTotals]] | None = None
    # A file source's fake: the files its source should find in a world, by name. It has no routes:
    # the sandbox writes them into a folder of its own, again whenever its world is replaced, and
    # `env` is given that folder's path rather than the sandbox's URL.
    files: Callable[[World], dict[str, bytes]] | None = None


def source_env(source: str, values: Mapping[str, str]) -> dict[str, str]:
    """The environment variables for settings of a source, named as its spec names them."""
    from connectors.registry import spec

    declared = {setting.key: setting for setting in spec(source).settings}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise ValueError(f"source {source} declares no setting {', '.join(unknown)}")
    return {declared[key].env(source): value for key, value in values.items()}


# Headers a replay must not copy: the connection's own, which its HTTP client sets. Every other
# header a client sent (auth, API versions, protocol and account headers) is part of the request.
TRANSPORT_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "user-agent",
                               "transfer-encoding", "keep-alive"})


class SandboxState:
    """What the fakes share: the world, the fault plan, each fake's own state and a request log.

    With `record`, every vendor request is also kept whole (method, path with query string, the
    vendor that served it, the headers a replay needs and the body), so a benchmark can send exactly
    the same requests again with a bare HTTP client. Off by default: a long run would otherwise hold
    every body.
    """

    def __init__(self, world: World | None = None, faults: Faults | None = None, record: bool = False,
                 fakes: Iterable[Fake] = (), folder: Path | None = None):
        fakes = tuple(fakes)
        # Where the file fakes' folders are; see `write_files`.
        self.folder = folder
        self._file_fakes = tuple(fake for fake in fakes if fake.files is not None)
        self.world = world or World()
        self.faults = faults or Faults()
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, int]] = []
        self.record = record
        self.recorded: list[dict[str, Any]] = []
        self._vendors = {fake.vendor: fake.state() for fake in fakes if fake.state is not None}
        # What each fake computes ahead for a world (campaign day sums, CRM records); see `warm`.
        self._warmers = [fake.warm for fake in fakes if fake.warm is not None]

    @property
    def world(self) -> World:
        return self._world

    @world.setter
    def world(self, world: World) -> None:
        self._world = world
        self.write_files()

    def files_folder(self, vendor: str) -> Path:
        if self.folder is None:
            raise ValueError("this sandbox has no folder for file fakes")
        return self.folder / vendor

    def write_files(self) -> None:
        """Each file fake's files for the current world, in its folder. A file whose bytes did not
        change is not rewritten, so its listing (and a sensor watching it) stays the same; a file
        the world no longer has is removed."""
        if self.folder is None:
            return
        for fake in self._file_fakes:
            assert fake.files is not None
            folder = self.files_folder(fake.vendor)
            folder.mkdir(parents=True, exist_ok=True)
            wanted = fake.files(self._world)
            for path in folder.iterdir():
                if path.name not in wanted:
                    path.unlink()
            for name, content in wanted.items():
                path = folder / name
                if not path.exists() or path.read_bytes() != content:
                    path.write_bytes(content)

    def warm(self) -> None:
        """Compute now what the first requests on this world would."""
        for warm in self._warmers:
            warm(self.world)

    def vendor(self, name: str) -> Any:
        """The named fake's own state in this sandbox."""
        return self._vendors[name]

    def log(self, req: Request, target: str, status: int) -> None:
        """Note a served request; `target` is the path with its query string, as the client sent it."""
        entry = None
        if self.record and not req.path.startswith("/_sandbox/"):
            entry = {"method": req.method, "path": target, "vendor": req.vendor, "status": status,
                     "headers": {k: v for k, v in req.headers.items() if k not in TRANSPORT_HEADERS},
                     # Always base64: bodies are bytes (forms, JSON, anything a client sends).
                     "body": base64.b64encode(req.body).decode()}
        with self.lock:
            self.requests.append((req.method, req.path, status))
            if entry is not None:
                self.recorded.append(entry)


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    fake: Fake
    handler: Handler


def routes(fakes: Iterable[Fake]) -> list[Route]:
    return [Route(method, re.compile(pattern), fake, handler)
            for fake in fakes for method, pattern, handler in fake.routes]


def dispatch(state: SandboxState, served: Sequence[Route], req: Request, target: str) -> Response:
    """Answer one request, control plane first, and log it."""
    if req.path.startswith("/_sandbox/"):
        resp = _control(req, state)
        if resp.status == 404:
            # Vendor-owned control paths (e.g. /_sandbox/hubspot/touch): no fault is consumed.
            resp = _route(state, served, req, control=True)
    else:
        resp = _route(state, served, req)
    state.log(req, target, resp.status)
    return resp


def _route(state: SandboxState, served: Sequence[Route], req: Request, control: bool = False) -> Response:
    path_matched = False
    for route in served:
        match = route.pattern.fullmatch(req.path)
        if not match:
            continue
        path_matched = True
        if route.method != req.method:
            continue
        req.query.update({k: [v] for k, v in match.groupdict().items() if v is not None})
        req.vendor = route.fake.vendor
        req.fault = None if control else state.faults.next(route.fake.vendor, route.fake.retryable)
        try:
            return route.handler(req, state)
        except Exception as exc:  # a fake's bug must surface as a 500, not a hung client
            log.exception("sandbox handler failed")
            return Response(500, {"error": {"code": 500, "message": f"sandbox: {exc}", "status": "INTERNAL"}})
    if path_matched:
        return Response(405, {"error": {"code": 405, "message": "Method not allowed"}})
    return Response(404, {"error": {"code": 404, "message": f"Not found: {req.path}", "status": "NOT_FOUND"}})


def _control(req: Request, state: SandboxState) -> Response:
    """POST /_sandbox/faults {"vendor","fault","times"}; POST /_sandbox/world {...}; GET /_sandbox/requests.

    `POST /_sandbox/world` with `"warm": true` also computes ahead what the new world's first
    requests would (as the sandbox's --warm does at start), before it answers.

    `GET /_sandbox/requests?full=1` lists the recorded vendor requests whole (see SandboxState);
    `DELETE /_sandbox/requests` empties both logs.
    """
    if req.path == "/_sandbox/faults" and req.method == "POST":
        spec = req.json() or {}
        state.faults.push(spec["vendor"], spec["fault"], int(spec.get("times", 1)))
        return Response(204)
    if req.path == "/_sandbox/faults" and req.method == "DELETE":
        state.faults.clear()
        return Response(204)
    if req.path == "/_sandbox/faults" and req.method == "GET":
        return Response(200, {"served": [list(x) for x in state.faults.served()]})
    if req.path == "/_sandbox/world" and req.method == "POST":
        spec = req.json() or {}
        warm = bool(spec.pop("warm", False))
        if "today" in spec:
            spec["today"] = date.fromisoformat(spec["today"])
        state.world = replace(state.world, **spec)
        if warm:
            state.warm()
        return Response(204)
    if req.path == "/_sandbox/requests" and req.method == "GET":
        with state.lock:
            if (req.arg("full") or "").lower() in ("1", "true"):
                return Response(200, {"recording": state.record, "requests": list(state.recorded)})
            return Response(200, {"requests": [list(r) for r in state.requests]})
    if req.path == "/_sandbox/requests" and req.method == "DELETE":
        with state.lock:
            state.requests.clear()
            state.recorded.clear()
        return Response(204)
    if req.path == "/_sandbox/health":
        return Response(200, {"status": "ok", "today": state.world.today.isoformat()})
    return Response(404, {"error": "unknown control path"})
