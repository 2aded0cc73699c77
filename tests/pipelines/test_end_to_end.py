"""`funnelhouse run` end to end against the sandbox, on DuckDB and PostgreSQL: every source, each
source alone on a fresh warehouse, a backfill months in the past, reruns, vendor faults, and bad
rows that hold back only the marts built from them."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
import requests

from connectors import registry
from pipelines import cli, reports
from pipelines.definitions import build_definitions
from sandbox import ad_spend_files, campaign_plans, fx_rates
from sandbox.server import SandboxServer
from sandbox.world import World, ads, crm, salesforce, web
from tests.conftest import TODAY
from transforms.contracts import marts
from warehouse import Warehouse
from warehouse.engine import kept

END = TODAY - timedelta(days=1)
START = END - timedelta(days=13)
MARTS = tuple(marts())
ADS_MARTS = {"campaign_performance_daily", "ad_group_performance_daily", "ad_performance_daily", "campaign_kpis_daily"}
SPECS = registry.specs()
# Every check of every layer a run of every source evaluates: the gates, the staging checks and the
# monitors, as the definitions declare them.
CHECKS = len(build_definitions(tuple(SPECS)).resolve_asset_graph().asset_check_keys)
DUCKDB = "duckdb:///.funnelhouse/warehouse.duckdb"
pytestmark = pytest.mark.slow


def _run(capsys: pytest.CaptureFixture, *extra: str, start: date = START, end: date = END) -> tuple[int, str]:
    code = cli.main(["run", "--start-date", start.isoformat(), "--end-date", end.isoformat(), *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _snapshot(warehouse: Warehouse, names: tuple[str, ...] = MARTS) -> dict[str, list[str]]:
    return {name: sorted(map(repr, warehouse.rows(f"SELECT * FROM marts.{name}"))) for name in names}


def _fetched(source: str) -> tuple[date, date]:
    """The days a windowed source fetched for START..END: the window widened by its lookback."""
    return min(START, END - timedelta(days=SPECS[source].lookback_days - 1)), END


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _expected_spend(world: World) -> dict[tuple[str, str], Decimal]:
    """Exact spend per ad platform and account from the world, over what each platform fetched."""
    totals: dict[tuple[str, str], Decimal] = {}
    for platform in ads.platforms():
        for day in _days(*_fetched(platform.name)):
            for account in platform.accounts:
                for campaign in account.campaigns:
                    for ad_group in ads.ad_group_ids(world, campaign):
                        metrics = ads.ad_metrics(world, account, campaign, ad_group, day)
                        if metrics:
                            key = (platform.name, account.customer_id)
                            totals[key] = totals.get(key, Decimal(0)) + Decimal(metrics.cost_micros) / 1_000_000
    return totals


def _usd_rate(world: World, currency: str, day: date) -> Decimal:
    """USD per unit of the currency on the day, by hand from the ECB fake's rates: the latest rate
    set on or before the day, crossed through the euro, to 12 decimals."""
    def per_eur(code: str) -> Decimal:
        if code == "EUR":
            return Decimal(1)
        for back in range(8):
            rate = fx_rates.rate(world, code, day - timedelta(days=back))
            if rate is not None:
                return rate
        raise AssertionError(f"no {code} rate within 7 days before {day}")

    return (per_eur("USD") / per_eur(currency)).quantize(Decimal("1e-12"), rounding=ROUND_HALF_UP)


def _expected_by_account(world: World) -> dict[tuple[str, str], tuple[int, int, Decimal]]:
    """Exact impressions and clicks, and spend in USD (each campaign day at its day's rate, weekends
    included), per ad platform and account over what each platform fetched."""
    totals: dict[tuple[str, str], tuple[int, int, Decimal]] = {}
    for platform in ads.platforms():
        for day in _days(*_fetched(platform.name)):
            for account in platform.accounts:
                rate = _usd_rate(world, account.currency_code, day)
                key = (platform.name, account.customer_id)
                for campaign in account.campaigns:
                    total = ads.campaign_day(world, account, campaign, day)
                    if total:
                        impressions, clicks, usd = totals.get(key, (0, 0, Decimal(0)))
                        spend_usd = (Decimal(total[2]) / 1_000_000 * rate).quantize(
                            Decimal("1e-6"), rounding=ROUND_HALF_UP)
                        totals[key] = (impressions + total[0], clicks + total[1], usd + spend_usd)
    return totals


def _expected_from_files(world: World) -> dict[tuple[str, str], tuple[int, int, Decimal, Decimal]]:
    """The spend files' platforms: impressions, clicks, spend, and spend in USD (each campaign day at
    its day's rate) per platform and account, from every row of the files whatever the window."""
    totals: dict[tuple[str, str], tuple[int, int, Decimal, Decimal]] = {}
    for r in ad_spend_files.campaign_days(world):
        key = (r.platform, r.account.customer_id)
        impressions, clicks, spend, usd = totals.get(key, (0, 0, Decimal(0), Decimal(0)))
        spend_usd = (r.spend * _usd_rate(world, r.account.currency_code, r.day)).quantize(
            Decimal("1e-6"), rounding=ROUND_HALF_UP)
        totals[key] = (impressions + r.impressions, clicks + r.clicks, spend + r.spend, usd + spend_usd)
    return totals


