-- Customer cohorts by acquisition month and first-touch channel, one row per month since
-- acquisition up to FUNNELHOUSE_COHORT_HORIZON_MONTHS (and up to the latest month of CRM data). A
-- customer is the CRM contact credited with a won deal (intermediate.int_deals_attributed), acquired
-- in the month its first won deal closed; it is retained in a later month when it wins another deal
-- then. Revenue is every won deal of the cohort's customers, in the reporting currency at each
-- deal's close-day rate. CAC is the spend of the channel's campaigns (intermediate.int_campaign_channels)
-- in the acquisition month over the customers acquired: NULL where no ad campaign of the channel
-- served that month, as without an ad platform.
with won as (
    select
        d.source_system,
        d.contact_id,
        cast(date_trunc('month', cast(d.closed_date as timestamp)) as date) as close_month,
        d.amount,
        d.amount_reporting
    from intermediate.int_deals_attributed as d
    where d.is_won and d.closed_date is not null and d.contact_id is not null
),

customers as (
    select w.source_system, w.contact_id, min(w.close_month) as acquisition_month
    from won as w
    group by w.source_system, w.contact_id
),

customer_channels as (
    select cu.source_system, cu.contact_id, cu.acquisition_month, coalesce(c.channel, 'Unassigned') as channel
    from customers as cu
    left join intermediate.int_contacts_first_touch as c
        on c.source_system = cu.source_system
        and c.contact_id = cu.contact_id
),

cohorts as (
    select acquisition_month, channel, count(*) as customers
    from customer_channels
    group by acquisition_month, channel
),

-- The latest month the CRM has data for: a cohort's rows run no further.
as_of as (
    select max(cast(date_trunc('month', cast(fx_rate_date as timestamp)) as date)) as as_of_month
    from intermediate.int_deals_attributed
),

activity as (
    select
        cc.acquisition_month,
        cc.channel,
        cast((extract(year from w.close_month) - extract(year from cc.acquisition_month)) * 12
             + extract(month from w.close_month) - extract(month from cc.acquisition_month) as integer)
            as months_since_acquisition,
        count(distinct w.source_system || ':' || w.contact_id) as active_customers,
        case when count(w.amount_reporting) = count(w.amount) then coalesce(sum(w.amount_reporting), 0) end
            as revenue
    from won as w
    inner join customer_channels as cc
        on cc.source_system = w.source_system
        and cc.contact_id = w.contact_id
    group by
        cc.acquisition_month,
        cc.channel,
        cast((extract(year from w.close_month) - extract(year from cc.acquisition_month)) * 12
             + extract(month from w.close_month) - extract(month from cc.acquisition_month) as integer)
),

spend as (
    select
        cast(date_trunc('month', cast(a.date_day as timestamp)) as date) as date_month,
        coalesce(ch.channel, 'Unassigned') as channel,
        -- NULL, never a partial sum, when any row lacks its rate: the gate then blocks the cohort.
        case when count(a.fx_rate) = count(*) then sum({{ to_reporting('a.spend', 'a.fx_rate') }}) end as spend
    from intermediate.int_ad_campaigns_daily as a
    left join intermediate.int_campaign_channels as ch
        on ch.campaign_key = a.campaign_key
    group by cast(date_trunc('month', cast(a.date_day as timestamp)) as date), coalesce(ch.channel, 'Unassigned')
),

spine as (
    select
        c.acquisition_month,
        c.channel,
        c.customers,
        cast(m.months_since_acquisition as bigint) as months_since_acquisition,
        cast((extract(year from o.as_of_month) - extract(year from c.acquisition_month)) * 12
             + extract(month from o.as_of_month) - extract(month from c.acquisition_month) as integer)
            as months_observed
    from cohorts as c
    cross join {{ setting_rows('cohort_months') }} as m
    cross join as_of as o
),

monthly as (
    select
        spine.acquisition_month,
        spine.channel,
        spine.months_since_acquisition,
        {{ var('reporting_currency') }} as reporting_currency,
        cast(spine.customers as bigint) as customers,
        cast(case when spine.months_since_acquisition = 0 then spine.customers
                  else coalesce(a.active_customers, 0) end as bigint) as active_customers,
        cast(case when a.acquisition_month is null then 0 else a.revenue end as decimal(38, 6)) as revenue,
        cast(s.spend as decimal(38, 6)) as spend,
        spine.months_observed
    from spine
    left join activity as a
        on a.acquisition_month = spine.acquisition_month
        and a.channel = spine.channel
        and a.months_since_acquisition = spine.months_since_acquisition
    left join spend as s
        on s.date_month = spine.acquisition_month
        and s.channel = spine.channel
    where spine.months_since_acquisition <= spine.months_observed
),

cumulative as (
    select
        monthly.*,
        -- NULL from the first month whose revenue could not be converted on.
        cast(case
            when count(revenue) over cohort_to_date = count(*) over cohort_to_date
                then sum(revenue) over cohort_to_date
        end as decimal(38, 6)) as cumulative_revenue
    from monthly
    window cohort_to_date as (
        partition by acquisition_month, channel order by months_since_acquisition
        rows between unbounded preceding and current row
    )
),

rated as (
    select
        cumulative.*,
        {{ kpi('retention_rate') }} as retention_rate,
        {{ kpi('revenue_per_customer') }} as revenue_per_customer,
        {{ kpi('cac', spend='spend', deals_won='customers') }} as cac
    from cumulative
),

lifetime as (
    select
        rated.*,
        -- Only once the cohort has lived the whole horizon: a younger cohort's value would be partial.
        case when months_observed >= {{ num('cohort_horizon_months') }} - 1 then max(
            case when months_since_acquisition = {{ num('cohort_horizon_months') }} - 1 then revenue_per_customer end
        ) over (partition by acquisition_month, channel) end as clv,
        min(case when revenue_per_customer >= cac then months_since_acquisition end)
            over (partition by acquisition_month, channel) as payback_month
    from rated
)

select
    acquisition_month,
    channel,
    months_since_acquisition,
    reporting_currency,
    customers,
    active_customers,
    revenue,
    cumulative_revenue,
    spend,
    retention_rate,
    revenue_per_customer,
    cac,
    clv,
    {{ kpi('clv_to_cac_ratio') }} as clv_to_cac_ratio,
    cast(payback_month as bigint) as payback_months
from lifetime
