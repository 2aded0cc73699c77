"""Campaign plans on DuckDB and PostgreSQL: a plan file loaded, revised mid-month and loaded again
keeps both versions, and "what was the plan on the 10th" is one filter on valid_from/valid_to; a PMO
phase outside the five is quarantined with its row."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import dlt
import pytest

from connectors.campaign_plans import campaign_plans_source
from transforms import runner
from transforms.project import project
from warehouse import Warehouse

EXAMPLES = Path(__file__).parents[2] / "examples" / "campaign_plans"
FIRST = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
REVISED = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)


def _plan_on(warehouse: Warehouse, day: str) -> list[tuple]:
    when = "CAST('" + day + "' AS TIMESTAMP)"
    return warehouse.rows(
        "SELECT campaign_key, budget, pmo_phase FROM marts_candidate.campaign_plans "
        f"WHERE valid_from <= {when} AND (valid_to IS NULL OR valid_to > {when}) ORDER BY campaign_key")


@pytest.fixture(scope="module")
def plans(module_warehouse_url: str, tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The example plan written on 1 November, loaded; revised on the 15th (Brand Search's budget up,
    Creator Collab closed early), loaded again; the plan models built."""
    folder = tmp_path_factory.mktemp("plans")
    target = folder / "plans_2026-11.csv"
    shutil.copy(EXAMPLES / "plans_2026-11.csv", target)
    os.utime(target, (FIRST.timestamp(), FIRST.timestamp()))
    warehouse = Warehouse(module_warehouse_url)
    pipeline = dlt.pipeline(pipeline_name="campaign_plans_test", destination=warehouse.dlt_destination(),
                            dataset_name="raw_campaign_plans", pipelines_dir=str(tmp_path_factory.mktemp("dlt")))

    def load() -> None:
        pipeline.run(campaign_plans_source(bucket_url=str(folder), mappings=str(EXAMPLES / "mappings.toml")),
                     loader_file_format=warehouse.dlt_file_format)

    load()
    text = target.read_text()
    text = text.replace("Northwind | Brand Search,2026-11,9000.00", "Northwind | Brand Search,2026-11,11000.00")
    text = text.replace("Northwind | Creator Collab,2026-11,3000.00,USD,700000,6500,160,18.75,3.2,Ana Ruiz,2026-11-01,"
                        "2026-11-30,monitoring",
                        "Northwind | Creator Collab,2026-11,1500.00,USD,350000,3200,80,18.75,3.2,Ana Ruiz,2026-11-01,"
                        "2026-11-15,closed")
    target.write_text(text)
    os.utime(target, (REVISED.timestamp(), REVISED.timestamp()))
    load()
    for model in project(("campaign_plans",)).models:
        runner.build(warehouse, model, {"reporting_currency": "USD"})
    return warehouse


def test_the_plan_on_the_10th_is_the_first_version_and_on_the_20th_the_revision(plans: Warehouse):
    assert _plan_on(plans, "2026-11-10") == [
        ("northwind_brand_search", Decimal("9000.000000"), "execution"),
        ("northwind_creator_collab", Decimal("3000.000000"), "monitoring"),
        ("northwind_generic_search", Decimal("12000.000000"), "execution"),
        ("northwind_holiday_teaser", Decimal("4500.000000"), "execution"),
        ("northwind_spring_launch", Decimal("0.000000"), "planning"),
    ]
    assert _plan_on(plans, "2026-11-20") == [
        ("northwind_brand_search", Decimal("11000.000000"), "execution"),
        ("northwind_creator_collab", Decimal("1500.000000"), "closed"),
        ("northwind_generic_search", Decimal("12000.000000"), "execution"),
        ("northwind_holiday_teaser", Decimal("4500.000000"), "execution"),
        ("northwind_spring_launch", Decimal("0.000000"), "planning"),
    ]
    assert _plan_on(plans, "2026-10-31") == []


def test_each_version_holds_until_the_next(plans: Warehouse):
    rows = plans.rows("SELECT valid_from, valid_to, count(*) FROM staging.stg_campaign_plans__campaign_plans "
                      "GROUP BY valid_from, valid_to ORDER BY valid_from")
    assert [(r[0].replace(tzinfo=UTC) if r[0].tzinfo is None else r[0],
             None if r[1] is None else (r[1].replace(tzinfo=UTC) if r[1].tzinfo is None else r[1]), r[2])
            for r in rows] == [(FIRST, REVISED, 5), (REVISED, None, 5)]
    assert plans.rows("SELECT planned_impressions, planned_clicks, planned_conversions, target_cpa, target_roas, "
                      "owner, start_date, end_date FROM marts_candidate.campaign_plans "
                      "WHERE campaign_key = 'northwind_holiday_teaser' AND valid_to IS NULL") == [
        (1_200_000, 14_000, 420.0, Decimal("10.700000"), 4.5, "Ana Ruiz", date(2026, 11, 1), date(2026, 12, 24))]


def test_a_pmo_phase_outside_the_five_is_quarantined_with_its_row(plans: Warehouse):
    # Both versions carry the archived row (row 7): each version's is set aside once.
    assert plans.rows("SELECT record_id, field, raw_value, error FROM raw_campaign_plans.quarantine "
                      "ORDER BY quarantined_at") == [
        ("plans_2026-11.csv:7", "pmo_phase", "archived",
         "column 'Phase': not one of initiation, planning, execution, monitoring, closed")] * 2
    assert plans.rows("SELECT status, rows_loaded, rows_quarantined FROM raw_campaign_plans.files "
                      "ORDER BY loaded_at") == [("loaded", 5, 1), ("loaded", 5, 1)]