def _assert_exact_totals(warehouse: Warehouse, world: World) -> None:
    actual = warehouse.rows(
        "SELECT platform, account_id, sum(spend), sum(impressions), sum(clicks), sum(spend_reporting), "
        "min(reporting_currency) FROM marts.campaign_performance_daily GROUP BY platform, account_id"
    )
    files = _expected_from_files(world)
    assert {(p, a): Decimal(v) for p, a, v, *_ in actual} == {
        **_expected_spend(world), **{k: v[2] for k, v in files.items()}}
    expected = {**_expected_by_account(world), **{k: (i, c, usd) for k, (i, c, _, usd) in files.items()}}
    assert {(p, a): (int(i), int(c)) for p, a, _, i, c, *_ in actual} == {k: v[:2] for k, v in expected.items()}
    assert {p for p, *_ in actual} == {platform.name for platform in ads.platforms()} | {"tiktok_ads", "microsoft_ads"}
    # In USD, by hand over the ECB rates; each row rounds to the cent's ten-thousandth on its own.
    for platform, account, *_, spend_usd, reporting in actual:
        assert reporting == "USD"
        assert abs(Decimal(spend_usd) - expected[(platform, account)][2]) <= Decimal("0.000001") * 500, (platform, account)
    currencies = {currency for (currency,) in warehouse.rows(
        "SELECT DISTINCT currency_code FROM marts.campaign_performance_daily")}
    assert {"EUR", "GBP", "USD"} <= currencies
    # One row per day and campaign key, whatever the currencies of the accounts behind it.
    assert warehouse.scalar(
        "SELECT count(*) FROM (SELECT date_day, campaign_key FROM marts.campaign_kpis_daily "
        "GROUP BY date_day, campaign_key HAVING count(*) > 1) d") == 0
    spread = warehouse.scalar(
        "SELECT count(DISTINCT currency_code) FROM marts.campaign_performance_daily WHERE campaign_key = 'summer_sale_us'")
    assert spread >= 2
    assert warehouse.scalar(
        "SELECT sum(spend) FROM marts.campaign_kpis_daily WHERE campaign_key = 'summer_sale_us'") == warehouse.scalar(
        "SELECT sum(spend_reporting) FROM marts.campaign_performance_daily WHERE campaign_key = 'summer_sale_us'")
    web_days = _days(*_fetched("google_analytics"))
    assert warehouse.scalar("SELECT sum(sessions) FROM marts.web_traffic_daily") == \
        sum(r["sessions"] for day in web_days for r in web.rows(world, day))
    # The sessions GA4 knows as HubSpot contacts (the sandbox sets the contact id dimension), which
    # attribution counts as touches of those contacts' deals.
    assert warehouse.scalar("SELECT sum(sessions) FROM staging.stg_google_analytics__contact_sessions") == sum(
        r["sessions"] for day in web_days for r in web.contact_rows(world, day) if r["contact"] != web.NOT_SET) > 0
    assert warehouse.scalar("SELECT count(DISTINCT deal_id) FROM intermediate.int_attribution_weights "
                            "WHERE touch_type = 'web_session' AND source_system = 'hubspot'") > 0
    # Both CRMs' deals, each by its own ids; Salesforce's deleted opportunities are not among them.
    opportunities = salesforce.org(world).opportunities
    live = [o for o in opportunities if not o.is_deleted]
    assert dict(warehouse.rows("SELECT source_system, count(*) FROM marts.crm_deals GROUP BY source_system")) == {
        "hubspot": len(crm.deals(world)), "salesforce": len(live)}
    assert Decimal(warehouse.scalar(
        "SELECT sum(amount) FROM marts.crm_deals WHERE source_system = 'salesforce' AND is_won")) == \
        sum(o.amount for o in live if o.is_won)
    deleted = [o.id for o in opportunities if o.is_deleted]
    assert deleted and not {deal for (deal,) in warehouse.rows(
        "SELECT deal_id FROM marts.crm_deals WHERE source_system = 'salesforce'")} & set(deleted)
    assert warehouse.scalar(
        "SELECT count(*) FROM (SELECT deal_id FROM marts.crm_deals GROUP BY deal_id HAVING count(*) > 1) d"
    ) == 0
    # Every plan row of the plan files, each the current version of its campaign and month.
    plans = campaign_plans.plan_rows(world)
    assert warehouse.scalar("SELECT count(*) FROM marts.campaign_plans WHERE valid_to IS NULL") == len(plans)
    assert Decimal(warehouse.scalar(
        "SELECT sum(budget) FROM marts.campaign_plans WHERE valid_to IS NULL")) == sum(r.budget for r in plans)
    # The overrides mapping joins the remarketing campaign whose name differs from its utm_campaign.
    assert warehouse.scalar(
        "SELECT sum(sessions) FROM marts.campaign_kpis_daily WHERE campaign_key = 'remarketing_q4'"
    ) > 0
    _assert_marketing_model(warehouse, world)
    _assert_funnel_and_cohorts(warehouse, world)


