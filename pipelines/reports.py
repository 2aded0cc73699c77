"""What `funnelhouse demo` prints from the published marketing marts, beside the run's summary:
plan against actual, and the campaign names that break the naming convention. Each reads
`marts.*` as a BI tool would."""

from __future__ import annotations

from warehouse import Warehouse


def _rule(header: str) -> str:
    return "-" * len(header)


def budget_pacing(warehouse: Warehouse) -> str:
    """The current month's plans (the month of the as-of day), each with its pacing and status."""
    rows = warehouse.rows(
        """
        select campaign, currency_code, budget, spend_to_date, expected_spend_to_date, pacing,
               projected_spend, status, plan_month, as_of_date
        from marts.budget_pacing
        where plan_month = (select max(plan_month) from marts.budget_pacing where days_elapsed > 0)
        order by case status when 'over' then 0 when 'under' then 1 when 'on_track' then 2 else 3 end, campaign
        """
    )
    if not rows:
        return "Budget pacing (marts.budget_pacing): no plan for a month with delivery yet"
    month, as_of = rows[0][8], rows[0][9]
    header = (f"{'campaign':<32} {'cur':<4} {'budget':>10} {'spent':>10} {'expected':>10} {'pacing':>7} "
              f"{'projected':>10}  status")
    lines = [f"Budget pacing for {month:%B %Y} as of {as_of}, in each plan's currency (marts.budget_pacing)",
             header, _rule(header)]
    for campaign, cur, budget, spent, expected, pacing, projected, status, _, _ in rows:
        shown = f"{pacing:>6.0%}" if pacing is not None else f"{'-':>6}"
        lines.append(f"{campaign[:32]:<32} {cur:<4} {float(budget):>10,.0f} {float(spent):>10,.0f} "
                     f"{float(expected):>10,.0f} {shown:>7} "
                     f"{(float(projected) if projected is not None else float('nan')):>10,.0f}  {status}")
    counts = {s: sum(1 for r in rows if r[7] == s) for s in ("on_track", "under", "over")}
    lines.append(f"{counts['on_track']} on track, {counts['under']} under, {counts['over']} over "
                 "(over beyond the tolerance raises a warning)")
    return "\n".join(lines)


def naming_violations(warehouse: Warehouse, limit: int = 15) -> str:
    """Each platform campaign whose name breaks the naming convention, with the parts it breaks."""
    rows = warehouse.rows(
        """
        select platform, campaign_name, part, coalesce(value, ''), violation, naming_template
        from marts.campaign_naming_violations
        order by campaign_name, platform, part
        """
    )
    campaigns = warehouse.rows("select count(*), count(case when not naming_valid then 1 end) from marts.dim_campaign")
    total, broken = campaigns[0]
    if not rows:
        return f"Naming convention: all {total} campaign keys keep it (marts.campaign_naming_violations is empty)"
    header = f"{'platform':<14} {'campaign name':<34} {'part':<8} violation"
    lines = [f"Naming violations against {rows[0][5]!r}: {broken} of {total} campaign keys break it "
             "(marts.campaign_naming_violations)", header, _rule(header)]
    for platform, name, part, _, violation, _ in rows[:limit]:
        lines.append(f"{platform:<14} {(name or '')[:34]:<34} {part:<8} {violation}")
    if len(rows) > limit:
        lines.append(f"... and {len(rows) - limit} more")
    return "\n".join(lines)
