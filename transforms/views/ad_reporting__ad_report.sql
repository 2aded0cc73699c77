-- Fivetran's ad report: ad_performance_daily's rows under the package's names.
select
    cast('' as varchar) as source_relation,
    date_day,
    platform,
    account_id,
    account_name,
    campaign_id,
    campaign_name,
    ad_group_id,
    ad_group_name,
    ad_id,
    ad_name,
    clicks,
    impressions,
    spend_reporting as spend,
    conversions,
    conversions_value_reporting as conversions_value
from marts.ad_performance_daily
