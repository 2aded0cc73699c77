-- Spend, delivery, web and CRM results and their KPIs per month, grouped by each part of the naming
-- convention: one block of rows per part (region, channel, ...), each value of that part a row.
-- Every campaign key counts once in each part's block, under '(not set)' where its name lacks the
-- part, so each block adds up to the month's total.
with monthly as (
    select
        cast(date_trunc('month', k.date_day) as date) as month,
        t.part,
        t.value,
        count(distinct k.campaign_key) as campaign_keys,
        sum(k.spend) as spend,
        sum(k.impressions) as impressions,
        sum(k.clicks) as clicks,
        sum(cast(k.conversions as decimal(38, 6))) as conversions,
        sum(k.sessions) as sessions,
        sum(k.leads) as leads,
        sum(k.deals_won) as deals_won,
        sum(k.revenue) as revenue
    from marts_candidate.campaign_kpis_daily as k
    inner join marts_candidate.campaign_taxonomy as t
        on t.campaign_key = k.campaign_key
    group by cast(date_trunc('month', k.date_day) as date), t.part, t.value
),

typed as (
    select
        month,
        part,
        value,
        {{ var('reporting_currency') }} as reporting_currency,
        cast(campaign_keys as bigint) as campaign_keys,
        cast(spend as decimal(38, 6)) as spend,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(conversions as double) as conversions,
        cast(sessions as bigint) as sessions,
        cast(leads as bigint) as leads,
        cast(deals_won as bigint) as deals_won,
        cast(revenue as decimal(38, 6)) as revenue
    from monthly
)

select
    typed.*,
    {{ kpi('ctr') }} as ctr,
    {{ kpi('cpc') }} as cpc,
    {{ kpi('cpm') }} as cpm,
    {{ kpi('cpa') }} as cpa,
    {{ kpi('cac') }} as cac,
    {{ kpi('roas') }} as roas,
    {{ kpi('roi') }} as roi
from typed
