"""Monitors on staging tables, declared with each domain entity (`monitors:` in
`transforms/domains/<domain>.yml`), thresholds from config (`FUNNELHOUSE_MONITOR_*`):

- `volume`: each day's rows per `by` key (a source's account) against the median of the trailing
  baseline, per weekday. A key that has history and sent nothing that day counts as 0 rows.
- `anomalies`: each day's `measures` per `by` key (account and campaign) against the trailing
  baseline by a robust z-score, 0.6745 * (x - median) / MAD (where MAD is 0, the mean absolute
  deviation scaled to match), per weekday, on x = ln(1 + value): spend, clicks and conversions
  vary by factors, not by amounts, and on a log scale a tenfold day stands out from the
  day-to-day noise where on the raw scale that noise's skew would flag ordinary good days. Flagged
  only beyond the threshold *and* at least `anomaly_rise` times the median or under `anomaly_fall`
  times it: a warning that cries wolf on ordinary uneven delivery is soon ignored. Flagged only beyond the threshold *and* doubled or
  halved: the platforms' day-to-day noise is wide, and a warning that cries wolf is ignored.
- `restatement`: how much re-reading the lookback changed the days already stored: each day and
  key whose measure moved by more than the threshold since the previous run.
- `reconciled`: the loaded rows' totals per `by` key and day against the platform's own totals
  (the `against` entity, read from the same API at account level). Rows set aside in quarantine
  were loaded, and count.

"Per weekday" follows the convention of dbt's anomaly-detection packages: the baseline is the same
weekday's values over the trailing `baseline_days` weeks, so it still holds `baseline_days`
samples and a Monday is never held to a Sunday's traffic. Each monitor is a query of the rows that
fail it, validated as a GX `UnexpectedRowsExpectation`, so its failures carry their rows like any
other check's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from typing import Any

from transforms.contracts import MonitorSpec
from transforms.models import transpile

# Where the restatement monitor keeps each staging table's day totals from before its rebuild.
MONITORING_SCHEMA = "monitoring"
_BATCH = "__monitored_batch"


@dataclass(frozen=True)
class MonitorSettings:
    """Every threshold, each a setting `FUNNELHOUSE_MONITOR_<NAME>` (env or .dlt/config.toml)."""

    # volume: a day's rows may differ from the baseline's median by this fraction of it
    volume_tolerance: float = 0.5
    volume_baseline_days: int = 14
    volume_min_samples: int = 4
    # anomalies: |robust z| above this, and the value at least anomaly_rise times the median or at
    # most anomaly_fall times it. Ads deliver unevenly: an ad group that does not serve for a day
    # can cut a small campaign's spend to a fifth, while a runaway bid multiplies it.
    anomaly_threshold: float = 3.5
    anomaly_baseline_days: int = 28
    anomaly_rise: float = 3.0
    anomaly_fall: float = 0.1
    # no verdict on fewer samples, or on a series whose median is smaller (small counts are noise)
    anomaly_min_samples: int = 8
    anomaly_min_baseline: float = 10.0
    # weekday (same weekday, trailing weeks) or none (trailing days)
    seasonality: str = "weekday"
    # restatement: a day's measure moving by more than this fraction, and by more than the minimum
    restatement_threshold: float = 0.05
    restatement_min_change: float = 1.0
    # reconciliation: the largest difference in any measure still counted equal (a cent)
    reconciliation_tolerance: float = 0.01

    def __post_init__(self) -> None:
        if self.seasonality not in ("weekday", "none"):
            raise ValueError("setting 'FUNNELHOUSE_MONITOR_SEASONALITY' must be weekday or none")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (int, float)) and value < 0:
                raise ValueError(f"setting 'FUNNELHOUSE_MONITOR_{f.name.upper()}' must not be negative")


MONITOR_SETTING_TEXT = {
    "volume_tolerance": "volume: a day's rows per account may differ from the baseline's median by this fraction of it",
    "volume_baseline_days": "volume: samples in the baseline (same weekdays over as many weeks, with weekday seasonality)",
    "volume_min_samples": "volume: no verdict on fewer samples",
    "anomaly_threshold": "anomalies: the robust z-score (on ln(1 + value)) a day must exceed",
    "anomaly_baseline_days": "anomalies: samples in the baseline",
    "anomaly_rise": "anomalies: and the day must be at least this many times the median...",
    "anomaly_fall": "anomalies: ...or at most this fraction of it",
    "anomaly_min_samples": "anomalies: no verdict on fewer samples",
    "anomaly_min_baseline": "anomalies: no verdict on a series whose median is smaller (small counts are noise)",
    "seasonality": "`weekday`: baselines compare a day with the same weekday; `none`: with the trailing days",
    "restatement_threshold": "restatement: a stored day's measure moving by more than this fraction is reported",
    "restatement_min_change": "restatement: ...and by more than this amount",
    "reconciliation_tolerance": "reconciliation: the largest difference from the platform's totals still equal",
}


def load_monitor_settings() -> MonitorSettings:
    from warehouse.settings import setting_value

    values: dict[str, Any] = {}
    for f in fields(MonitorSettings):
        raw = setting_value(f"funnelhouse_monitor_{f.name}")
        if raw is None:
            continue
        try:
            values[f.name] = raw if f.type == "str" else (int(raw) if f.type == "int" else float(raw))
        except ValueError:
            raise ValueError(f"setting 'FUNNELHOUSE_MONITOR_{f.name.upper()}' must be a number") from None
    return MonitorSettings(**values)


def _cols(columns: Sequence[str], alias: str = "") -> str:
    prefix = f"{alias}." if alias else ""
    return ", ".join(f"{prefix}{c}" for c in columns)


def _on(columns: Sequence[str], left: str, right: str) -> str:
    return " and ".join(f"{left}.{c} = {right}.{c}" for c in columns) or "true"


def _days(start: date, end: date) -> str:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return ", ".join(f"(date '{d.isoformat()}')" for d in days)


def _baseline(settings: MonitorSettings, days: int) -> tuple[str, int]:
    """The join condition picking a day's baseline rows (b) for an observed day (o), and how many
    days back it reaches."""
    if settings.seasonality == "weekday":
        span = 7 * days
        return f"(o.date_day - b.date_day) % 7 = 0 and b.date_day < o.date_day and b.date_day >= o.date_day - {span}", span
    return f"b.date_day < o.date_day and b.date_day >= o.date_day - {days}", days


def _finish(sql: str, dialect: str) -> str:
    """In the warehouse's dialect, the monitored table as GX's {batch}."""
    return transpile(sql, dialect).replace(_BATCH, "{batch}")


def volume_query(spec: MonitorSpec, settings: MonitorSettings, start: date, end: date, dialect: str) -> str:
    by = spec.by
    join, span = _baseline(settings, settings.volume_baseline_days)
    key = f"{_cols(by)}, " if by else ""
    sql = f"""
