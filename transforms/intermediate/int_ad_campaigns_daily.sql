-- Ad campaign metrics per day across every enabled ad platform, with the account's name, currency
-- and time zone, the rate of that currency into the reporting currency on that day, and the
-- campaign key that joins ads to web and CRM data. An override row for a campaign replaces the key
-- derived from its name.
with campaigns as (
    select
        s.date_day,
        s.platform,
        s.account_id,
        a.account_name,
        a.time_zone,
        s.campaign_id,
        s.campaign_name,
        a.currency_code,
        {{ reporting_rate('a.currency_code', 'fx') }} as fx_rate,
        s.spend,
        s.impressions,
        s.clicks,
        s.conversions,
        s.conversions_value
    from {{ union('ads', 'campaign_stats') }} as s
    left join {{ union('ads', 'accounts') }} as a
        on a.platform = s.platform
        and a.account_id = s.account_id
    left join intermediate.int_fx_rates_daily as fx
        on fx.currency_code = a.currency_code
        and fx.date_day = s.date_day
    where {{ window('s.date_day') }}
)

select
    p.*,
    coalesce(o.campaign_key, {{ campaign_key('p.campaign_name') }}) as campaign_key
from campaigns as p
left join staging.campaign_key_overrides as o
    on o.platform = p.platform
    and o.campaign_id = p.campaign_id
