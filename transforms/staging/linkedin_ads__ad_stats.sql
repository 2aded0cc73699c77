-- LinkedIn creatives are the industry's ads: adAnalytics pivot CREATIVE per UTC day, with the creative's
-- campaign (the ad group) and that campaign's group (the campaign).
select
    s.account_id,
    c.campaign_group_id as campaign_id,
    cr.campaign_id as ad_group_id,
    s.creative_id as ad_id,
    cr.name as ad_name,
    cr.intended_status as ad_status,
    s.date_day,
    coalesce(s.impressions, 0) as impressions,
    coalesce(s.clicks, 0) as clicks,
    cast(coalesce(s.cost_in_local_currency, 0) as decimal(38, 6)) as spend,
    cast(coalesce(s.external_website_conversions, 0) as double) as conversions,
    cast(coalesce(s.conversion_value_in_local_currency, 0) as double) as conversions_value
from raw_linkedin_ads.creative_stats as s
left join raw_linkedin_ads.creatives as cr
    on cr.account_id = s.account_id and cr.creative_id = s.creative_id
left join raw_linkedin_ads.campaigns as c
    on c.account_id = cr.account_id and c.campaign_id = cr.campaign_id
where {{ window('s.date_day') }}
