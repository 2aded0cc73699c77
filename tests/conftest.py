"""Shared fixtures: a sandbox per test over real HTTP on 127.0.0.1, and settings pointing at it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--snapshot-update", action="store_true", help="rewrite generated snapshots instead of comparing")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with end-to-end (slow) tests first: `make test`'s workers take whole files in this order,
    so the longest start at once and the short ones fill in around them, rather than one long file
    running on alone at the end. Within a file the order stays as written."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture
def snapshot(request: pytest.FixtureRequest):
    """Compare text with a generated file beside the tests, or rewrite it under --snapshot-update."""

    def check(path: Path, text: str, what: str) -> None:
        if request.config.getoption("--snapshot-update"):
            path.parent.mkdir(exist_ok=True)
            path.write_text(text)
        assert path.read_text() == text, f"{what} changed: run pytest --snapshot-update and review the diff"

    return check


# Fixed so expected totals never drift with the wall clock.
TODAY = date(2026, 11, 20)


@pytest.fixture
def world() -> World:
    return World(today=TODAY, history_days=120)


@pytest.fixture
def sandbox(world: World) -> Iterator[SandboxServer]:
    with SandboxServer(world=world, faults=Faults()) as server:
        yield server


def point_sources_at(server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """Points every source at the sandbox through the documented environment variables."""
    for key, value in server.source_settings().items():
        monkeypatch.setenv(key, value)
    return server


@pytest.fixture
def sandbox_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    return point_sources_at(sandbox, monkeypatch)


@pytest.fixture
def yesterday() -> date:
    return TODAY - timedelta(days=1)


@pytest.fixture(autouse=True)
def data_docs_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The checks a test runs write their Data Docs under pytest's temporary folder, not the checkout."""
    folder = tmp_path_factory.getbasetemp() / "data_docs"
    monkeypatch.setenv("FUNNELHOUSE_DATA_DOCS_DIR", str(folder))
    return folder


# --- warehouses ---------------------------------------------------------------------------------
PG_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards.

    Under CI=true a missing server is a failure, never a skip.
    """
    import psycopg

    if not _postgres_available():
        message = "PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres, trust auth)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"funnelhouse_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with _postgres_database() as url:
        yield url


ENGINES = ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def warehouse_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    else:
        with _postgres_database() as url:
            yield url


@pytest.fixture(scope="module", params=ENGINES)
def module_warehouse_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One warehouse per engine shared by a module's tests, for fixtures that are costly to build."""
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path_factory.mktemp('wh') / 'warehouse.duckdb'}"
    else:
        with _postgres_database() as url:
            yield url


# --- alert receivers ----------------------------------------------------------------------------
# Configured secrets that must never appear in an alert: a source credential (by the env var pattern
# dlt reads) and each channel's own secret.
SENTINEL = "SENTINEL-SECRET-123"
SENTINEL_ENV = "SOURCES__ACME_ADS__CREDENTIALS__API_KEY"
SLACK_TOKEN = "SENTINEL-SLACK-TOKEN-456"
PAGERDUTY_KEY = "SENTINEL-PD-ROUTING-KEY-789"
SMTP_PASSWORD = "SENTINEL-SMTP-PASS-000"
UI_URL = "https://dagster.example.com"
RUNBOOK_URL = "https://git.example.com/funnelhouse/blob/main/docs/oncall.md"


@dataclass
class AlertReceivers:
    http: object
    smtp: object

    @property
    def secrets(self) -> list[str]:
        return [SENTINEL, SLACK_TOKEN, PAGERDUTY_KEY, SMTP_PASSWORD]


@pytest.fixture
def alert_receivers(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
                    ) -> Iterator[AlertReceivers]:
    """Every alert channel on, each pointed at a real receiver on 127.0.0.1, with sentinel secrets."""
    from tests.alerts.receivers import PAGERDUTY, SLACK, SMTP_USER, WEBHOOK, HttpReceiver, SmtpReceiver, self_signed

    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    http = HttpReceiver().start()
    smtp = SmtpReceiver(cert, key, SMTP_PASSWORD).start()
    # The client verifies the server's certificate as in production, against this self-signed one.
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    settings = {
        SENTINEL_ENV: SENTINEL,
        "FUNNELHOUSE_ALERT_WEBHOOK_URL": http.url + WEBHOOK,
        "FUNNELHOUSE_ALERT_SLACK_WEBHOOK_URL": f"{http.url}{SLACK}/{SLACK_TOKEN}",
        "FUNNELHOUSE_ALERT_PAGERDUTY_ROUTING_KEY": PAGERDUTY_KEY,
        "FUNNELHOUSE_ALERT_PAGERDUTY_URL": http.url + PAGERDUTY,
        "FUNNELHOUSE_ALERT_SMTP_URL": f"smtp://{SMTP_USER.replace('@', '%40')}:{SMTP_PASSWORD}@127.0.0.1:{smtp.port}",
        "FUNNELHOUSE_ALERT_EMAIL_FROM": "funnelhouse@example.com",
        "FUNNELHOUSE_ALERT_EMAIL_TO": "oncall@example.com, data-team@example.com",
        "FUNNELHOUSE_UI_URL": UI_URL,
        "FUNNELHOUSE_RUNBOOK_URL": RUNBOOK_URL,
    }
    for key_name, value in settings.items():
        monkeypatch.setenv(key_name, value)
    try:
        yield AlertReceivers(http, smtp)
    finally:
        http.stop()
        smtp.stop()
