-- LinkedIn account totals per UTC day, as adAnalytics pivot ACCOUNT reports them: every campaign of the
-- account, what its campaign rows are reconciled against. Money is in the account's currency, exact.
select
    account_id,
    date_day,
    coalesce(impressions, 0) as impressions,
    coalesce(clicks, 0) as clicks,
    cast(coalesce(cost_in_local_currency, 0) as decimal(38, 6)) as spend,
    cast(coalesce(external_website_conversions, 0) as double) as conversions,
    cast(coalesce(conversion_value_in_local_currency, 0) as double) as conversions_value
from raw_linkedin_ads.account_stats
where {{ window('date_day') }}
