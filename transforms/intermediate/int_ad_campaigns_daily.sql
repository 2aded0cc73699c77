-- Ad campaign metrics per day across every ad platform, with the account's name and currency and
-- the campaign key that joins ads to web and CRM data. An override row for a campaign replaces
-- the key derived from its name.
with google_ads as (
    select
        s.date_day,
        s.platform,
        s.account_id,
        a.account_name,
        s.campaign_id,
        s.campaign_name,
        a.currency_code,
        s.spend,
        s.impressions,
        s.clicks,
        s.conversions,
        s.conversions_value
    from staging.stg_google_ads__campaign_stats as s
    left join staging.stg_google_ads__customers as a
        on a.account_id = s.account_id
),

all_platforms as (
    select * from google_ads
)

select
    p.*,
    coalesce(o.campaign_key, {{ campaign_key('p.campaign_name') }}) as campaign_key
from all_platforms as p
left join staging.campaign_key_overrides as o
    on o.platform = p.platform
    and o.campaign_id = p.campaign_id
