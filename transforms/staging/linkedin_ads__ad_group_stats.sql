-- LinkedIn campaigns are the industry's ad groups (their campaign group is the campaign): adAnalytics
-- pivot CAMPAIGN per UTC day, with each campaign's group, name and status. Money is in the account's
-- currency, exact.
select
    s.account_id,
    c.campaign_group_id as campaign_id,
    s.campaign_id as ad_group_id,
    c.name as ad_group_name,
    c.status as ad_group_status,
    s.date_day,
    coalesce(s.impressions, 0) as impressions,
    coalesce(s.clicks, 0) as clicks,
    cast(coalesce(s.cost_in_local_currency, 0) as decimal(38, 6)) as spend,
    cast(coalesce(s.external_website_conversions, 0) as double) as conversions,
    cast(coalesce(s.conversion_value_in_local_currency, 0) as double) as conversions_value
from raw_linkedin_ads.campaign_stats as s
left join raw_linkedin_ads.campaigns as c
    on c.account_id = s.account_id and c.campaign_id = s.campaign_id
where {{ window('s.date_day') }}
