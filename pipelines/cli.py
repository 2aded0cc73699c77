"""The `funnelhouse` command: run, sandbox, demo, dev."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from connectors.common.errors import ConfigurationError
from connectors.registry import ENABLED_ENV, source_names
from warehouse.settings import SettingError

SANDBOX_OVERRIDES = Path(__file__).resolve().parent.parent / "sandbox" / "campaign_key_overrides.csv"


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _window(start: date | None, end: date | None) -> tuple[date, date]:
    from pipelines.window import yesterday

    end = end or yesterday()
    start = start or end
    if start > end:
        raise SystemExit(f"funnelhouse: --start-date {start} is after --end-date {end}")
    return start, end


def cmd_run(args: argparse.Namespace) -> int:
    from pipelines.run import run

    start, end = _window(args.start_date, args.end_date)
    try:
        summary = run(start, end, args.sources, full_refresh=args.full_refresh)
    except (ConfigurationError, SettingError, ValueError) as exc:
        print(f"funnelhouse: {exc}", file=sys.stderr)
        return 2
    print(summary.render())
    return 0 if summary.ok else 1


def cmd_sandbox(args: argparse.Namespace) -> int:
    from sandbox.faults import Faults
    from sandbox.server import SandboxServer
    from sandbox.world import World

    if args.history_days < 1 or args.ad_group_scale < 1:
        print("funnelhouse: --history-days and --ad-group-scale must be at least 1", file=sys.stderr)
        return 2
    settings = {"today": args.today} if args.today else {}
    world = World(**settings, history_days=args.history_days, ad_group_scale=args.ad_group_scale,
                  negative_spend=args.negative_spend)
    server = SandboxServer(port=args.port, world=world, faults=Faults(chaos=args.faults), record=args.record)
    if args.warm:
        server.warm()
    # With --port 0 this line is how a caller (the benchmark) learns the port, so it is flushed at once.
    print(f"sandbox serving on {server.url} (faults {'on' if args.faults else 'off'}, today {world.today}, "
          f"{world.history_days} days of history, ad group scale {world.ad_group_scale}"
          f"{', recording requests' if args.record else ''}); point the sources at it with:", flush=True)
    for key, value in server.source_settings().items():
        print(f"export {key}={value}")
    # Ends the list for a caller reading it (the benchmark); a shell evaluating it skips a comment.
    print("# Ctrl-C stops the sandbox", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def _start_sandbox_env(port: int = 0) -> object:
    from sandbox.server import SandboxServer

    server = SandboxServer(port=port).start()
    os.environ.update(server.source_settings())
    os.environ.setdefault("FUNNELHOUSE_CAMPAIGN_KEY_OVERRIDES", str(SANDBOX_OVERRIDES))
    return server


def _in_words(names: list[str]) -> str:
    return " and ".join(filter(None, [", ".join(names[:-1]), *names[-1:]]))


def cmd_demo(args: argparse.Namespace) -> int:
    from connectors.registry import spec
    from pipelines.run import run
    from pipelines.window import yesterday

    server = _start_sandbox_env()
    print(f"sandbox: fake {_in_words([spec(name).label for name in server.sources])} APIs on {server.url}")
    end = yesterday()
    start = end - timedelta(days=args.days - 1)
    # The demo shows everything funnelhouse does: every registered source, whatever the deployment enables.
    os.environ[ENABLED_ENV] = ",".join(source_names())
    try:
        summary = run(start, end)
    finally:
        server.stop()
    print(summary.render())
    if not summary.ok:
        return 1
    print()
    print(spend_by_platform(start, end))
    print()
    print(top_campaigns_by_roas(start, end))
    print()
    print(marketing_reports(start, end))
    print()
    print(quality_summary(summary))
    return 0


def marketing_reports(start: date, end: date) -> str:
    """Plan against actual, attribution across the models and naming governance, from the published
    marts."""
    from pipelines import reports
    from warehouse import Warehouse, load_settings

    warehouse = Warehouse(load_settings().warehouse_url)
    return "\n\n".join((reports.budget_pacing(warehouse), reports.attribution_comparison(warehouse, start, end),
                         reports.naming_violations(warehouse)))


def quality_summary(summary: object) -> str:
    """The run's quality on one screen: what ran, each warning in a line, what was set aside."""
    lines = ["Quality (docs/oncall.md says what each check means and what to do)", *summary.quality_lines()]
    for check in summary.checks:
        if not check.passed:
            first = (check.errors or [f["description"] for f in check.failures] or [check.description] or [""])[0]
            lines.append(f"  {'BLOCKING' if check.severity == 'ERROR' else 'warning'} {check.asset} {check.check}: "
                         f"{first[:100]}")
    if not any(not c.passed for c in summary.checks):
        lines.append("  every check and monitor passed")
    return "\n".join(lines)


