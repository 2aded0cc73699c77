"""Daily partitions for windowed ingestion (ads and analytics)."""

from dagster import BackfillPolicy, DailyPartitionsDefinition

HISTORY_START = "2020-01-01"

daily_partitions = DailyPartitionsDefinition(start_date=HISTORY_START, timezone="UTC")

# A backfill of many days is one run: one API call per account per chunk, not one per day.
single_run = BackfillPolicy.single_run()
