-- One row per day, ad platform, account, campaign, ad group and ad whose platform says where the ad
-- sends a click: the ad's day as ad_performance_daily has it, with its landing URL taken apart. The
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
    s.date_day,
    s.platform,
    s.account_id,
    c.account_name,
    c.time_zone,
    s.campaign_id,
    c.campaign_name,
    c.campaign_key,
    s.ad_group_id,
    g.ad_group_name,
    s.ad_id,
    s.ad_name,
    u.landing_url,
    u.base_url,
    u.url_host,
    u.url_path,
    u.utm_source,
    u.utm_medium,
    u.utm_campaign,
    u.utm_content,
    u.utm_term,
    c.currency_code,
    s.spend,
    s.impressions,
    s.clicks,
    s.conversions,
    s.conversions_value,
    {{ var('reporting_currency') }} as reporting_currency,
    {{ to_reporting('s.spend', 'c.fx_rate') }} as spend_reporting,
    {{ to_reporting('s.conversions_value', 'c.fx_rate', scale=None) }} as conversions_value_reporting
from {{ union('ads', 'ad_stats') }} as s
inner join urls as u
    on u.platform = s.platform
    and u.account_id = s.account_id
    and u.ad_id = s.ad_id
left join {{ union('ads', 'ad_group_stats') }} as g
    on g.date_day = s.date_day
    and g.platform = s.platform
    and g.account_id = s.account_id
    and g.ad_group_id = s.ad_group_id
    and {{ window('g.date_day') }}
left join intermediate.int_ad_campaigns_daily as c
    on c.date_day = s.date_day
    and c.platform = s.platform
    and c.account_id = s.account_id
    and c.campaign_id = s.campaign_id
    and {{ window('c.date_day') }}
where {{ window('s.date_day') }}
