-- One row per day, ad platform, account, campaign and ad group: the grain BI tools drill into below
-- campaign_performance_daily, in the account's currency and in the reporting currency.
select
    g.date_day,
    g.platform,
    g.account_id,
    a.account_name,
    a.time_zone,
    g.campaign_id,
    c.campaign_name,
    c.campaign_key,
    g.ad_group_id,
    g.ad_group_name,
    g.ad_group_status,
    a.currency_code,
    g.spend,
    g.impressions,
    g.clicks,
    g.conversions,
    g.conversions_value,
    {{ var('reporting_currency') }} as reporting_currency,
    {{ to_reporting('g.spend', reporting_rate('a.currency_code', 'fx')) }} as spend_reporting,
    {{ to_reporting('g.conversions_value', reporting_rate('a.currency_code', 'fx'), scale=None) }}
        as conversions_value_reporting
from {{ union('ads', 'ad_group_stats') }} as g
left join {{ union('ads', 'accounts') }} as a
    on a.platform = g.platform
    and a.account_id = g.account_id
left join intermediate.int_fx_rates_daily as fx
    on fx.currency_code = a.currency_code
    and fx.date_day = g.date_day
left join intermediate.int_ad_campaigns_daily as c
    on c.date_day = g.date_day
    and c.platform = g.platform
    and c.account_id = g.account_id
    and c.campaign_id = g.campaign_id
