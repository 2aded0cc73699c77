-- Fivetran's campaign report: campaign_performance_daily's rows under the package's names.
select
    cast('' as varchar) as source_relation,
    date_day,
    platform,
    account_id,
    account_name,
    campaign_id,
    campaign_name,
    clicks,
    impressions,
    spend_reporting as spend,
    conversions,
    conversions_value_reporting as conversions_value
from marts.campaign_performance_daily
