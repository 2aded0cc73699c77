-- LinkedIn creatives with the landing page their content names (text and spotlight ads). Sponsored
-- content points at a post, whose link the Creatives API does not give: its landing_url is NULL, so
-- it has no URL rows.
select
    cr.account_id,
    c.campaign_group_id as campaign_id,
    cr.campaign_id as ad_group_id,
    cr.creative_id as ad_id,
    cr.name as ad_name,
    cr.intended_status as ad_status,
    nullif(cr.landing_page, '') as landing_url
from raw_linkedin_ads.creatives as cr
left join raw_linkedin_ads.campaigns as c
    on c.account_id = cr.account_id and c.campaign_id = cr.campaign_id
