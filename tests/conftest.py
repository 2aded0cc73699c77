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