def _violations(name: str) -> set[str]:
    """The parts of a name that break the default convention `{offer} | {tactic} | {region}`,
    worked out here independently of the SQL."""
    parts = [p.strip() for p in name.split(" | ")]
    allowed = {"tactic": {"search", "shopping", "prospecting", "retargeting", "remarketing", "video", "display"},
               "region": {"us", "uk", "de", "eu"}}
    broken = set()
    for position, part in enumerate(("offer", "tactic", "region")):
        value = parts[position] if position < len(parts) else ""
        if not value or (part in allowed and value.lower() not in allowed[part]):
            broken.add(part)
    if len(parts) > 3:
        broken.add("region")
    return broken


def _assert_marketing_model(warehouse: Warehouse, world: World) -> None:
    """Naming governance and pacing against the world's names and plans."""
    latest = warehouse.rows("""
        SELECT platform, campaign_id, campaign_name FROM (
            SELECT platform, campaign_id, campaign_name,
                   row_number() OVER (PARTITION BY platform, account_id, campaign_id
                                      ORDER BY date_day DESC, campaign_name) AS recency
            FROM marts.campaign_performance_daily) AS c
        WHERE recency = 1""")
    expected = {(platform, cid, part) for platform, cid, name in latest for part in _violations(name)}
    assert expected and {tuple(r) for r in warehouse.rows(
        "SELECT platform, campaign_id, part FROM marts.campaign_naming_violations")} == expected
    plans = campaign_plans.plan_rows(world)
    assert warehouse.scalar("SELECT count(*) FROM marts.budget_pacing") == len(plans)
    assert Decimal(warehouse.scalar("SELECT sum(budget) FROM marts.budget_pacing")) == sum(r.budget for r in plans)
    as_of = warehouse.scalar("SELECT max(date_day) FROM marts.campaign_performance_daily")
    rows = warehouse.rows("""
        SELECT campaign_key, plan_month, as_of_date, days_in_month, days_elapsed, currency_code, budget,
               spend_to_date, expected_spend_to_date, status FROM marts.budget_pacing""")
    assert {r[9] for r in rows} <= {"on_track", "under", "over", "not_started"} and {r[2] for r in rows} == {as_of}
    checked = 0
    for key, month, _, days, elapsed, currency, budget, spent, expected_spend, status in rows:
        last = min(as_of, (month + timedelta(days=days - 1)))
        assert elapsed == max(0, (last - month).days + 1)
        # Linear pacing, the default profile.
        assert expected_spend == (budget * elapsed / days).quantize(Decimal("0.000001"), ROUND_HALF_UP)
        if expected_spend:
            ratio = spent / expected_spend
            assert status == ("over" if ratio > Decimal("1.1") else "under" if ratio < Decimal("0.9") else "on_track")
        accounts = warehouse.rows(
            "SELECT DISTINCT currency_code FROM marts.campaign_performance_daily WHERE campaign_key = :key", key=key)
        if elapsed and accounts == [(currency,)]:
            # Every account of the key in the plan's currency: spend to date is exactly the ads' own.
            assert spent == Decimal(warehouse.scalar(
                "SELECT coalesce(sum(spend), 0) FROM marts.campaign_performance_daily WHERE campaign_key = :key "
                "AND date_day BETWEEN :first AND :last", key=key, first=month, last=last))
            checked += 1
    assert checked


