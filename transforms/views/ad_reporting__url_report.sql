-- Fivetran's URL report: url_performance_daily's ads summed per ad group and landing URL, as the
-- package groups them. A NULL part of the URL groups as one value, as SQL's GROUP BY does.
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
    base_url,
    url_host,
    url_path,
    utm_source,
    utm_medium,
    utm_campaign,
    utm_content,
    utm_term,
    cast(sum(clicks) as bigint) as clicks,
    cast(sum(impressions) as bigint) as impressions,
    cast(sum(spend_reporting) as decimal(38, 6)) as spend,
    cast(sum(conversions) as double) as conversions,
    cast(sum(conversions_value_reporting) as double) as conversions_value
from marts.url_performance_daily
group by
    date_day, platform, account_id, account_name, campaign_id, campaign_name, ad_group_id, ad_group_name,
    base_url, url_host, url_path, utm_source, utm_medium, utm_campaign, utm_content, utm_term
