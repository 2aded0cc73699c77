"""A backfill of a partition range as the Dagster UI launches it: `dagster dev` (webserver, daemon,
code server) on the project's workspace, the UI's GraphQL `launchPartitionBackfill` over every asset
for a month in the past, and the daemon's runs to completion. The window is July while the world's
CRM has moved on to late November; every mart must publish."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from pipelines import cli
from pipelines.definitions import build_definitions
from pipelines.run import ensure_dagster_home
from sandbox.faults import Faults
from sandbox.server import SandboxServer
from sandbox.world import World, ads
from tests.conftest import TODAY
from transforms.contracts import marts
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
START, END = date(2026, 7, 1), date(2026, 7, 31)
pytestmark = pytest.mark.slow

LAUNCH = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
  }
}"""
STATUS = """
query Status($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status }
  }
  runsOrError(filter: {tags: [{key: "dagster/backfill", value: $id}]}) {
    ... on Runs { results { runId status tags { key value } } }
  }
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dagster_ui(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`dagster dev` against a sandbox, the way `make dev` runs it; yields (GraphQL URL, warehouse URL)."""
    warehouse_url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    with SandboxServer(world=World(today=TODAY, history_days=400), faults=Faults()) as sandbox:
        env = {**os.environ, **sandbox.source_settings(), "FUNNELHOUSE_WAREHOUSE_URL": warehouse_url,
               "FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES": str(cli.SANDBOX_OVERRIDES),
               "DAGSTER_HOME": str(ensure_dagster_home(tmp_path))}
        port = _free_port()
        dagster = Path(sys.executable).with_name("dagster")
        log = open(tmp_path / "dagster-dev.log", "w")
        child = subprocess.Popen([str(dagster), "dev", "-w", str(ROOT / "workspace.yaml"), "-h", "127.0.0.1",
                                  "-p", str(port)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                                 start_new_session=True)
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            deadline = time.monotonic() + 180
            while time.monotonic() < deadline:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                        break
                except requests.ConnectionError:
                    pass
                assert child.poll() is None, (tmp_path / "dagster-dev.log").read_text()[-3000:]
                time.sleep(1)
            else:
                pytest.fail("dagster dev did not answer within 180 s")
            yield url, warehouse_url
        finally:
            os.killpg(child.pid, signal.SIGINT)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
            log.close()


def _graphql(url: str, query: str, **variables: object) -> dict:
    response = requests.post(url, json={"query": query, "variables": variables}, timeout=60)
    response.raise_for_status()
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_a_ui_backfill_of_a_month_in_the_past_publishes_every_mart(dagster_ui: tuple[str, str]):
    url, warehouse_url = dagster_ui
    keys = build_definitions().resolve_asset_graph().get_all_asset_keys()
    days = [(START + timedelta(days=i)).isoformat() for i in range((END - START).days + 1)]
    launched = _graphql(url, LAUNCH, params={
        "assetSelection": [{"path": key.path} for key in keys], "partitionNames": days,
        "title": "July backfill",
    })["launchPartitionBackfill"]
    assert launched["__typename"] == "LaunchBackfillSuccess", launched
    backfill = launched["backfillId"]

    deadline = time.monotonic() + 420
    while time.monotonic() < deadline:
        data = _graphql(url, STATUS, id=backfill)
        status = data["partitionBackfillOrError"]["status"]
        if status not in ("REQUESTED", "CANCELING", "FAILING"):
            break
        time.sleep(3)
    else:
        pytest.fail(f"the backfill did not finish: {data}")
    runs = data["runsOrError"]["results"]
    assert status in ("COMPLETED", "COMPLETED_SUCCESS"), (status, runs)
    assert runs and all(run["status"] == "SUCCESS" for run in runs), runs
    # The windowed ingestion ran once for the whole range, as the single-run backfill policy asks.
    tags = [{t["key"]: t["value"] for t in run["tags"]} for run in runs]
    assert any(t.get("dagster/asset_partition_range_start") == START.isoformat()
               and t.get("dagster/asset_partition_range_end") == END.isoformat() for t in tags), tags

    warehouse = Warehouse(warehouse_url)
    for name in marts():
        assert warehouse.row_count("marts", name) > 0, name
    # The API platforms hold the window's days; the spend files' platforms (not windowed) what the files hold.
    api = ", ".join(f"'{platform.name}'" for platform in ads.platforms())
    assert warehouse.rows("SELECT min(date_day), max(date_day) FROM marts.campaign_performance_daily "
                          f"WHERE platform IN ({api})")[0] == (START, END)
    # The CRM moved on after the window: deals created since July are published too.
    assert warehouse.scalar("SELECT count(*) FROM marts.crm_deals WHERE created_at > :end",
                            end=END + timedelta(days=1)) > 100
