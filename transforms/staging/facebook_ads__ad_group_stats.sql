-- Meta ad set insights per day as ad group stats (an ad set is Meta's ad group).
select
    account_id,
    campaign_id,
    adset_id as ad_group_id,
    adset_name as ad_group_name,
    adset_status as ad_group_status,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(spend, 0) as decimal(38, 6)) as spend,
    cast(coalesce(conversions, 0) as double) as conversions,
    cast(coalesce(conversions_value, 0) as double) as conversions_value
from raw_facebook_ads.ad_group_stats
where {{ window('date_day') }}