def spend_by_platform(start: date, end: date) -> str:
    """Each platform's spend over the run's window, in its accounts' currencies and in the reporting one."""
    from warehouse import Warehouse, load_settings

    warehouse = Warehouse(load_settings().warehouse_url)
    rows = warehouse.rows(
        """
        select platform, currency_code, max(reporting_currency), sum(spend), sum(spend_reporting),
               sum(impressions), sum(clicks)
        from marts.campaign_performance_daily
        where date_day between :start and :end
        group by platform, currency_code
        order by platform, currency_code
        """,
        start=start, end=end,
    )
    header = f"{'platform':<14} {'cur':<4} {'spend':>14} {'reporting':>18} {'impressions':>13} {'clicks':>10}"
    lines = [f"Spend by platform and account currency, {start} to {end} (marts.campaign_performance_daily)",
             header, "-" * len(header)]
    for platform, cur, reporting, spend, spend_reporting, impressions, clicks in rows:
        lines.append(f"{platform:<14} {cur:<4} {float(spend):>14,.2f} {reporting:>4} {float(spend_reporting):>13,.2f} "
                     f"{int(impressions):>13,} {int(clicks):>10,}")
    return "\n".join(lines)


def top_campaigns_by_roas(start: date, end: date, limit: int = 10) -> str:
    """Totals over the run's window only: the mart also holds deals closed long before it."""
    from warehouse import Warehouse, load_settings

    warehouse = Warehouse(load_settings().warehouse_url)
    rows = warehouse.rows(
        """
        select campaign_key, max(reporting_currency), sum(spend) as spend, sum(revenue) as revenue,
               sum(clicks) as clicks, sum(sessions) as sessions, sum(leads) as leads, sum(deals_won) as deals_won,
               cast(sum(revenue) as double) / nullif(cast(sum(spend) as double), 0) as roas
        from marts.campaign_kpis_daily
        where date_day between :start and :end
        group by campaign_key
        order by roas desc nulls last
        limit :limit
        """,
        start=start, end=end, limit=limit,
    )
    header = f"{'campaign':<30} {'cur':<4} {'spend':>12} {'revenue':>12} {'ROAS':>6} {'clicks':>9} {'sessions':>9} {'leads':>6} {'won':>5}"
    lines = [f"Top campaigns by ROAS, {start} to {end}, in the reporting currency (marts.campaign_kpis_daily, "
             f"{warehouse.safe_url})", header, "-" * len(header)]
    for key, cur, spend, revenue, clicks, sessions, leads, won, roas in rows:
        lines.append(f"{key:<30} {cur:<4} {float(spend):>12,.2f} {float(revenue):>12,.2f} "
                     f"{(roas if roas is not None else float('nan')):>6.2f} {int(clicks):>9,} {int(sessions):>9,} "
                     f"{int(leads):>6,} {int(won):>5,}")
    return "\n".join(lines)


