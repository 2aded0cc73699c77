"""The sandbox HTTP server: one port, every vendor at its real path layout.

Real hosts differ per vendor, but their paths do not collide (`/token`, `/v22/customers/...`,
`/v1beta/properties/...`, `/crm/v3/...`), so one server on 127.0.0.1 stands in for all of them and
each source's base URL points at it. `/_sandbox/*` is the control plane tests use to queue faults,
change the world and read the request log.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.faults import Faults
from sandbox.world import World

log = logging.getLogger("funnelhouse.sandbox")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    fault: str | None = None

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


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    vendor: str
    handler: Handler


# What a replay needs to send a recorded request again; other headers are the client's own.
REPLAY_HEADERS = ("authorization", "developer-token", "login-customer-id", "content-type")


class SandboxState:
    """What the fakes share: the world, the fault plan, issued OAuth tokens and a request log.

    With `record`, every vendor request is also kept whole (method, path with query string, the
    headers a replay needs and the body), so a benchmark can send exactly the same requests again
    with a bare HTTP client. Off by default: a long run would otherwise hold every body.
    """

    def __init__(self, world: World | None = None, faults: Faults | None = None, record: bool = False):
        self.world = world or World()
        self.faults = faults or Faults()
        self.lock = threading.Lock()
        self.google_tokens: set[str] = set()
        self.token_counter = 0
        self.requests: list[tuple[str, str, int]] = []
        self.record = record
        self.recorded: list[dict[str, Any]] = []

    def issue_google_token(self) -> str:
        with self.lock:
            self.token_counter += 1
            token = f"ya29.sandbox-access-{self.token_counter:06d}"
            self.google_tokens.add(token)
            return token

    def revoke_google_token(self, token: str) -> None:
        with self.lock:
            self.google_tokens.discard(token)

    def log(self, req: Request, target: str, status: int) -> None:
        """Note a served request; `target` is the path with its query string, as the client sent it."""
        entry = None
        if self.record and not req.path.startswith("/_sandbox/"):
            entry = {"method": req.method, "path": target, "status": status,
                     "headers": {k: req.headers[k] for k in REPLAY_HEADERS if k in req.headers},
                     # Always base64: bodies are bytes (forms, JSON, anything a client sends).
                     "body": base64.b64encode(req.body).decode()}
        with self.lock:
            self.requests.append((req.method, req.path, status))
            if entry is not None:
                self.recorded.append(entry)


def _routes() -> list[Route]:
    from sandbox import google_ads, google_analytics, google_oauth, hubspot

    routes: list[Route] = []
    for module in (google_oauth, google_ads, google_analytics, hubspot):
        for method, pattern, handler in module.ROUTES:
            routes.append(Route(method, re.compile(pattern), module.VENDOR, handler))
    return routes


def _control(req: Request, state: SandboxState) -> Response:
    """POST /_sandbox/faults {"vendor","fault","times"}; POST /_sandbox/world {...}; GET /_sandbox/requests.

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
        if "today" in spec:
            spec["today"] = date.fromisoformat(spec["today"])
        state.world = replace(state.world, **spec)
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


