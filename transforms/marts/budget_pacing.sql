-- Plan against actual per campaign and month: each current plan's budget beside the spend of its
-- campaign key on every ad platform, in the plan's currency, as of the latest day any ad platform
-- has delivered. Expected spend to date follows the daily profile (weekday weights, equal by
-- default: linear); status compares spend with it within the configured tolerance. KPIs come from
-- docs/metrics.md's catalog.
with plans as (
    select *
    from marts_candidate.campaign_plans
    where valid_to is null
),

as_of as (
    select max(date_day) as as_of_date
    from intermediate.int_ad_campaigns_daily
),

profile as (
    select cast(isodow as integer) as isodow, cast(weight as double) as weight
    from {{ setting_rows('pacing_daily_profile') }} as w
),

day_numbers as (
    select n
    from (values (0), (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15),
        (16), (17), (18), (19), (20), (21), (22), (23), (24), (25), (26), (27), (28), (29), (30)) as d (n)
),

months as (
    select distinct
        p.plan_month,
        cast(cast(p.plan_month + interval 1 month as date) - p.plan_month as integer) as days_in_month
    from plans as p
),

weights as (
    select
        m.plan_month,
        m.days_in_month,
        sum(w.weight) as month_weight,
        sum(case when m.plan_month + d.n <= a.as_of_date then w.weight else 0 end) as elapsed_weight,
        count(case when m.plan_month + d.n <= a.as_of_date then 1 end) as days_elapsed
    from months as m
    inner join day_numbers as d
        on d.n < m.days_in_month
    cross join as_of as a
    inner join profile as w
        on w.isodow = extract(isodow from m.plan_month + d.n)
    group by m.plan_month, m.days_in_month
),

-- Each ad day of a planned key and month up to the as-of day, with the rate of the plan's currency
-- that day (1 for the reporting currency, whether or not rates are loaded).
ad_days as (
    select
        p.source_system,
        p.campaign_key,
        p.plan_month,
        p.currency_code as plan_currency,
        c.currency_code,
        c.spend,
        c.fx_rate,
        c.conversions,
        c.conversions_value,
        {{ reporting_rate('p.currency_code', 'pfx') }} as plan_rate
    from plans as p
    cross join as_of as a
    inner join intermediate.int_ad_campaigns_daily as c
        on c.campaign_key = p.campaign_key
        and c.date_day >= p.plan_month
        and c.date_day < cast(p.plan_month + interval 1 month as date)
        and c.date_day <= a.as_of_date
    left join intermediate.int_fx_rates_daily as pfx
        on pfx.currency_code = p.currency_code
        and pfx.date_day = c.date_day
),

-- Spend in the plan's currency: an account in that currency as it is, another through the reporting
-- currency at each day's rates. NULL, never a partial sum, when a day lacks a rate.
actuals as (
    select
        source_system,
        campaign_key,
        plan_month,
        case when count(*) = count(case when currency_code = plan_currency or plan_rate * fx_rate is not null then 1 end)
            then sum(case when currency_code = plan_currency then spend
                     else cast(spend * fx_rate / plan_rate as decimal(38, 6)) end)
        end as spend_to_date,
        case when count(fx_rate) = count(*) then sum({{ to_reporting('spend', 'fx_rate') }}) end
            as spend_to_date_reporting,
        sum(cast(conversions as decimal(38, 6))) as conversions,
        -- Summed exactly: a float sum would depend on the rows' order, and a rerun must publish the
        -- very same values.
        sum(cast({{ to_reporting('conversions_value', 'fx_rate', scale=None) }} as decimal(38, 6)))
            as conversions_value_reporting
    from ad_days
    group by source_system, campaign_key, plan_month
),

paced as (
    select
        p.source_system,
        p.campaign_key,
        p.campaign,
        p.plan_month,
        a.as_of_date,
        cast(w.days_in_month as bigint) as days_in_month,
        cast(w.days_elapsed as bigint) as days_elapsed,
        p.currency_code,
        p.budget,
        cast(coalesce(x.spend_to_date, case when x.campaign_key is null then 0 end) as decimal(38, 6))
            as spend_to_date,
        cast({{ kpi('expected_spend_to_date', budget='p.budget', elapsed_weight='w.elapsed_weight', month_weight='w.month_weight') }}
            as decimal(38, 6)) as expected_spend_to_date,
        w.elapsed_weight,
        w.month_weight,
        cast(coalesce(x.conversions, 0) as double) as conversions,
        p.target_cpa,
        p.target_roas,
        p.pmo_phase,
        p.owner,
        {{ var('reporting_currency') }} as reporting_currency,
        -- The budget converts at the rate of the month's last elapsed day (the as-of day in the
        -- month, its last day once past, its first before it starts): a rate that exists.
        least(a.as_of_date, cast(p.plan_month + interval 1 month as date) - 1) as fx_rate_date,
        cast(coalesce(x.spend_to_date_reporting, case when x.campaign_key is null then 0 end) as decimal(38, 6))
            as spend_to_date_reporting,
        cast(coalesce(x.conversions_value_reporting, 0) as double) as conversions_value_reporting
    from plans as p
    cross join as_of as a
    inner join weights as w
        on w.plan_month = p.plan_month
    left join actuals as x
        on x.source_system = p.source_system
        and x.campaign_key = p.campaign_key
        and x.plan_month = p.plan_month
),

measured as (
    select
        paced.*,
        {{ kpi('pacing') }} as pacing,
        {{ kpi('budget_used') }} as budget_used,
        {{ kpi('projected_spend') }} as projected_spend,
        {{ kpi('cpa', spend='spend_to_date') }} as actual_cpa,
        {{ kpi('platform_roas', conversions_value='conversions_value_reporting', spend='spend_to_date_reporting') }}
            as actual_roas
    from paced
)

select
    m.source_system,
    m.campaign_key,
    m.campaign,
    m.plan_month,
    m.as_of_date,
    m.days_in_month,
    m.days_elapsed,
    m.currency_code,
    m.budget,
    m.spend_to_date,
    m.expected_spend_to_date,
    m.pacing,
    m.budget_used,
    cast(m.projected_spend as decimal(38, 6)) as projected_spend,
    m.conversions,
    m.target_cpa,
    cast(m.actual_cpa as decimal(38, 6)) as actual_cpa,
    m.target_roas,
    m.actual_roas,
    case
        when m.days_elapsed = 0 then 'not_started'
        when m.spend_to_date is null then null
        when m.expected_spend_to_date = 0 then case when m.spend_to_date > 0 then 'over' else 'on_track' end
        when m.spend_to_date > m.expected_spend_to_date * (1 + {{ num('pacing_tolerance') }}) then 'over'
        when m.spend_to_date < m.expected_spend_to_date * (1 - {{ num('pacing_tolerance') }}) then 'under'
        else 'on_track'
    end as status,
    cast({{ num('pacing_tolerance') }} as double) as pacing_tolerance,
    m.pmo_phase,
    m.owner,
    m.reporting_currency,
    m.fx_rate_date,
    {{ to_reporting('m.budget', reporting_rate('m.currency_code', 'fx')) }} as budget_reporting,
    m.spend_to_date_reporting,
    {{ to_reporting('m.expected_spend_to_date', reporting_rate('m.currency_code', 'fx')) }}
        as expected_spend_to_date_reporting,
    {{ to_reporting('cast(m.projected_spend as decimal(38, 6))', reporting_rate('m.currency_code', 'fx')) }}
        as projected_spend_reporting
from measured as m
left join intermediate.int_fx_rates_daily as fx
    on fx.currency_code = m.currency_code
    and fx.date_day = m.fx_rate_date