def _assert_funnel_and_cohorts(warehouse: Warehouse, world: World) -> None:
    """Every CRM person is one lead of the funnel and every customer one member of a cohort, with all
    the revenue of its won deals; the funnel's traffic is all of the ads' and web's."""
    org = salesforce.org(world)
    people = len(crm.contacts(world)) + len(org.contacts) + sum(not lead.is_converted for lead in org.leads)
    assert warehouse.scalar("SELECT sum(leads) FROM marts.funnel_monthly") == people
    won = {o.id for o in org.opportunities if o.is_won and not o.is_deleted}
    customers = {("hubspot", d.contact_id) for d in crm.deals(world) if d.is_won} | {
        ("salesforce", r.contact_id) for r in org.roles if r.opportunity_id in won and not r.is_deleted}
    # Won in the funnel: exactly the customers (no Salesforce Lead Status maps to won by default).
    assert warehouse.scalar("SELECT sum(won) FROM marts.funnel_monthly") == len(customers)
    assert warehouse.scalar(
        "SELECT sum(customers) FROM marts.customer_cohorts WHERE months_since_acquisition = 0") == len(customers)
    # The world's history is shorter than the horizon: every won deal's revenue is in a cohort month.
    assert warehouse.scalar("SELECT sum(revenue) FROM marts.customer_cohorts") == warehouse.scalar(
        "SELECT sum(amount_reporting) FROM marts.crm_deals WHERE is_won")
    # Customers who bought again keep some cohorts' later months active.
    assert warehouse.scalar("SELECT sum(active_customers) FROM marts.customer_cohorts "
                            "WHERE months_since_acquisition > 0") > 0
    for measure, mart in (("impressions", "campaign_performance_daily"), ("sessions", "web_traffic_daily")):
        assert warehouse.scalar(f"SELECT sum({measure}) FROM marts.funnel_monthly") == warehouse.scalar(
            f"SELECT sum({measure}) FROM marts.{mart}"), measure


def _run_id(out: str) -> str:
    """The run's id as the summary shows it (its first 8 characters)."""
    return out.split("funnelhouse run ", 1)[1].split(":", 1)[0]


def _published_once(capsys: pytest.CaptureFixture) -> tuple[Warehouse, dict[str, list[str]]]:
    """A first, clean run on DuckDB: its warehouse and its published marts."""
    code, out = _run(capsys)
    assert code == 0, out
    warehouse = Warehouse(DUCKDB)
    return warehouse, _snapshot(warehouse)


def _held_back(out: str) -> set[str]:
    """The marts the summary says were held back."""
    return {line.split("held back: marts.")[1].split(" ")[0] for line in out.splitlines() if "held back: " in line}


def _published_by(warehouse: Warehouse, run_id: str) -> set[str]:
    return {mart for mart, run in warehouse.rows("SELECT mart, run_id FROM audit.publications") if run.startswith(run_id)}