class SandboxServer:
    """Serve the fakes on 127.0.0.1 in a background thread. Port 0 picks a free port."""

    def __init__(self, port: int = 0, world: World | None = None, faults: Faults | None = None,
                 host: str = "127.0.0.1", record: bool = False):
        self.state = SandboxState(world, faults, record)
        routes = _routes()
        state = self.state

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out as separate writes; with Nagle on, each response then waits
            # ~40 ms for the client's delayed ACK, which made paging through a fake 5x slower.
            disable_nagle_algorithm = True

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("sandbox: " + fmt, *args)

            def _dispatch(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                              {k.lower(): v for k, v in self.headers.items()}, body)
                if parts.path.startswith("/_sandbox/"):
                    resp = _control(req, state)
                    if resp.status == 404:
                        # Vendor-owned control paths (e.g. /_sandbox/hubspot/touch): no fault is consumed.
                        resp = self._route(req, control=True)
                else:
                    resp = self._route(req)
                state.log(req, self.path, resp.status)
                self._send(resp)

            def _route(self, req: Request, control: bool = False) -> Response:
                path_matched = False
                for route in routes:
                    match = route.pattern.fullmatch(req.path)
                    if not match:
                        continue
                    path_matched = True
                    if route.method != req.method:
                        continue
                    req.query.update({k: [v] for k, v in match.groupdict().items() if v is not None})
                    req.fault = None if control else state.faults.next(route.vendor)
                    try:
                        return route.handler(req, state)
                    except Exception as exc:  # a fake's bug must surface as a 500, not a hung client
                        log.exception("sandbox handler failed")
                        return Response(500, {"error": {"code": 500, "message": f"sandbox: {exc}", "status": "INTERNAL"}})
                if path_matched:
                    return Response(405, {"error": {"code": 405, "message": "Method not allowed"}})
                return Response(404, {"error": {"code": 404, "message": f"Not found: {req.path}", "status": "NOT_FOUND"}})

            def _send(self, resp: Response) -> None:
                payload = b"" if resp.body is None else (
                    resp.body if isinstance(resp.body, bytes) else json.dumps(resp.body).encode())
                self.send_response(resp.status)
                headers = {"Content-Type": "application/json; charset=UTF-8", **resp.headers}
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if payload:
                    self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _dispatch

        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def source_settings(self) -> dict[str, str]:
        """The environment that points every source at this sandbox, with the sandbox credentials."""
        from sandbox import credentials as c
        from sandbox import google_ads
        from sandbox.world import ACCOUNTS, GA4_PROPERTY_ID

        return {
            "SOURCES__GOOGLE_ADS__BASE_URL": f"{self.url}/{google_ads.API_VERSION}",
            "SOURCES__GOOGLE_ADS__TOKEN_URL": f"{self.url}/token",
            "SOURCES__GOOGLE_ADS__CUSTOMER_IDS": ",".join(a.customer_id for a in ACCOUNTS),
            "SOURCES__GOOGLE_ADS__LOGIN_CUSTOMER_ID": "9999999999",
            "SOURCES__GOOGLE_ADS__CREDENTIALS__DEVELOPER_TOKEN": c.GOOGLE_ADS_DEVELOPER_TOKEN,
            "SOURCES__GOOGLE_ADS__CREDENTIALS__CLIENT_ID": c.GOOGLE_CLIENT_ID,
            "SOURCES__GOOGLE_ADS__CREDENTIALS__CLIENT_SECRET": c.GOOGLE_CLIENT_SECRET,
            "SOURCES__GOOGLE_ADS__CREDENTIALS__REFRESH_TOKEN": c.GOOGLE_REFRESH_TOKEN,
            "SOURCES__GOOGLE_ANALYTICS__BASE_URL": f"{self.url}/v1beta",
            "SOURCES__GOOGLE_ANALYTICS__TOKEN_URL": f"{self.url}/token",
            "SOURCES__GOOGLE_ANALYTICS__PROPERTY_IDS": GA4_PROPERTY_ID,
            "SOURCES__GOOGLE_ANALYTICS__CREDENTIALS__CLIENT_ID": c.GOOGLE_CLIENT_ID,
            "SOURCES__GOOGLE_ANALYTICS__CREDENTIALS__CLIENT_SECRET": c.GOOGLE_CLIENT_SECRET,
            "SOURCES__GOOGLE_ANALYTICS__CREDENTIALS__REFRESH_TOKEN": c.GOOGLE_REFRESH_TOKEN,
            "SOURCES__HUBSPOT__BASE_URL": self.url,
            "SOURCES__HUBSPOT__CREDENTIALS__ACCESS_TOKEN": c.HUBSPOT_ACCESS_TOKEN,
        }

    def warm(self) -> SandboxServer:
        """Compute now what the first requests would: every campaign day's sums and the CRM records.

        A benchmark that replays a run's requests then compares like with like; otherwise the run
        pays for these (seconds at a large ad group scale) and its replay does not.
        """
        from sandbox import hubspot

        world = self.state.world
        day = world.start
        while day < world.today:
            for account in world.accounts():
                for campaign in account.campaigns:
                    world.campaign_day(account, campaign, day)
            day += timedelta(days=1)
        hubspot.index_for(world)
        return self

    def start(self) -> SandboxServer:
        # A short poll interval makes stop() return at once rather than after up to 0.5 s.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
