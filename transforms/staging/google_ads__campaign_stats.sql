-- Google Ads campaign metrics per day, in the shared column vocabulary. Spend is in the account's
-- currency, converted from micros exactly by the connector.
select
    customer_id as account_id,
    campaign_id,
    campaign_name,
    campaign_status,
    advertising_channel_type,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(spend, 0) as decimal(38, 6)) as spend,
    cast(coalesce(conversions, 0) as double) as conversions,
    cast(coalesce(conversions_value, 0) as double) as conversions_value
from raw_google_ads.campaign_stats
where {{ window('date_day') }}