def cmd_dev(args: argparse.Namespace) -> int:
    from pipelines.run import deployment_settings, ensure_dagster_home

    # Started from make or a script, this process may inherit SIGINT as ignored; Ctrl-C must work.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    server = _start_sandbox_env(args.sandbox_port)
    ensure_dagster_home()
    print(f"sandbox on {server.url}; Dagster UI on http://{args.host}:{args.port} (Ctrl-C stops both)", flush=True)

    def restore_signals() -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    dagster = Path(sys.executable).with_name("dagster")
    child = subprocess.Popen(
        [str(dagster), "dev", "-w", "workspace.yaml", "-h", args.host, "-p", str(args.port)],
        env={**os.environ, **deployment_settings()}, preexec_fn=restore_signals,
    )
    signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGINT))
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        try:
            return child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            return 130
    finally:
        server.stop()


def cmd_docs(args: argparse.Namespace) -> int:
    from pipelines import docs

    if args.check:
        drifted = docs.drifted()
        for path in drifted:
            print(f"funnelhouse: {path.relative_to(docs.ROOT)} is out of date with the specs and contracts; "
                  "run `funnelhouse docs`", file=sys.stderr)
        return 1 if drifted else 0
    for path in docs.write():
        print(f"rewrote {path.relative_to(docs.ROOT)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="funnelhouse", description="Marketing data platform: ingest, model, gate, publish.")
    sub = parser.add_subparsers(dest="command", required=True)

    run_p = sub.add_parser("run", help="ingest a date window, build every model, run the gate, publish")
    run_p.add_argument("--start-date", type=_date, help="first day (default: the end date)")
    run_p.add_argument("--end-date", type=_date, help="last day (default: yesterday, UTC)")
    run_p.add_argument("--full-refresh", action="store_true",
                       help="rebuild every model whole, over all history, not only the window's days")
    run_p.add_argument("--sources", help="comma list of enabled sources to ingest (default: every enabled source); "
                                         "the models build on what earlier runs loaded for the others")
    run_p.set_defaults(func=cmd_run)

    sb = sub.add_parser("sandbox", help="serve the fake vendor APIs")
    sb.add_argument("--port", type=int, default=8765)
    sb.add_argument("--faults", action="store_true", help="inject each vendor's documented retryable faults")
    sb.add_argument("--negative-spend", action="store_true",
                    help="serve the first campaign of every ad platform with a negative cost yesterday")
    sb.add_argument("--today", type=_date, help="the world's today, YYYY-MM-DD (default: today, UTC)")
    sb.add_argument("--history-days", type=int, default=400, help="days of history before today (default: 400)")
    sb.add_argument("--ad-group-scale", type=int, default=1,
                    help="split every campaign into N times more ad groups, same totals (default: 1)")
    sb.add_argument("--record", action="store_true",
                    help="keep every vendor request for replay: GET /_sandbox/requests?full=1")
    sb.add_argument("--warm", action="store_true",
                    help="compute campaign totals and CRM records before serving, so first requests are not slower")
    sb.set_defaults(func=cmd_sandbox)

    demo = sub.add_parser("demo", help="start the sandbox, run the last 90 days, print top campaigns by ROAS")
    demo.add_argument("--days", type=int, default=90)
    demo.set_defaults(func=cmd_demo)

    dev = sub.add_parser("dev", help="dagster dev with the sandbox serving")
    dev.add_argument("--host", default="127.0.0.1")
    dev.add_argument("--port", type=int, default=3000)
    dev.add_argument("--sandbox-port", type=int, default=8765)
    dev.set_defaults(func=cmd_dev)
    docs_p = sub.add_parser("docs", help="regenerate the README's source and contract sections and .dlt/example.*.toml")
    docs_p.add_argument("--check", action="store_true", help="only report files that are out of date (exit 1)")
    docs_p.set_defaults(func=cmd_docs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.monotonic()
    code = args.func(args)
    if args.command in ("run", "demo"):
        print(f"({time.monotonic() - started:.1f}s)", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
