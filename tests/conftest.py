"""Shared fixtures: a sandbox per test over real HTTP on 127.0.0.1, and settings pointing at it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

import pytest

from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--snapshot-update", action="store_true", help="rewrite generated snapshots instead of comparing")


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
