-- Meta campaign insights per day, in the shared column vocabulary. date_day is the account-local day
-- Meta reports (date_start with time_increment=1); spend is in the account's currency, parsed exactly
-- by the connector. Conversions count the configured action types once each (see the connector).
select
    account_id,
    campaign_id,
    campaign_name,
    campaign_status,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(spend, 0) as decimal(38, 6)) as spend,
    cast(coalesce(conversions, 0) as double) as conversions,
    cast(coalesce(conversions_value, 0) as double) as conversions_value
from raw_facebook_ads.campaign_stats
where {{ window('date_day') }}
