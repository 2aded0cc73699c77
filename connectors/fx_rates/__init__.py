"""The ECB's euro foreign exchange reference rates into `raw_fx_rates.rates`.

The first run reads the whole history (`eurofxref-hist.zip`, about 7,000 days since 1999); later
runs read the 90-day file (`eurofxref-hist-90d.xml`, some 64 business days, ~40 KB). The newest
rate date loaded (and the currencies it covers) is kept in dlt's state. A run falls back to the full
history when that state is missing, when `full_refresh` is set, when the currencies asked for were
not all loaded before, or when the 90-day file starts after the newest rate loaded (the deployment
missed more than 90 days). Re-reading 90 days every run picks up the rare correction the ECB makes
to a recent rate; rows merge on (currency_code, rate_date), so reruns never duplicate. The daily
file is not used: it cannot show a day a run missed.

Why CURSOR, not SNAPSHOT: the state decides which file a run reads, and a run after the first reads
only the last 90 days, not everything.

Calling the source checks its settings and does no I/O; the files are downloaded while the rates
resource is iterated.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import dlt
import pyarrow as pa
from dlt.extract import DltResource

from connectors.common import progress
from connectors.common import settings as check
from connectors.common.errors import ConfigurationError
from connectors.common.spec import FreshnessRule, Mode, QuarantineRule, Setting, SourceSpec
from connectors.fx_rates.files import Rates, read_hist_zip, read_xml
from connectors.fx_rates.helpers import EcbFiles
from connectors.fx_rates.settings import (
    BASE_CURRENCY,
    DEFAULT_BASE_URL,
    HIST_90D_XML,
    HIST_ZIP,
    QUARANTINE_TABLE,
    RATES_TABLE,
    SOURCE,
    STATE_CURRENCIES,
    STATE_NEWEST,
    TABLES,
)

log = logging.getLogger("funnelhouse.connectors.fx_rates")

__all__ = ["SPEC", "fx_rates_source"]

# Rows per Arrow table yielded: the full history is ~200,000 rates.
TABLE_ROWS = 50_000


def currency_list(value: Any) -> list[str] | None:
    """ISO 4217 codes from a comma list, a JSON array or a list, upper-cased, in order, without
    repeats or EUR (the base, 1 by definition); None (every currency) when unset or empty."""
    if value is None:
        return None
    items: Any = value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except ValueError:
                items = None
        else:
            items = text.split(",")
    if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) for i in items):
        raise ConfigurationError(SOURCE, "currencies", "must be a comma list (or JSON array) of ISO 4217 codes, "
                                                       "e.g. USD,GBP,JPY")
    codes: list[str] = []
    for item in items:
        code = item.strip().upper()
        if not code:
            continue
        if len(code) != 3 or not code.isalpha() or not code.isascii():
            raise ConfigurationError(SOURCE, "currencies", "must be a comma list (or JSON array) of ISO 4217 "
                                                           "codes, e.g. USD,GBP,JPY")
        if code != BASE_CURRENCY and code not in codes:
            codes.append(code)
    return codes or None


def _full_read_reason(state: dict[str, Any], wanted: list[str] | None, full_refresh: bool) -> str | None:
    if full_refresh:
        return "full_refresh is set"
    if not state.get(STATE_NEWEST):
        return "no rates loaded yet"
    covered = state.get(STATE_CURRENCIES)
    if covered is not None:
        missing = sorted(set(wanted) - set(covered)) if wanted is not None else ["every other currency"]
        if missing:
            return f"currencies not loaded before: {', '.join(missing)}"
    return None


def _tables(rates: Rates) -> Iterator[pa.Table]:
    table = rates.table()
    progress.add_rows(SOURCE, table.num_rows)
    if table.num_rows == 0:
        # Once, so the raw table (and the quarantine table after it) exists even when nothing matched.
        yield table
        return
    for offset in range(0, table.num_rows, TABLE_ROWS):
        yield table.slice(offset, TABLE_ROWS)


def _rates(files: EcbFiles, wanted: list[str] | None, full_refresh: bool, quarantined: list[pa.Table],
           ) -> Iterator[pa.Table]:
    state = dlt.current.resource_state()
    reason = _full_read_reason(state, wanted, full_refresh)
    rates: Rates | None = None
    if reason is None:
        loaded_through = date.fromisoformat(state[STATE_NEWEST])
        recent = read_xml(files.download(HIST_90D_XML), HIST_90D_XML, wanted)
        if recent.oldest is None or recent.oldest > loaded_through:
            reason = (f"the 90-day file starts on {recent.oldest}, after the newest rate loaded "
                      f"({loaded_through.isoformat()})")
        else:
            rates = recent
            log.info("%s: %s: %d rates of %s to %s (newest loaded before: %s)", SOURCE, HIST_90D_XML, rates.rows,
                     recent.oldest, recent.newest, loaded_through)
    if rates is None:
        log.info("%s: reading the full history (%s): %s", SOURCE, HIST_ZIP, reason)
        rates = read_hist_zip(files.download(HIST_ZIP), wanted)
        log.info("%s: %s: %d rates of %s to %s", SOURCE, HIST_ZIP, rates.rows, rates.oldest, rates.newest)
    if wanted:
        unknown = sorted(set(wanted) - rates.currencies_seen)
        if unknown:
            log.warning("%s: %s quotes no %s", SOURCE, rates.file, ", ".join(unknown))
    if rates.quarantined:
        quarantined.append(rates.quarantine_table())
    yield from _tables(rates)
    # Reached only once every table was handed over: dlt commits the state with the load package.
    newest = max(filter(None, (rates.newest and rates.newest.isoformat(), state.get(STATE_NEWEST))), default=None)
    if newest:
        state[STATE_NEWEST] = newest
    # A 90-day read happens only for currencies loaded before, so either way what is now loaded
    # through `newest` is exactly what was asked for (None: every currency).
    state[STATE_CURRENCIES] = wanted


@dlt.source(name=SOURCE, section=SOURCE)
def fx_rates_source(
    base_url: str = DEFAULT_BASE_URL,
    currencies: str | list[str] | None = None,
    full_refresh: bool = False,
) -> Sequence[DltResource]:
    """The ECB's euro reference rates into `raw_fx_rates`: the full history once, then the last 90 days.

    `currencies` limits the load to these ISO codes (default: every currency the ECB quotes).
    """
    files = EcbFiles(check.url(SOURCE, "base_url", base_url))
    wanted = currency_list(currencies)
    full_refresh = check.boolean(SOURCE, "full_refresh", full_refresh)
    quarantined: list[pa.Table] = []

    rates = dlt.resource(_rates, **RATES_TABLE.resource_hints())(files, wanted, full_refresh, quarantined)

    announced = False

    @dlt.transformer(data_from=rates, **QUARANTINE_TABLE.resource_hints())
    def quarantine(_: pa.Table) -> Iterator[pa.Table]:
        nonlocal announced
        tables = list(quarantined)
        quarantined.clear()
        if not tables and not announced:
            # An empty table once, so the raw table exists (and the gate can read it) before anything is bad.
            tables = [QUARANTINE_TABLE.empty()]
        announced = True
        yield from tables

    return rates, quarantine


SPEC = SourceSpec(
    name=SOURCE,
    label="ECB euro reference rates",
    domain="fx",
    mode=Mode.CURSOR,
    source=fx_rates_source,
    tables=TABLES,
    settings=(
        Setting("base_url", "the ECB's root, or a mirror: the files are read from `<base_url>/stats/eurofxref/`",
                default=DEFAULT_BASE_URL),
        Setting("currencies", "comma list of ISO 4217 codes to load (EUR, the base, is never a row); default: every "
                "currency the ECB quotes"),
        Setting("full_refresh", "read the full history again, not only the last 90 days", default=False),
    ),
    fake="sandbox.fx_rates",
    # Rates are set on TARGET business days only: from the Thursday before Easter to the run ending on
    # Easter Monday is 4 days, the longest gap between rates (Christmas and New Year reach 4 at most too).
    freshness=FreshnessRule("rates", "rate_date", max_lag_days=4),
    quarantine=QuarantineRule(),
    description="The European Central Bank's euro foreign exchange reference rates (units per euro, on TARGET "
                "business days), from the files under `/stats/eurofxref/`: the full history "
                "`eurofxref-hist.zip` on the first run (or with `full_refresh`), then `eurofxref-hist-90d.xml`, "
                "the newest rate date loaded kept in dlt's state; back to the full history when that state is "
                "older than the 90-day file reaches. Rates are exact decimals; `N/A` (not quoted that day) is no "
                "row; a rate that is not a number loads no row and is listed in `raw_fx_rates.quarantine` by "
                "day and currency.",
)
