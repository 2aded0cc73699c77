"""Real receivers on 127.0.0.1 for the alert channels: one HTTP server taking the webhook, Slack and
PagerDuty posts (answering as each service documents), and an SMTP server (aiosmtpd) offering
STARTTLS with a self-signed certificate and AUTH LOGIN/PLAIN after it."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import socket
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# Slack's webhook URLs end in their token: /services/T…/B…/<token>.
WEBHOOK, SLACK, PAGERDUTY = "/hooks/generic", "/services/T0000/B0000", "/v2/enqueue"
SMTP_USER = "alerts@example.com"


@dataclass
class Post:
    path: str  # the route: WEBHOOK, SLACK or PAGERDUTY
    full_path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.raw)


class HttpReceiver:
    """Records every POST; answers 200 `ok` (Slack), 202 with PagerDuty's body, 204 (webhook), or a
    status queued with `fail(path, status, times)`."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self._queued: dict[str, deque[tuple[int, dict[str, str]]]] = defaultdict(deque)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                route = SLACK if self.path.startswith(SLACK + "/") else self.path
                with receiver._lock:
                    receiver.posts.append(Post(route, self.path, dict(self.headers), raw))
                    queued = receiver._queued[route].popleft() if receiver._queued[route] else None
                if queued:
                    status, headers = queued
                    self._answer(status, b'{"error": "injected"}', "application/json", headers)
                elif route == SLACK:
                    self._answer(200, b"ok", "text/plain")
                elif route == PAGERDUTY:
                    key = json.loads(raw).get("dedup_key", "")
                    self._answer(202, json.dumps({"status": "success", "message": "Event processed",
                                                  "dedup_key": key}).encode(), "application/json")
                else:
                    self._answer(204, b"", "text/plain")

            def _answer(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> HttpReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def fail(self, path: str, status: int, times: int = 1, headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._queued[path].extend([(status, headers or {})] * times)

    def to(self, path: str) -> list[Post]:
        with self._lock:
            return [p for p in self.posts if p.path == path]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (IP SAN) and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None

    @property
    def text(self) -> str:
        """The body, with SMTP's CRLF line ends read as newlines."""
        return self.message.get_content().replace("\r\n", "\n")


class SmtpReceiver:
    """aiosmtpd on 127.0.0.1: STARTTLS with the given certificate, AUTH only once TLS is on, and
    only for SMTP_USER with `password`."""

    def __init__(self, cert: Path, key: Path, password: str) -> None:
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult

        self.mails: list[Mail] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                message = email.message_from_bytes(envelope.content, policy=email.policy.default)
                login = session.auth_data.login.decode() if session.authenticated and session.auth_data else None
                receiver.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), message,
                                           session.ssl is not None, login))
                return "250 Message accepted for delivery"

        def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
            ok = auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == password
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=context,
                                     require_starttls=False, authenticator=authenticator, auth_require_tls=True)

    def start(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()
