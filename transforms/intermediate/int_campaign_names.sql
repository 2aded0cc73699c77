-- Each ad platform campaign (platform, account, campaign id) once: its latest name and campaign key,
-- the days it ran and its spend in the reporting currency. A campaign renamed on the platform is
-- judged by the name it carries now; ties on the last day go to the name that sorts first, so a
-- rerun names it the same.
with ranked as (
    select
        platform,
        account_id,
        campaign_id,
        campaign_name,
        campaign_key,
        row_number() over (
            partition by platform, account_id, campaign_id order by date_day desc, campaign_name
        ) as recency
    from intermediate.int_ad_campaigns_daily
),

spans as (
    select
        platform,
        account_id,
        campaign_id,
        min(date_day) as first_day,
        max(date_day) as last_day,
        case when count(fx_rate) = count(*) then sum({{ to_reporting('spend', 'fx_rate') }}) end as spend_reporting
    from intermediate.int_ad_campaigns_daily
    group by platform, account_id, campaign_id
)

select
    r.platform,
    r.account_id,
    r.campaign_id,
    r.campaign_name,
    r.campaign_key,
    s.first_day,
    s.last_day,
    s.spend_reporting
from ranked as r
inner join spans as s
    on s.platform = r.platform
    and s.account_id = r.account_id
    and s.campaign_id = r.campaign_id
where r.recency = 1
