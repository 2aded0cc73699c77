"""Plan files: what their rows hold (a campaign's month of budget and targets), and the raw tables
they load into. Every version of a file is kept: a plan revised mid-month keeps its history."""

from __future__ import annotations

from connectors.common.files import Field, FileContract

SOURCE = "campaign_plans"
DEFAULT_GLOB = "*"
PMO_PHASES = ("initiation", "planning", "execution", "monitoring", "closed")

CONTRACT = FileContract(
    source=SOURCE,
    table="plans",
    day="plan_month",
    keep_versions=True,
    description="Plan rows of every version of every dropped plan file, one per file row: each version's rows "
                "stay, with its hash and modification time, so staging tells which held when.",
    fields=(
        Field("campaign", "text", True, "the campaign's name or its campaign key (the key derives from either)"),
        Field("plan_month", "month", True, "the month planned (YYYY-MM, or any day of it in a date format)"),
        Field("budget", "decimal", True, "the month's budget in currency_code"),
        Field("currency_code", "currency", True, "ISO 4217 code of budget and target CPA: a column or the mapping's "
                                                 "default"),
        Field("planned_impressions", "integer", description="impressions planned for the month"),
        Field("planned_clicks", "integer", description="clicks planned for the month"),
        Field("planned_conversions", "number", description="conversions planned for the month"),
        Field("target_cpa", "decimal", description="target cost per acquisition, in currency_code"),
        Field("target_roas", "number", description="target return on ad spend (conversion value / spend)"),
        Field("owner", "text", description="who owns the campaign"),
        Field("start_date", "date", description="the campaign's first day"),
        Field("end_date", "date", description="the campaign's last day"),
        Field("pmo_phase", "choice", True, f"the campaign's project phase: {', '.join(PMO_PHASES)}",
              choices=PMO_PHASES),
    ),
)

TABLES = CONTRACT.tables
