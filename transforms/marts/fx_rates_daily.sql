-- One row per currency and day: the rate into the reporting currency that every converted amount
-- of that currency and day uses, for BI tools converting figures of their own the same way.
select
    date_day,
    currency_code,
    {{ var('reporting_currency') }} as reporting_currency,
    rate_to_reporting,
    rate_date
from intermediate.int_fx_rates_daily
