-- Meta ads with their landing pages: the creative's link with its url_tags appended, joined with
-- '&' when the link already has a query. Tags may hold Meta's dynamic parameters (campaign.name in
-- double braces), kept as written: Meta fills them in only when the ad is clicked.
select
    account_id,
    campaign_id,
    adset_id as ad_group_id,
    ad_id,
    ad_name,
    ad_status,
    case
        when nullif(link, '') is null then null
        when nullif(url_tags, '') is null then link
        when strpos(link, '?') > 0 then link || '&' || url_tags
        else link || '?' || url_tags
    end as landing_url
from raw_facebook_ads.ads
