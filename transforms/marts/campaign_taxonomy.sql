-- Each campaign key's naming taxonomy, one row per part of the convention: the value parsed from
-- the key's current name, so spend and KPIs can be grouped by any part (region, channel, ...). A
-- key whose campaigns carry different names across platforms is judged by the name of the
-- campaign that delivered last (ties: platform, account, campaign id).
with representative as (
    select
        platform,
        account_id,
        campaign_id,
        campaign_key,
        row_number() over (
            partition by campaign_key order by last_day desc, platform, account_id, campaign_id
        ) as rank_in_key
    from intermediate.int_campaign_names
)

select
    t.campaign_key,
    t.part,
    t.position,
    coalesce(t.value, '(not set)') as value,
    t.violation is null as is_valid,
    t.campaign_name
from intermediate.int_campaign_taxonomy as t
inner join representative as r
    on r.platform = t.platform
    and r.account_id = t.account_id
    and r.campaign_id = t.campaign_id
    and r.rank_in_key = 1
