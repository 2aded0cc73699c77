-- Meta ad insights per day: an ad within its ad set (ad group) and campaign.
select
    account_id,
    campaign_id,
    adset_id as ad_group_id,
    ad_id,
    ad_name,
    ad_status,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(spend, 0) as decimal(38, 6)) as spend,
    cast(coalesce(conversions, 0) as double) as conversions,
    cast(coalesce(conversions_value, 0) as double) as conversions_value
from raw_facebook_ads.ad_stats
where {{ window('date_day') }}
