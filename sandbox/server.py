"""The sandbox HTTP server: one port, every served vendor at its real path layout.

Real hosts differ per vendor, but their paths do not collide (`/token`, `/v26/customers/...`,
`/v1beta/properties/...`, `/crm/v3/...`), so one server on 127.0.0.1 stands in for all of them and
each source's base URL points at it. What a request means is `sandbox.core`'s business; this module
only moves bytes.
"""

from __future__ import annotations

import json
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox import fakes
from sandbox.core import Request, Response, SandboxState, dispatch, log, routes
from sandbox.faults import Faults
from sandbox.world import World


class SandboxServer:
    """Serve the fakes of `sources` (default: every registered source) and the shared fakes they
    require, on 127.0.0.1 in a background thread. Port 0 picks a free port. With `tls` (a server
    context holding a certificate), it serves HTTPS, for clients that only speak it."""

    def __init__(self, port: int = 0, world: World | None = None, faults: Faults | None = None,
                 host: str = "127.0.0.1", record: bool = False, sources: Iterable[str] | None = None,
                 tls: ssl.SSLContext | None = None):
        from connectors.registry import source_names

        # The names of the sources served; shared fakes such as Google's OAuth are not sources.
        self.sources = source_names() if sources is None else list(sources)
        self.fakes = fakes.for_sources(self.sources)
        # The file fakes' folders: this sandbox's own, removed when it stops.
        self._folder = (Path(tempfile.mkdtemp(prefix="funnelhouse-sandbox-"))
                        if any(fake.files is not None for fake in self.fakes) else None)
        self.state = SandboxState(world, faults, record, self.fakes, self._folder)
        served = routes(self.fakes)
        state = self.state
        scheme = "https" if tls is not None else "http"

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
                              {k.lower(): v for k, v in self.headers.items()}, body, raw_query=parts.query,
                              scheme=scheme)
                self._send(dispatch(state, served, req, self.path))

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
        if tls is not None:
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True)
        self.scheme = scheme
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def source_settings(self) -> dict[str, str]:
        """The environment that points every served source at this sandbox, with the sandbox credentials."""
        settings: dict[str, str] = {}
        for fake in self.fakes:
            if fake.env is not None:
                where = str(self.state.files_folder(fake.vendor)) if fake.files is not None else self.url
                settings.update(fake.env(where))
        return settings

    def warm(self) -> SandboxServer:
        """Compute now what the first requests would (campaign day sums, CRM records).

        A benchmark that replays a run's requests then compares like with like; otherwise the run
        pays for these (seconds at a large ad group scale) and its replay does not.
        """
        self.state.warm()
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
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
