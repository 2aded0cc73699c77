-- Google Ads ad (ad_group_ad) metrics per day. Most ad types carry no name (responsive search and
-- display ads among them): such an ad is named by its type and id, as the Google Ads UI lists it.
select
    customer_id as account_id,
    campaign_id,
    ad_group_id,
    ad_id,
    coalesce(nullif(ad_name, ''), replace(lower(ad_type), '_', ' ') || ' ' || ad_id) as ad_name,
    ad_status,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(spend, 0) as decimal(38, 6)) as spend,
    cast(coalesce(conversions, 0) as double) as conversions,
    cast(coalesce(conversions_value, 0) as double) as conversions_value
from raw_google_ads.ad_stats
where {{ window('date_day') }}
