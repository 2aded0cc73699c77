-- The ECB's euro reference rates: units of the currency per euro, on the TARGET business days they
-- were set (no weekends or holidays; the intermediate model fills the days between). Parsed exactly
-- by the connector; EUR, the base, is 1 by definition and never a row.
select
    upper(currency_code) as currency_code,
    rate_date,
    cast(units_per_eur as decimal(38, 10)) as units_per_eur
from raw_fx_rates.rates
where upper(currency_code) <> 'EUR'
