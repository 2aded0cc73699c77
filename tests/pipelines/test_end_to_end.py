"""`funnelhouse run` end to end against the sandbox, on DuckDB and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from pipelines import cli
from quality.suites import FRESHNESS_RULES, MART_RULES, QUARANTINE_RULES
from sandbox.faults import Faults
from sandbox.google_ads import ACCOUNTS
from sandbox.server import SandboxServer
from sandbox.world import World, ads, crm, web
from tests.conftest import TODAY
from warehouse import Warehouse

END = TODAY - timedelta(days=1)
START = END - timedelta(days=13)
MARTS = ("campaign_performance_daily", "web_traffic_daily", "crm_deals", "campaign_kpis_daily")
CHECKS = len(MART_RULES) + len(FRESHNESS_RULES) + len(QUARANTINE_RULES)  # one gate per mart, one warning per source
pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path, monkeypatch) -> Iterator[SandboxServer]:
    """A working directory, Dagster home and sandbox of its own, with the sources pointed at it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    monkeypatch.setenv("FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES", str(cli.SANDBOX_OVERRIDES))
    with SandboxServer(world=World(today=TODAY, history_days=120), faults=Faults()) as server:
        for key, value in server.source_settings().items():
            monkeypatch.setenv(key, value)
        yield server


