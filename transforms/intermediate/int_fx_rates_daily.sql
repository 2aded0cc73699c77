-- Each currency's rate into the reporting currency, for every day: units of the reporting currency
-- one unit of the currency buys, crossed through the euro as the ECB quotes it. A rate holds on the
-- day it was set and on the days after it until the next one (weekends, TARGET holidays), for at
-- most 7 days: older, it is stale, and the day has no rate, which the gate reports by currency and
-- day rather than converting at it.
with quoted as (
    select currency_code, rate_date, cast(units_per_eur as double) as units_per_eur
    from {{ union('fx', 'rates') }} as r
    union all
    -- The euro is 1 by definition, on every day a rate was set.
    select distinct 'EUR' as currency_code, rate_date, cast(1 as double) as units_per_eur
    from {{ union('fx', 'rates') }} as e
),

ranged as (
    select
        currency_code,
        rate_date,
        units_per_eur,
        lead(rate_date) over (partition by currency_code order by rate_date) as next_rate_date
    from quoted
),

days_held as (
    select n from (values (0), (1), (2), (3), (4), (5), (6), (7)) as held (n)
),

daily as (
    select
        r.currency_code,
        r.rate_date + h.n as date_day,
        r.rate_date,
        r.units_per_eur
    from ranged as r
    inner join days_held as h
        on h.n < least(coalesce(r.next_rate_date - r.rate_date, 8), 8)
)

select
    c.currency_code,
    c.date_day,
    -- The older of the two rates crossed: how far back the day's rate reaches.
    least(c.rate_date, p.rate_date) as rate_date,
    -- Twelve decimals: exact to the ECB's five significant digits, and rounded once, so both
    -- engines convert every amount to the same cent.
    cast(p.units_per_eur / c.units_per_eur as decimal(38, 12)) as rate_to_reporting
from daily as c
inner join daily as p
    on p.date_day = c.date_day
    and p.currency_code = {{ var('reporting_currency') }}
