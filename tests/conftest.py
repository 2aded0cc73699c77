"""Shared fixtures: a sandbox per test over real HTTP on 127.0.0.1, and settings pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World

# Fixed so expected totals never drift with the wall clock.
TODAY = date(2026, 11, 20)


@pytest.fixture
def world() -> World:
    return World(today=TODAY, history_days=120)


@pytest.fixture
def sandbox(world: World) -> Iterator[SandboxServer]:
    with SandboxServer(world=world, faults=Faults()) as server:
        yield server


@pytest.fixture
def sandbox_env(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """Points every source at the sandbox through the documented environment variables."""
    for key, value in sandbox.source_settings().items():
        monkeypatch.setenv(key, value)
    return sandbox


@pytest.fixture
def yesterday() -> date:
    return TODAY - timedelta(days=1)


# --- warehouses ---------------------------------------------------------------------------------
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _postgres_available() -> bool:
    import psycopg

    try:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh database on the local PostgreSQL server, dropped afterwards.

    Under CI=true a missing server is a failure, never a skip.
    """
    import os
    import uuid

    import psycopg

    if not _postgres_available():
        message = "PostgreSQL is not reachable on 127.0.0.1:5432 (user postgres, trust auth)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    name = f"funnelhouse_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def warehouse_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    return request.getfixturevalue("postgres_url")
