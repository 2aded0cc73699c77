-- Fivetran's account report: the day's campaigns of each account summed. Sums are cast back to
-- the contract's types, which both engines would otherwise widen differently.
select
    cast('' as varchar) as source_relation,
    date_day,
    platform,
    account_id,
    account_name,
    cast(sum(clicks) as bigint) as clicks,
    cast(sum(impressions) as bigint) as impressions,
    cast(sum(spend_reporting) as decimal(38, 6)) as spend,
    cast(sum(conversions) as double) as conversions,
    cast(sum(conversions_value_reporting) as double) as conversions_value
from marts.campaign_performance_daily
group by date_day, platform, account_id, account_name