def _assert_no_secret(project: SandboxServer, out: str, warehouse: Warehouse, tmp_path, data_docs_dir) -> None:
    """No configured credential, nor any token the fakes issued, in the run's output, any text column
    of the warehouse, Dagster's run and event storage, dlt's working files or the checks' Data Docs."""
    secrets = [v for k, v in project.source_settings().items() if "__CREDENTIALS__" in k]
    issued = "ya29.sandbox-access-"  # every access token the fake OAuth endpoint hands out
    for secret in [*secrets, issued]:
        assert secret not in out
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
    # Dagster's run and event storage, dlt's working files, and the checks' Data Docs.
    [run_docs] = data_docs_dir.glob(f"{_run_id(out)}*")
    docs = list(run_docs.rglob("*.html"))
    # A page per check evaluated on a table (the quarantine counts and first restatements have none).
    assert len(MARTS) < len(docs) <= CHECKS + 1 and run_docs / "index.html" in docs
    for path in [*(tmp_path / "dagster").rglob("*"), *(tmp_path / ".funnelhouse" / "dlt").rglob("*"), *docs]:
        if path.is_file():
            data = path.read_bytes()
            for secret in [*secrets, issued]:
                assert secret.encode() not in data, f"{secret[:4]}... found in {path}"


def test_run_on_duckdb_with_vendor_faults_is_exact_and_idempotent(project: SandboxServer, capsys, tmp_path,
                                                                  data_docs_dir):
    project.state.faults.chaos = True
    project.state.faults.every = 4
    project.state.faults.push("hubspot", "bad_amount")
    code, out = _run(capsys)
    assert code == 0, out
    assert "status: OK" in out and f"quality: {CHECKS} checks and monitors run: {CHECKS - 1} passed, 1 warnings, 0 blocking" in out
    # The unreadable amount is quarantined and flagged, naming record and field, without blocking.
    assert "[warning] raw_hubspot/quarantine nothing_quarantined" in out
    assert "'field': 'amount'" in out and "'raw_value': '12,50 EUR'" in out
    # Live progress: every step as it starts, and rows per source as they arrive.
    assert f"step 1: ingest_{next(iter(SPECS))} |" in out and " rows · google_analytics " in out
    assert "publish_crm_deals |" in out
    served = {fault for _, fault in project.state.faults.served()}
    # Chaos expires Salesforce sessions mid-sync too: one new session each, no batch lost or read twice.
    assert {"rate_limit", "unavailable", "expired_session"} <= served, served
    # The steps after ingestion shared one open DuckDB file; the run's end closed it.
    assert kept() == ()
    warehouse = Warehouse(DUCKDB)
    _assert_exact_totals(warehouse, project.state.world)
    # Tokens refreshed mid-sync (the chaos expires sessions) included.
    _assert_no_secret(project, out, warehouse, tmp_path, data_docs_dir)
    first = _snapshot(warehouse)
    # Each published mart records the run that published it, and from which sources.
    published = warehouse.rows("SELECT mart, run_id, sources FROM audit.publications ORDER BY mart")
    assert published == [(name, published[0][1], ",".join(SPECS)) for name in sorted(MARTS)]
    assert _run_id(out) == published[0][1][:8]

    # The demo's report covers the run's window only, though the mart holds older CRM revenue too.
    # One line per campaign key, however many platforms run the campaign.
    campaigns = len({paid.campaign.utm_campaign for paid in ads.paid_campaigns()})
    report = cli.top_campaigns_by_roas(START, END, limit=campaigns).splitlines()
    assert len(report) == 3 + campaigns  # title, header, rule, a line per campaign
    in_window = warehouse.scalar(
        "SELECT sum(revenue) FROM marts.campaign_kpis_daily WHERE date_day BETWEEN :s AND :e", s=START, e=END
    )
    reported = sum(Decimal(line.split()[3].replace(",", "")) for line in report[3:])
    assert abs(reported - Decimal(in_window)) < Decimal("0.1")
    # The demo's marketing reports: a line per plan of the month paced, and under every attribution
    # model the same revenue in all, the won revenue of the window's months.
    pacing = reports.budget_pacing(warehouse).splitlines()
    month = warehouse.scalar("SELECT max(plan_month) FROM marts.budget_pacing WHERE days_elapsed > 0")
    plans = warehouse.scalar("SELECT count(*) FROM marts.budget_pacing WHERE plan_month = :m", m=month)
    assert len(pacing) == 3 + plans + 1 and pacing[-1].endswith("(over beyond the tolerance raises a warning)")
    credited = reports.attribution_comparison(warehouse, START, END, limit=1000).splitlines()[3:]
    columns = [sum(Decimal(line.split()[-5 + i].replace(",", "")) for line in credited) for i in range(5)]
    won = Decimal(warehouse.scalar(
        "SELECT sum(amount_reporting) FROM marts.crm_deals WHERE is_won AND closed_at >= :first",
        first=START.replace(day=1)))
    assert all(abs(column - won) <= len(credited) for column in columns), (columns, won)
    assert reports.naming_violations(warehouse).startswith("Naming violations against '{offer} | {tactic} | {region}'")

    code, out = _run(capsys)
    assert code == 0, out
    assert f"quality: {CHECKS} checks and monitors run: {CHECKS} passed, 0 warnings, 0 blocking" in out
    assert _snapshot(warehouse) == first
    assert warehouse.scalar("SELECT count(DISTINCT run_id) FROM audit.publications") == 2

    # One source alone re-ingests only that source and republishes the same marts.
    code, out = _run(capsys, "--sources", "google_analytics")
    assert code == 0, out
    assert "sources google_analytics\n" in out and "google_ads" not in out.split("rows loaded:")[1].split("checks:")[0]
    assert _snapshot(warehouse) == first


