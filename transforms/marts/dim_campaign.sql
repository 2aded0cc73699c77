-- One row per campaign across platforms: a campaign key with the platforms and campaigns it runs
-- as, its channel (from the traffic it brings), its days and spend, its current name and whether
-- that name keeps the naming convention. The name's parts are in marts.campaign_taxonomy.
with campaigns as (
    select
        campaign_key,
        count(*) as platform_campaigns,
        string_agg(distinct platform, ',' order by platform) as platforms,
        min(first_day) as first_day,
        max(last_day) as last_day,
        case when count(spend_reporting) = count(*) then sum(spend_reporting) end as spend_reporting
    from intermediate.int_campaign_names
    group by campaign_key
),

violations as (
    select campaign_key, count(*) as naming_violations
    from intermediate.int_campaign_taxonomy
    where violation is not null
    group by campaign_key
),

taxonomy as (
    select
        campaign_key,
        max(campaign_name) as campaign_name,
        bool_and(is_valid) as naming_valid,
        string_agg(part || '=' || value, ' ' order by position) as taxonomy
    from marts_candidate.campaign_taxonomy
    group by campaign_key
)

select
    c.campaign_key,
    t.campaign_name,
    c.platforms,
    coalesce(ch.channel, 'Unassigned') as channel,
    cast(c.platform_campaigns as bigint) as platform_campaigns,
    c.first_day,
    c.last_day,
    {{ var('reporting_currency') }} as reporting_currency,
    cast(c.spend_reporting as decimal(38, 6)) as spend_reporting,
    t.taxonomy,
    t.naming_valid,
    cast(coalesce(v.naming_violations, 0) as bigint) as naming_violations
from campaigns as c
inner join taxonomy as t
    on t.campaign_key = c.campaign_key
left join violations as v
    on v.campaign_key = c.campaign_key
left join intermediate.int_campaign_channels as ch
    on ch.campaign_key = c.campaign_key
