-- One row per day, ad platform, account, campaign, ad group and ad whose platform says where the ad
-- sends a click: ad_performance_daily's row of the ad's day, with its landing URL taken apart. The
-- URL is the ad's as of the day's last build. Parameters are read as written in the URL (a value
-- stays percent-encoded), the first of a repeated one; PostgreSQL's substring answers NULL where
-- DuckDB's regexp_extract answers '', hence the nullif.
with urls as (
    select
        platform,
        account_id,
        ad_id,
        landing_url,
        regexp_replace(landing_url, '[?#].*$', '') as base_url,
        -- The host, after any user info: its at sign is written chr(64), since dbt and SQLMesh, which the
        -- benchmark runs these models with, would read a literal one as their own templating.
        nullif(regexp_extract(
            lower(landing_url), '^[a-z][a-z0-9+.-]*://(?:[^/?#]*' || chr(64) || ')?([^/?#:]+)', 1
        ), '') as url_host,
        nullif(regexp_extract(landing_url, '^[^:/?#]+://[^/?#]*/([^?#]*)', 1), '') as url_path,
        nullif(regexp_extract(landing_url, '[?&]utm_source=([^&#]*)', 1), '') as utm_source,
        nullif(regexp_extract(landing_url, '[?&]utm_medium=([^&#]*)', 1), '') as utm_medium,
        nullif(regexp_extract(landing_url, '[?&]utm_campaign=([^&#]*)', 1), '') as utm_campaign,
        nullif(regexp_extract(landing_url, '[?&]utm_content=([^&#]*)', 1), '') as utm_content,
        nullif(regexp_extract(landing_url, '[?&]utm_term=([^&#]*)', 1), '') as utm_term
    from {{ union('ads', 'ads') }} as a
    where landing_url is not null
)

select
    p.date_day,
    p.platform,
    p.account_id,
    p.account_name,
    p.time_zone,
    p.campaign_id,
    p.campaign_name,
    p.campaign_key,
    p.ad_group_id,
    p.ad_group_name,
    p.ad_id,
    p.ad_name,
    u.landing_url,
    u.base_url,
    u.url_host,
    u.url_path,
    u.utm_source,
    u.utm_medium,
    u.utm_campaign,
    u.utm_content,
    u.utm_term,
    p.currency_code,
    p.spend,
    p.impressions,
    p.clicks,
    p.conversions,
    p.conversions_value,
    p.reporting_currency,
    p.spend_reporting,
    p.conversions_value_reporting
from marts_candidate.ad_performance_daily as p
inner join urls as u
    on u.platform = p.platform
    and u.account_id = p.account_id
    and u.ad_id = p.ad_id
where {{ window('p.date_day') }}