def _run(capsys: pytest.CaptureFixture, *extra: str) -> tuple[int, str]:
    code = cli.main(["run", "--start-date", START.isoformat(), "--end-date", END.isoformat(), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _snapshot(warehouse: Warehouse) -> dict[str, list[tuple]]:
    return {name: sorted(map(repr, warehouse.rows(f"SELECT * FROM marts.{name}"))) for name in MARTS}


def _expected_spend(world: World, first: date) -> dict[str, Decimal]:
    """Exact spend per account from the world, over the fetched window (run window plus lookback)."""
    totals: dict[str, Decimal] = {}
    day = first
    while day <= END:
        for account in ACCOUNTS:
            for campaign in account.campaigns:
                for ad_group in ads.ad_group_ids(world, campaign):
                    metrics = ads.ad_metrics(world, account, campaign, ad_group, day)
                    if metrics:
                        totals[account.customer_id] = totals.get(account.customer_id, Decimal(0)) + \
                            Decimal(metrics.cost_micros) / Decimal(1_000_000)
        day += timedelta(days=1)
    return totals


def _assert_exact_totals(warehouse: Warehouse, world: World) -> None:
    first = END - timedelta(days=29)  # the default 30-day lookback reaches further back than START
    expected = _expected_spend(world, first)
    actual = dict(warehouse.rows(
        "SELECT account_id, sum(spend) FROM marts.campaign_performance_daily GROUP BY account_id"
    ))
    assert {k: Decimal(v) for k, v in actual.items()} == expected
    currencies = dict(warehouse.rows("SELECT DISTINCT account_id, currency_code FROM marts.campaign_performance_daily"))
    assert sorted(set(currencies.values())) == ["EUR", "GBP", "USD"]
    sessions = sum(r["sessions"] for d in range((END - first).days + 1) for r in web.rows(world, first + timedelta(days=d)))
    assert warehouse.scalar("SELECT sum(sessions) FROM marts.web_traffic_daily") == sessions
    assert warehouse.scalar("SELECT count(*) FROM marts.crm_deals") == len(crm.deals(world))
    assert warehouse.scalar(
        "SELECT count(*) FROM (SELECT deal_id FROM marts.crm_deals GROUP BY deal_id HAVING count(*) > 1) d"
    ) == 0
    # The overrides mapping joins the remarketing campaign whose name differs from its utm_campaign.
    assert warehouse.scalar(
        "SELECT sum(sessions) FROM marts.campaign_kpis_daily WHERE campaign_key = 'remarketing_q4'"
    ) > 0


def test_run_on_duckdb_with_vendor_faults_is_exact_and_idempotent(project: SandboxServer, capsys):
    project.state.faults.chaos = True
    project.state.faults.every = 4
    project.state.faults.push("hubspot", "bad_amount")
    code, out = _run(capsys)
    assert code == 0, out
    assert "status: OK" in out and f"checks: {CHECKS - 1} passed, 1 failed" in out
    # The unreadable amount is quarantined and flagged, naming record and field, without blocking.
    assert "[warning] raw_hubspot/quarantine nothing_quarantined" in out
    assert "'field': 'amount'" in out and "'raw_value': '12,50 EUR'" in out
    # Live progress: the current step and rows per source, as the run goes.
    assert "step 1: ingest_google_ads |" in out and " rows · google_analytics " in out
    served = {fault for _, fault in project.state.faults.served()}
    assert {"rate_limit", "unavailable"} <= served, served
    warehouse = Warehouse("duckdb:///.funnelhouse/warehouse.duckdb")
    _assert_exact_totals(warehouse, project.state.world)
    first = _snapshot(warehouse)

    # The demo's report covers the run's window only, though the mart holds older CRM revenue too.
    report = cli.top_campaigns_by_roas(START, END).splitlines()
    assert len(report) == 3 + 9  # title, header, rule, one line per paid campaign
    in_window = warehouse.scalar(
        "SELECT sum(revenue) FROM marts.campaign_kpis_daily WHERE date_day BETWEEN :s AND :e", s=START, e=END
    )
    reported = sum(Decimal(line.split()[3].replace(",", "")) for line in report[3:])
    assert abs(reported - Decimal(in_window)) < Decimal("0.1")

    code, out = _run(capsys)
    assert code == 0, out
    assert f"checks: {CHECKS} passed, 0 failed" in out
    assert _snapshot(warehouse) == first

    # One source alone re-ingests only that source and republishes the same marts.
    code, out = _run(capsys, "--sources", "google_analytics")
    assert code == 0, out
    assert "sources google_analytics\n" in out and "google_ads" not in out.split("rows loaded:")[1].split("checks:")[0]
    assert _snapshot(warehouse) == first


def test_no_secret_reaches_the_warehouse_logs_or_run_records(project: SandboxServer, capsys, tmp_path):
    secrets = [v for k, v in project.source_settings().items() if "__CREDENTIALS__" in k]
    code, out = _run(capsys)
    assert code == 0, out
    issued = "ya29.sandbox-access-"  # every access token the fake OAuth endpoint hands out
    for secret in [*secrets, issued]:
        assert secret not in out
    warehouse = Warehouse("duckdb:///.funnelhouse/warehouse.duckdb")
    text_columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in warehouse.rows(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns WHERE data_type = 'VARCHAR'"
    ):
        text_columns.setdefault((schema, table), []).append(f'coalesce("{column}", \'\')')
    assert len(text_columns) > 10
    needles = [*secrets, issued]
    params = {f"s{i}": needle for i, needle in enumerate(needles)}
    for (schema, table), columns in text_columns.items():
        haystack = " || '|' || ".join(columns)
        condition = " OR ".join(f"position(:{name} IN {haystack}) > 0" for name in params)
        hits = warehouse.scalar(f"SELECT count(*) FROM {schema}.{table} WHERE {condition}", **params)
        assert hits == 0, f"a credential was found in {schema}.{table}"
    # Dagster's run and event storage, and dlt's working files.
    for path in [*(tmp_path / "dagster").rglob("*"), *(tmp_path / ".funnelhouse" / "dlt").rglob("*")]:
        if path.is_file():
            data = path.read_bytes()
            for secret in [*secrets, issued]:
                assert secret.encode() not in data, f"{secret[:4]}... found in {path}"


@pytest.mark.postgres
def test_run_on_postgres_with_vendor_faults_is_exact_and_idempotent(
    project: SandboxServer, postgres_url: str, monkeypatch, capsys
):
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", postgres_url)
    project.state.faults.chaos = True
    project.state.faults.every = 4
    code, out = _run(capsys)
    assert code == 0, out
    assert f"checks: {CHECKS} passed, 0 failed" in out, out
    warehouse = Warehouse(postgres_url)
    _assert_exact_totals(warehouse, project.state.world)
    first = _snapshot(warehouse)
    code, out = _run(capsys)
    assert code == 0, out
    assert _snapshot(warehouse) == first


def test_failed_step_or_gate_leaves_marts_at_the_previous_version(project: SandboxServer, capsys):
    code, out = _run(capsys)
    assert code == 0, out
    warehouse = Warehouse("duckdb:///.funnelhouse/warehouse.duckdb")
    before = _snapshot(warehouse)

    # A vendor outage that outlasts the retries fails its step; nothing downstream is published.
    project.state.faults.push("google_analytics", "unavailable", times=20)
    code, out = _run(capsys)
    assert code == 1, out
    assert "step failed: ingest_google_analytics" in out and "gave up after 6 attempts" in out
    assert "published: nothing; marts keep their previous version" in out
    assert _snapshot(warehouse) == before
    project.state.faults.clear()

    project.state.world.negative_spend = True
    code, out = _run(capsys)
    assert code == 1, out
    assert "[BLOCKING] marts_candidate/campaign_performance_daily quality_gate" in out
    assert "expect_column_values_to_be_between on spend: 1 unexpected rows" in out
    assert "'campaign_id': '20000000001'" in out  # a sample offending row
    assert "published: nothing; marts keep their previous version" in out
    assert _snapshot(warehouse) == before
    # The bad row did reach the candidate, out of sight: that is what the gate is for.
    assert warehouse.scalar("SELECT min(spend) FROM marts_candidate.campaign_performance_daily") < 0


def test_missing_setting_fails_fast_naming_the_key_not_the_value(project: SandboxServer, monkeypatch, capsys):
    monkeypatch.delenv("SOURCES__HUBSPOT__CREDENTIALS__ACCESS_TOKEN")
    secret = project.source_settings()["SOURCES__GOOGLE_ADS__CREDENTIALS__CLIENT_SECRET"]
    code, err = _run(capsys)
    assert code == 2
    assert "hubspot" in err and "ACCESS_TOKEN" in err
    assert secret not in err
