"""The file fakes: the sandbox fills a folder of its own from its world, points the file sources at
it, follows a replaced world, leaves unchanged files alone (a watching sensor sees no change), and
removes the folder when it stops."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sandbox import ad_spend_files, campaign_plans
from sandbox.server import SandboxServer
from sandbox.world import World
from tests.conftest import TODAY


def test_the_sandbox_fills_the_file_sources_folders_from_its_world():
    with SandboxServer(world=World(today=TODAY, history_days=120),
                       sources=["ad_spend_files", "campaign_plans"]) as server:
        settings = server.source_settings()
        spend = Path(settings["SOURCES__AD_SPEND_FILES__BUCKET_URL"])
        plans = Path(settings["SOURCES__CAMPAIGN_PLANS__BUCKET_URL"])
        assert sorted(p.name for p in spend.iterdir()) == ["microsoft_ads.csv", "tiktok_ads.csv"]
        assert [p.name for p in plans.iterdir()] == ["plans.csv"]
        assert Path(settings["SOURCES__AD_SPEND_FILES__MAPPINGS"]).is_file()
        tiktok = spend / "tiktok_ads.csv"
        before = tiktok.stat().st_mtime_ns

        # Only the history grew: the files' four weeks are the same bytes, left alone.
        server.state.world = World(today=TODAY, history_days=400)
        assert tiktok.stat().st_mtime_ns == before
        # A day later, the files move on with it.
        server.state.world = World(today=TODAY + timedelta(days=1), history_days=120)
        assert tiktok.read_bytes() == ad_spend_files.files(server.state.world)["tiktok_ads.csv"]
        assert (plans / "plans.csv").read_bytes() == campaign_plans.files(server.state.world)["plans.csv"]
    assert not spend.exists()


def test_the_spend_files_totals_are_their_rows():
    world = World(today=TODAY, history_days=120)
    by_account = ad_spend_files.totals_by_account(world)
    assert set(by_account) == {("tiktok_ads", "7301000001"), ("microsoft_ads", "B0123456")}
    expected = ad_spend_files.expected_totals(world, TODAY, TODAY)["spend"]
    assert sum((v[2] for v in by_account.values()), Decimal(0)) == expected["sums"]["spend"]
    assert len(ad_spend_files.campaign_days(world)) == expected["rows"]
    # Four weeks before today, two campaigns a platform, a row each day a campaign served.
    assert {r.day for r in ad_spend_files.campaign_days(world)} == {TODAY - timedelta(days=k) for k in range(1, 29)}
