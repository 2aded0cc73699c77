-- One row per day and paid campaign key: ads, web and CRM joined on the campaign key, with every
-- KPI of docs/metrics.md, rendered from its catalog. Money is in the reporting currency, so a key
-- whose campaigns run in accounts of different currencies still sums into one row. Counts are cast to the contract's types,
-- so both engines publish the same ones (sums would be HUGEINT on DuckDB and numeric on PostgreSQL).
with campaign_keys as (
    select distinct campaign_key
    from intermediate.int_ad_campaigns_daily
),

ads as (
    select
        date_day,
        campaign_key,
        -- NULL, never a partial sum, when any row lacks its rate: the gate then blocks the day.
        case when count(fx_rate) = count(*) then sum({{ to_reporting('spend', 'fx_rate') }}) end as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks,
        -- Summed exactly: a float sum over several platforms' rows would depend on their order,
        -- and a rerun must publish the very same values.
        sum(cast(conversions as decimal(38, 6))) as conversions
    from intermediate.int_ad_campaigns_daily
    group by date_day, campaign_key
),

web as (
    select date_day, campaign_key, sum(sessions) as sessions
    from intermediate.int_web_traffic_daily
    where campaign_key is not null
    group by date_day, campaign_key
),

leads as (
    select created_date as date_day, campaign_key, count(*) as leads
    from intermediate.int_contacts_first_touch
    where campaign_key is not null
    group by created_date, campaign_key
),

deals as (
    select
        d.closed_date as date_day,
        d.campaign_key,
        count(*) as deals_won,
        case when count(d.amount_reporting) = count(d.amount) then coalesce(sum(d.amount_reporting), 0) end as revenue
    from intermediate.int_deals_attributed as d
    inner join campaign_keys as k
        on k.campaign_key = d.campaign_key
    where d.is_won and d.closed_date is not null
    group by d.closed_date, d.campaign_key
),

spine as (
    select date_day, campaign_key from ads
    union
    select date_day, campaign_key from web
    union
    select date_day, campaign_key from leads
    union
    select date_day, campaign_key from deals
),

joined as (
    select
        spine.date_day,
        spine.campaign_key,
        {{ var('reporting_currency') }} as reporting_currency,
        cast(case when ads.campaign_key is null then 0 else ads.spend end as decimal(38, 6)) as spend,
        cast(coalesce(ads.impressions, 0) as bigint) as impressions,
        cast(coalesce(ads.clicks, 0) as bigint) as clicks,
        cast(coalesce(ads.conversions, 0) as double) as conversions,
        cast(coalesce(web.sessions, 0) as bigint) as sessions,
        cast(coalesce(leads.leads, 0) as bigint) as leads,
        cast(coalesce(deals.deals_won, 0) as bigint) as deals_won,
        cast(case when deals.campaign_key is null then 0 else deals.revenue end as decimal(38, 6)) as revenue
    from spine
    inner join campaign_keys as k
        on k.campaign_key = spine.campaign_key
    left join ads
        on ads.date_day = spine.date_day and ads.campaign_key = spine.campaign_key
    left join web
        on web.date_day = spine.date_day and web.campaign_key = spine.campaign_key
    left join leads
        on leads.date_day = spine.date_day and leads.campaign_key = spine.campaign_key
    left join deals
        on deals.date_day = spine.date_day and deals.campaign_key = spine.campaign_key
)

select
    joined.*,
    {{ kpi('ctr') }} as ctr,
    {{ kpi('cpc') }} as cpc,
    {{ kpi('cpm') }} as cpm,
    {{ kpi('cpa') }} as cpa,
    {{ kpi('cac') }} as cac,
    {{ kpi('roas') }} as roas,
    {{ kpi('roi') }} as roi,
    {{ kpi('click_to_session_rate') }} as click_to_session_rate,
    {{ kpi('lead_to_deal_rate') }} as lead_to_deal_rate
from joined
