"""The ECB's reference-rate files, their paths and formats, and the raw tables they load into.

What the files are (ECB, "Euro foreign exchange reference rates", the Downloads section of
https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html):
rates are set around 16:00 CET on every TARGET business day (no weekends, New Year's Day, Good
Friday, Easter Monday, 1 May, 25 and 26 December: the ECB's long-term TARGET calendar, press release
of 14 December 2000), quoted as units of each currency per euro, under `/stats/eurofxref/`:

- `eurofxref-hist.zip`: the whole series since 1999 as one CSV, `eurofxref-hist.csv`: a header
  `Date,USD,JPY,BGN,CYP,...,ZAR,` (every currency ever quoted, legacy ones included), then one line
  per day, newest first, `2025-05-09,1.1252,163.36,...,20.4835,`: every line ends with a comma, and
  a currency not quoted that day reads `N/A`. Numbers drop trailing zeros (`0.8477`, `1.46`).
- `eurofxref-hist-90d.xml` and `eurofxref-daily.xml`: a `gesmes:Envelope`
  (xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01", default namespace
  "http://www.ecb.int/vocabulary/2002-08-01/eurofxref") holding `<Cube>`, one `<Cube time="YYYY-MM-DD">`
  per day (newest first; the last ~90 calendar days, or only the latest day) and in each
  `<Cube currency="USD" rate="1.0852"/>` per currency quoted that day (a currency not quoted is absent).
"""

from __future__ import annotations

from connectors.common.tables import Column, Table

SOURCE = "fx_rates"
DEFAULT_BASE_URL = "https://www.ecb.europa.eu"

FILES_PATH = "/stats/eurofxref"
HIST_ZIP = "eurofxref-hist.zip"
HIST_CSV = "eurofxref-hist.csv"  # the CSV inside the zip
HIST_90D_XML = "eurofxref-hist-90d.xml"
DAILY_XML = "eurofxref-daily.xml"

GESMES_NS = "http://www.gesmes.org/xml/2002-08-01"
EUROFXREF_NS = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"

# What the CSV writes for a currency not quoted that day.
NOT_AVAILABLE = "N/A"
BASE_CURRENCY = "EUR"

# decimal(38, 10): 28 digits before the point, 10 after; the ECB publishes at most 6 significant digits.
RATE_TYPE = "decimal(38,10)"
RATE_SCALE = 10

# The dlt state keys of the rates resource.
STATE_NEWEST = "newest_rate_date"
STATE_CURRENCIES = "currencies"

RATES_TABLE = Table(
    "rates",
    (
        Column("currency_code", "text", False, "ISO 4217 code of the quoted currency, as the ECB writes it"),
        Column("rate_date", "date", False, "the TARGET business day the rate was set"),
        Column("units_per_eur", RATE_TYPE, False, "units of the currency per euro, exactly as published"),
        Column("source_file", "text", True, "the ECB file the rate was last read from"),
    ),
    primary_key=("currency_code", "rate_date"),
    description="The ECB's euro reference rates, one row per currency and day a rate was set.",
)

QUARANTINE_TABLE = Table(
    "quarantine",
    (
        Column("source_table", "text", False), Column("record_id", "text", False), Column("field", "text", False),
        Column("raw_value", "text"), Column("error", "text"), Column("quarantined_at", "timestamp", False),
    ),
    primary_key=("source_table", "record_id", "field", "quarantined_at"),
    disposition="append",
    description="Rates set aside as unreadable: the record is `<rate_date> <currency>`, the error names the file "
                "and line.",
)

TABLES = (RATES_TABLE, QUARANTINE_TABLE)