@pytest.mark.postgres
def test_run_on_postgres_with_vendor_faults_is_exact_and_idempotent(
    project: SandboxServer, postgres_url: str, monkeypatch, capsys
):
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", postgres_url)
    project.state.faults.chaos = True
    project.state.faults.every = 4
    code, out = _run(capsys)
    assert code == 0, out
    assert f"quality: {CHECKS} checks and monitors run: {CHECKS} passed, 0 warnings, 0 blocking" in out, out
    warehouse = Warehouse(postgres_url)
    _assert_exact_totals(warehouse, project.state.world)
    first = _snapshot(warehouse)
    code, out = _run(capsys)
    assert code == 0, out
    assert _snapshot(warehouse) == first


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_negative_ads_row_is_quarantined_and_the_rest_published(project: SandboxServer, engine: str,
                                                                   monkeypatch, request, capsys):
    url = DUCKDB if engine == "duckdb" else request.getfixturevalue("postgres_url")
    monkeypatch.setenv("FUNNELHOUSE_WAREHOUSE_URL", url)
    warehouse = Warehouse(url)
    project.state.world.negative_spend = True
    code, out = _run(capsys)
    # A warning, not a failure: the row is set aside with its reason and every mart publishes.
    assert code == 0, out
    run_id = _run_id(out)
    assert _published_by(warehouse, run_id) == set(MARTS)
    first = {p.name: p.accounts[0].campaigns[0] for p in ads.platforms()}
    rows = warehouse.rows("SELECT quarantine_rule, quarantine_reason, record_key, run_id, campaign_id, spend "
                          "FROM quarantine.stg_google_ads__campaign_stats")
    assert len(rows) == 1, rows
    rule, reason, key, by_run, campaign_id, spend = rows[0]
    assert (rule, campaign_id) == ("non_negative:spend", first["google_ads"].campaign_id)
    assert by_run.startswith(run_id)
    assert spend < 0 and reason == f"spend is negative: {spend}"
    google = next(p for p in ads.platforms() if p.name == "google_ads")
    assert key == (f"account_id={google.accounts[0].customer_id}, "
                   f"campaign_id={first['google_ads'].campaign_id}, date_day={END}")
    # Each ad platform set its campaign's day aside, and the ad group and ad days under it.
    for platform in ads.platforms():
        assert warehouse.scalar(f"SELECT count(*) FROM quarantine.stg_{platform.name}__campaign_stats") == 1
        assert warehouse.scalar(f"SELECT count(*) FROM quarantine.stg_{platform.name}__ad_group_stats") >= 1
    assert "[warning] staging/stg_google_ads__campaign_stats rows_quarantined" in out
    assert f"quarantined: {_quarantined_rows(warehouse)}" in out
    published = "SELECT count(*) FROM marts.campaign_performance_daily WHERE campaign_id = :c AND date_day = :d"
    assert warehouse.scalar(published, c=first["google_ads"].campaign_id, d=END) == 0
    assert warehouse.scalar("SELECT min(spend) FROM marts.ad_group_performance_daily") >= 0

    # Fixed at the source: the rerun clears the quarantine and publishes the row.
    project.state.world.negative_spend = False
    code, out = _run(capsys)
    assert code == 0, out
    assert warehouse.scalar("SELECT count(*) FROM quarantine.stg_google_ads__campaign_stats") == 0
    assert warehouse.scalar(published, c=first["google_ads"].campaign_id, d=END) == 1
    assert "quarantined:" not in out
    _assert_exact_totals(warehouse, project.state.world)


