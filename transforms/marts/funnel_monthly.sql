-- The marketing and sales funnel per month, campaign key and channel: impressions, clicks, sessions,
-- leads, MQLs, SQLs, opportunities and won, with each stage's conversion rate from docs/metrics.md's
-- catalog. Ads and web stages count what happened in the month; CRM stages count the month's new
-- leads (a creation-month cohort) by the furthest stage each has reached, so every CRM rate compares
-- one population with itself. A contact's stage is its lifecycle stage mapped by
-- FUNNELHOUSE_FUNNEL_STAGES, raised to opportunity by any deal credited to it and to won by a won
-- one. Traffic without a campaign key has the key '(none)'; a keyed row takes its key's channel
-- (intermediate.int_campaign_channels), so each key sits in one channel.
with stages as (
    select lower(crm_value) as crm_value, cast(stage_rank as integer) as stage_rank
    from {{ setting_rows('funnel_stages') }} as s
),

ads as (
    select
        cast(date_trunc('month', cast(a.date_day as timestamp)) as date) as date_month,
        a.campaign_key,
        coalesce(ch.channel, 'Unassigned') as channel,
        sum(a.impressions) as impressions,
        sum(a.clicks) as clicks
    from intermediate.int_ad_campaigns_daily as a
    left join intermediate.int_campaign_channels as ch
        on ch.campaign_key = a.campaign_key
    group by
        cast(date_trunc('month', cast(a.date_day as timestamp)) as date),
        a.campaign_key,
        coalesce(ch.channel, 'Unassigned')
),

web_rows as (
    select
        cast(date_trunc('month', cast(w.date_day as timestamp)) as date) as date_month,
        coalesce(w.campaign_key, '(none)') as campaign_key,
        coalesce(ch.channel, {{ channel_group('w.source', 'w.medium') }}) as channel,
        w.sessions
    from intermediate.int_web_traffic_daily as w
    left join intermediate.int_campaign_channels as ch
        on ch.campaign_key = w.campaign_key
),

web as (
    select date_month, campaign_key, channel, sum(sessions) as sessions
    from web_rows
    group by date_month, campaign_key, channel
),

credited as (
    select
        source_system,
        contact_id,
        max(case when is_won then 4 else 3 end) as deal_rank
    from intermediate.int_deals_attributed
    where contact_id is not null
    group by source_system, contact_id
),

contacts as (
    select
        cast(date_trunc('month', cast(c.created_date as timestamp)) as date) as date_month,
        coalesce(c.campaign_key, '(none)') as campaign_key,
        coalesce(ch.channel, c.channel) as channel,
        greatest(coalesce(s.stage_rank, 0), coalesce(d.deal_rank, 0)) as stage_rank
    from intermediate.int_contacts_first_touch as c
    left join intermediate.int_campaign_channels as ch
        on ch.campaign_key = c.campaign_key
    left join stages as s
        on s.crm_value = lower(c.lifecycle_stage)
    left join credited as d
        on d.source_system = c.source_system
        and d.contact_id = c.contact_id
),

crm as (
    select
        date_month,
        campaign_key,
        channel,
        count(*) as leads,
        sum(case when stage_rank >= 1 then 1 else 0 end) as mqls,
        sum(case when stage_rank >= 2 then 1 else 0 end) as sqls,
        sum(case when stage_rank >= 3 then 1 else 0 end) as opportunities,
        sum(case when stage_rank >= 4 then 1 else 0 end) as won
    from contacts
    group by date_month, campaign_key, channel
),

spine as (
    select date_month, campaign_key, channel from ads
    union
    select date_month, campaign_key, channel from web
    union
    select date_month, campaign_key, channel from crm
),

joined as (
    select
        spine.date_month,
        spine.campaign_key,
        spine.channel,
        cast(coalesce(ads.impressions, 0) as bigint) as impressions,
        cast(coalesce(ads.clicks, 0) as bigint) as clicks,
        cast(coalesce(web.sessions, 0) as bigint) as sessions,
        cast(coalesce(crm.leads, 0) as bigint) as leads,
        cast(coalesce(crm.mqls, 0) as bigint) as mqls,
        cast(coalesce(crm.sqls, 0) as bigint) as sqls,
        cast(coalesce(crm.opportunities, 0) as bigint) as opportunities,
        cast(coalesce(crm.won, 0) as bigint) as won
    from spine
    left join ads
        on ads.date_month = spine.date_month
        and ads.campaign_key = spine.campaign_key
        and ads.channel = spine.channel
    left join web
        on web.date_month = spine.date_month
        and web.campaign_key = spine.campaign_key
        and web.channel = spine.channel
    left join crm
        on crm.date_month = spine.date_month
        and crm.campaign_key = spine.campaign_key
        and crm.channel = spine.channel
)

select
    joined.*,
    {{ kpi('ctr') }} as ctr,
    {{ kpi('click_to_session_rate') }} as click_to_session_rate,
    {{ kpi('session_to_lead_rate') }} as session_to_lead_rate,
    {{ kpi('lead_to_mql_rate') }} as lead_to_mql_rate,
    {{ kpi('mql_to_sql_rate') }} as mql_to_sql_rate,
    {{ kpi('sql_to_opportunity_rate') }} as sql_to_opportunity_rate,
    {{ kpi('opportunity_to_won_rate') }} as opportunity_to_won_rate,
    {{ kpi('lead_to_won_rate') }} as lead_to_won_rate
from joined
