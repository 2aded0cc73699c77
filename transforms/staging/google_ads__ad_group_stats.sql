-- Google Ads ad-group metrics per day, in the shared column vocabulary.
select
    customer_id as account_id,
    campaign_id,
    ad_group_id,
    ad_group_name,
    ad_group_status,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(spend, 0) as decimal(38, 6)) as spend,
    cast(coalesce(conversions, 0) as double) as conversions,
    cast(coalesce(conversions_value, 0) as double) as conversions_value
from raw_google_ads.ad_group_stats
where {{ window('date_day') }}