def _quarantined_rows(warehouse: Warehouse) -> str:
    tables = warehouse.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'quarantine'")
    total = sum(warehouse.scalar(f"SELECT count(*) FROM quarantine.{name}") for (name,) in tables)
    return f"{total:,} rows set aside"


def test_after_a_clean_publish_an_outage_or_a_bad_crm_row_holds_back_only_what_it_touches(
        project: SandboxServer, monkeypatch, capsys):
    """One clean publication, then three runs that must not publish all of it: each starts from the
    marts the one before left."""
    warehouse, before = _published_once(capsys)

    # An outage that outlasts the retries fails its step; the models build in one step after every
    # ingestion, so no candidate is rebuilt and every mart keeps its previous version.
    project.state.faults.push("google_analytics", "unavailable", times=20)
    code, out = _run(capsys)
    assert code == 1, out
    assert "step failed: ingest_google_analytics" in out and "gave up after 6 attempts" in out
    assert "published: nothing; marts keep their previous version" in out
    for name in MARTS:
        assert (f"held back: marts.{name} keeps its previous version: its candidate was not rebuilt, since "
                "ingest_google_analytics failed") in out
    assert _snapshot(warehouse) == before
    project.state.faults.clear()

    # A won deal's amount turns negative. All or nothing: one mart's failed gate holds back every mart.
    world = project.state.world
    won = next(d for d in crm.deals(world) if d.is_won and d.currency_code == "USD")
    requests.post(f"{project.url}/_sandbox/hubspot/touch",
                  json={"object_type": "deals", "ids": [won.deal_id], "properties": {"amount": "-250.00"}},
                  timeout=10).raise_for_status()
    monkeypatch.setenv("FUNNELHOUSE_PUBLICATION", "all_or_nothing")
    code, out = _run(capsys)
    assert code == 1, out
    assert "published: nothing; marts keep their previous version" in out
    assert _snapshot(warehouse) == before
    assert not _published_by(warehouse, _run_id(out))

    # By mart, the default: the deal's mart and the KPIs, cohorts and attribution whose revenue it
    # lowers wait; the ad and web marts publish.
    monkeypatch.delenv("FUNNELHOUSE_PUBLICATION")
    code, out = _run(capsys)
    assert code == 1, out
    held = _held_back(out)
    assert "crm_deals" in held and held <= {"crm_deals", "campaign_kpis_daily", "customer_cohorts",
                                           "campaign_attribution_monthly"}
    assert _published_by(warehouse, _run_id(out)) == set(MARTS) - held
    assert warehouse.scalar("SELECT min(amount) FROM marts.crm_deals") >= 0


def test_missing_setting_fails_fast_naming_the_key_not_the_value(project: SandboxServer, monkeypatch, capsys):
    monkeypatch.delenv("SOURCES__HUBSPOT__CREDENTIALS__ACCESS_TOKEN")
    secret = project.source_settings()["SOURCES__GOOGLE_ADS__CREDENTIALS__CLIENT_SECRET"]
    code, err = _run(capsys)
    assert code == 2
    assert "hubspot" in err and "ACCESS_TOKEN" in err
    assert secret not in err


def test_a_source_not_enabled_is_refused_naming_the_setting(project: SandboxServer, monkeypatch, capsys):
    monkeypatch.setenv("FUNNELHOUSE_SOURCES", "google_ads")
    code, err = _run(capsys, "--sources", "hubspot")
    assert code == 2
    assert "hubspot" in err and "not enabled" in err and "FUNNELHOUSE_SOURCES" in err
