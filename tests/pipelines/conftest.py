"""The sandbox project the end-to-end tests run `funnelhouse run` in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pipelines import cli
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY, point_sources_at


@pytest.fixture
def project(tmp_path, monkeypatch) -> Iterator[SandboxServer]:
    """A working directory, Dagster home and sandbox of its own, with the sources pointed at it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES", str(cli.SANDBOX_OVERRIDES))
    monkeypatch.setenv("FUNNELHOUSE_REPORTING_CURRENCY", "USD")
    with SandboxServer(world=World(today=TODAY, history_days=120), faults=Faults()) as server:
        yield point_sources_at(server, monkeypatch)
