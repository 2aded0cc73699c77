"""results.json (every scale's latest figures, kept side by side) and the markdown table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"
TABLE = Path(__file__).resolve().parent / "results.md"


def load() -> dict[str, Any]:
    if RESULTS.exists():
        return json.loads(RESULTS.read_text())
    return {}


def save(results: dict[str, Any]) -> None:
    RESULTS.write_text(json.dumps(results, indent=2, default=str) + "\n")


def _num(value: float, unit: str) -> str:
    if unit == "rows/s":
        return f"{value:,.0f} rows/s"
    if unit == "bytes":
        return f"{value / 2**20:,.0f} MiB"
    return f"{value:,.2f} s"


def markdown(scale: str, run: dict[str, Any]) -> str:
    lines = [
        f"### SCALE={scale}: {run['rows']['ad_group_rows']:,} ad-group rows, {run['rows']['total']:,} raw rows, "
        f"{run['history_days']} days ({run['machine']})",
        "",
        "| figure | ours | limit | ratio | target | met |",
        "|---|---:|---:|---:|---:|:---:|",
    ]
    for fig in run["figures"]:
        op = "≥" if fig["higher_is_better"] else "≤"
        ratio = "n/a" if fig["ratio"] is None else f"{fig['ratio']:.3g}"
        met = {True: "yes", False: "**no**", None: "n/a"}[fig["met"]]
        limit = _num(fig["limit"], fig["unit"]) if fig["limit"] else "n/a"
        lines.append(f"| {fig['name']} | {_num(fig['ours'], fig['unit'])} | {limit} | {ratio} | {op} {fig['target']:g} | {met} |")
    for phase in ("daily_run", "backfill"):
        if phase in run and run[phase].get("steps"):
            steps = sorted(run[phase]["steps"].items(), key=lambda item: -item[1])
            lines += ["", f"{phase.replace('_', ' ')} by step ({run[phase]['run_seconds']:.1f} s in all, "
                          f"{run[phase]['peak_rss_bytes'] / 2**20:,.0f} MiB peak): "
                          + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps)]
    return "\n".join(lines)