with daily as (
    select {key}cast({spec.date} as date) as date_day, count(*) as row_count
    from {_BATCH} as batch_rows
    where cast({spec.date} as date) between date '{(start - timedelta(days=span)).isoformat()}' and date '{end.isoformat()}'
    group by {key}cast({spec.date} as date)
),
observed as (
    select {f"{_cols(by, 'k')}, " if by else ""}d.date_day, coalesce(x.row_count, 0) as row_count
    from (select distinct {_cols(by) if by else "1 as one"} from daily where date_day < date '{start.isoformat()}') as k
    cross join (values {_days(start, end)}) as d(date_day)
    left join daily as x on {_on(by, 'x', 'k')} and x.date_day = d.date_day
),
scored as (
    select {f"{_cols(by, 'o')}, " if by else ""}o.date_day, o.row_count, median(b.row_count) as baseline,
           count(*) as samples
    from observed as o
    join daily as b on {_on(by, 'b', 'o')} and {join}
    group by {f"{_cols(by, 'o')}, " if by else ""}o.date_day, o.row_count
)
select {f"{_cols(by)}, " if by else ""}date_day, row_count, baseline, samples,
       round(cast((row_count - baseline) / baseline as numeric), 3) as change
from scored
where samples >= {settings.volume_min_samples} and abs(row_count - baseline) > {settings.volume_tolerance} * baseline
order by date_day{f", {_cols(by)}" if by else ""}
"""
    return _finish(sql, dialect)


def anomaly_query(spec: MonitorSpec, settings: MonitorSettings, start: date, end: date, dialect: str) -> str:
    by = spec.by
    join, span = _baseline(settings, settings.anomaly_baseline_days)
    key = _cols(by)
    sums = ", ".join(f"sum({m}) as {m}" for m in spec.measures)
    long = " union all ".join(
        f"select {key}, date_day, '{m}' as measure, cast({m} as double) as value from daily" for m in spec.measures)
    series = [*by, "measure"]
    sql = f"""
with daily as (
    select {key}, cast({spec.date} as date) as date_day, {sums}
    from {_BATCH} as batch_rows
    where cast({spec.date} as date) between date '{(start - timedelta(days=span)).isoformat()}' and date '{end.isoformat()}'
    group by {key}, cast({spec.date} as date)
),
series as (
    select *, sign(value) * ln(1 + abs(value)) as log_value from ({long}) as measures
),
centred as (
    select {_cols(series, 'o')}, o.date_day, o.value, o.log_value, median(b.value) as baseline,
           median(b.log_value) as log_baseline, count(*) as samples
    from series as o
    join series as b on {_on(series, 'b', 'o')} and {join}
    where o.date_day between date '{start.isoformat()}' and date '{end.isoformat()}'
    group by {_cols(series, 'o')}, o.date_day, o.value, o.log_value
),
spread as (
    select {_cols(series, 'o')}, o.date_day, o.value, o.log_value, o.baseline, o.log_baseline, o.samples,
           median(abs(b.log_value - o.log_baseline)) as mad, avg(abs(b.log_value - o.log_baseline)) as mean_deviation
    from centred as o
    join series as b on {_on(series, 'b', 'o')} and {join}
    group by {_cols(series, 'o')}, o.date_day, o.value, o.log_value, o.baseline, o.log_baseline, o.samples
),
scored as (
    select *, case when mad > 0 then 0.6745 * (log_value - log_baseline) / mad
                   when mean_deviation > 0 then (log_value - log_baseline) / (1.253314 * mean_deviation)
              end as robust_z
    from spread
)
select {_cols(series)}, date_day, value, baseline, samples, round(cast(robust_z as numeric), 2) as robust_z
from scored
where samples >= {settings.anomaly_min_samples}
  and baseline >= {settings.anomaly_min_baseline}
  and (value > {settings.anomaly_rise} * baseline or value < {settings.anomaly_fall} * baseline)
  and abs(robust_z) > {settings.anomaly_threshold}
