-- One row per day, ad platform, account, campaign, ad group and ad (Meta ad, LinkedIn creative):
-- the finest grain the platforms report, in the account's currency and in the reporting currency.
select
    s.date_day,
    s.platform,
    s.account_id,
    a.account_name,
    a.time_zone,
    s.campaign_id,
    c.campaign_name,
    c.campaign_key,
    s.ad_group_id,
    s.ad_id,
    s.ad_name,
    s.ad_status,
    a.currency_code,
    s.spend,
    s.impressions,
    s.clicks,
    s.conversions,
    s.conversions_value,
    {{ var('reporting_currency') }} as reporting_currency,
    {{ to_reporting('s.spend', reporting_rate('a.currency_code', 'fx')) }} as spend_reporting,
    {{ to_reporting('s.conversions_value', reporting_rate('a.currency_code', 'fx'), scale=None) }}
        as conversions_value_reporting
from {{ union('ads', 'ad_stats') }} as s
left join {{ union('ads', 'accounts') }} as a
    on a.platform = s.platform
    and a.account_id = s.account_id
left join intermediate.int_fx_rates_daily as fx
    on fx.currency_code = a.currency_code
    and fx.date_day = s.date_day
left join intermediate.int_ad_campaigns_daily as c
    on c.date_day = s.date_day
    and c.platform = s.platform
    and c.account_id = s.account_id
    and c.campaign_id = s.campaign_id
