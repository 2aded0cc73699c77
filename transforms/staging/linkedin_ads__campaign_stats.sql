-- LinkedIn campaign groups are the industry's campaigns: the daily stats of their campaigns (adAnalytics
-- pivot CAMPAIGN) summed per campaign group and UTC day, here rather than by a second API call, so the
-- campaign and ad group levels always agree. Sums of exact decimals stay exact.
select
    s.account_id,
    c.campaign_group_id as campaign_id,
    max(g.name) as campaign_name,
    max(g.status) as campaign_status,
    s.date_day,
    cast(sum(coalesce(s.impressions, 0)) as bigint) as impressions,
    cast(sum(coalesce(s.clicks, 0)) as bigint) as clicks,
    cast(sum(coalesce(s.cost_in_local_currency, 0)) as decimal(38, 6)) as spend,
    cast(sum(coalesce(s.external_website_conversions, 0)) as double) as conversions,
    cast(sum(coalesce(s.conversion_value_in_local_currency, 0)) as double) as conversions_value
from raw_linkedin_ads.campaign_stats as s
left join raw_linkedin_ads.campaigns as c
    on c.account_id = s.account_id and c.campaign_id = s.campaign_id
left join raw_linkedin_ads.campaign_groups as g
    on g.account_id = c.account_id and g.campaign_group_id = c.campaign_group_id
where {{ window('s.date_day') }}
group by s.account_id, c.campaign_group_id, s.date_day