order by date_day, {_cols(series)}
"""
    return _finish(sql, dialect)


def window_query(spec: MonitorSpec, settings: MonitorSettings, start: date, end: date, dialect: str) -> str:
    """A volume or anomalies monitor's query over the days `start` to `end`."""
    build = {"volume": volume_query, "anomalies": anomaly_query}[spec.kind]
    return build(spec, settings, start, end, dialect)


def snapshot_sql(spec: MonitorSpec, relation: str, target: str, where: str | None = None) -> str:
    """The day totals a restatement is measured against, taken before the table is rebuilt (only
    the days `where` keeps: those about to be rebuilt)."""
    sums = ", ".join(f"sum({m}) as {m}" for m in spec.measures)
    return (f"CREATE TABLE {target} AS SELECT {_cols(spec.by)}, cast({spec.date} as date) as date_day, {sums} "
            f"FROM {relation}{f' WHERE {where}' if where else ''} GROUP BY {_cols(spec.by)}, cast({spec.date} as date)")


def restatement_query(spec: MonitorSpec, settings: MonitorSettings, before: str, dialect: str) -> str:
    by = spec.by
    sums = ", ".join(f"sum({m}) as {m}" for m in spec.measures)
    moved = " union all ".join(
        f"select {_cols(by, 'a')}, a.date_day, '{m}' as measure, cast(b.{m} as double) as before_value, "
        f"cast(a.{m} as double) as after_value from after_rebuild as a join {before} as b "
        f"on {_on(by, 'a', 'b')} and a.date_day = b.date_day" for m in spec.measures)
    sql = f"""
with after_rebuild as (
    select {_cols(by)}, cast({spec.date} as date) as date_day, {sums}
    from {_BATCH} as batch_rows
    group by {_cols(by)}, cast({spec.date} as date)
),
moved as ({moved})
select {_cols(by)}, date_day, measure, before_value, after_value, after_value - before_value as change
from moved
where abs(after_value - before_value) > {settings.restatement_min_change}
  and abs(after_value - before_value) > {settings.restatement_threshold} * abs(before_value)
order by date_day, {_cols(by)}, measure
"""
    return _finish(sql, dialect)


def reconciliation_query(spec: MonitorSpec, settings: MonitorSettings, platform: str, grain: Sequence[str],
                         dialect: str, loaded_quarantine: str | None = None,
                         platform_quarantine: str | None = None, days: str | None = None) -> str:
    """`platform`: the relation of the platform's own totals. Rows either side set aside in quarantine
    (one row per rule they failed) were loaded, and count once. `days`: a predicate on the date
    column keeping only the days just rebuilt (the batch holds only those)."""
    by, measures = spec.by, spec.measures
    day = f"{spec.date} as date_day"

    only = f" where {days}" if days else ""

    def rows(relation: str, quarantine: str | None, keys: Sequence[str]) -> str:
        select = f"select {_cols(by)}, {day}, {_cols(measures)} from {relation} as source_rows{only}"
        if quarantine is None:
            return select
        distinct = _cols(sorted({*keys, *by, spec.date, *measures}))
        return f"{select} union all select {_cols(by)}, {day}, {_cols(measures)} from (select distinct {distinct} " \
               f"from {quarantine}{only}) as set_aside"

    sums = ", ".join(f"sum({m}) as {m}" for m in measures)
    differs = " or ".join(f"abs(coalesce(p.{m}, 0) - coalesce(l.{m}, 0)) > {settings.reconciliation_tolerance}"
                          for m in measures)
    pairs = ", ".join(f"p.{m} as platform_{m}, l.{m} as loaded_{m}" for m in measures)
    sql = f"""
with loaded as (
    select {_cols(by)}, date_day, {sums} from ({rows(_BATCH, loaded_quarantine, grain)}) as rows_loaded
    group by {_cols(by)}, date_day
),
platform as (
    select {_cols(by)}, date_day, {sums} from ({rows(platform, platform_quarantine, by)}) as totals
    group by {_cols(by)}, date_day
)
select {_cols(by, 'p')}, p.date_day, {pairs}
from platform as p
left join loaded as l on {_on(by, 'p', 'l')} and p.date_day = l.date_day
where {differs}
order by p.date_day, {_cols(by, 'p')}
"""
    return _finish(sql, dialect)
