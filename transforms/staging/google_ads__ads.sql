-- Google Ads ads with their landing pages. Google builds the landing page from the ad's first final
-- URL and the most specific final URL suffix (the ad's, else its ad group's, else its campaign's),
-- joined with '&' when the URL already has a query. The tracking template only redirects to that
-- page, so it plays no part. Suffixes set on the account are not read.
with suffixed as (
    select
        *,
        nullif(coalesce(final_url_suffix, ad_group_final_url_suffix, campaign_final_url_suffix), '') as suffix
    from raw_google_ads.ads
)

select
    customer_id as account_id,
    campaign_id,
    ad_group_id,
    ad_id,
    coalesce(nullif(ad_name, ''), replace(lower(ad_type), '_', ' ') || ' ' || ad_id) as ad_name,
    ad_status,
    case
        when nullif(final_url, '') is null then null
        when suffix is null then final_url
        when strpos(final_url, '?') > 0 then final_url || '&' || suffix
        else final_url || '?' || suffix
    end as landing_url
from suffixed
