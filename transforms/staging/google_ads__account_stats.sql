-- Google Ads account totals per day, as the customer resource reports them (GAQL FROM customer): every
-- campaign of the account, what its campaign rows are reconciled against. Spend is in the account's
-- currency, converted from micros exactly by the connector.
select
    customer_id as account_id,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(spend, 0) as decimal(38, 6)) as spend,
    cast(coalesce(conversions, 0) as double) as conversions,
    cast(coalesce(conversions_value, 0) as double) as conversions_value
from raw_google_ads.account_stats
where {{ window('date_day') }}
