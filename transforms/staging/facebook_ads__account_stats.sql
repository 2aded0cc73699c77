-- Meta's own account totals per day (level=account), in the shared column vocabulary: the numbers the
-- campaign rows are reconciled against. date_day is the account-local day Meta reports; spend is in
-- the account's currency, parsed exactly. Conversions count the same action types under the same
-- attribution windows as the campaign level (see the connector), so the two compare like for like.
select
    account_id,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(spend, 0) as decimal(38, 6)) as spend,
    cast(coalesce(conversions, 0) as double) as conversions,
    cast(coalesce(conversions_value, 0) as double) as conversions_value
from raw_facebook_ads.account_stats
where {{ window('date_day') }}
