-- One row per day, ad platform, account, campaign and ad group: the grain BI tools drill into below
-- campaign_performance_daily, in the account's currency and in the reporting currency. The account,
-- its rate that day and the campaign key come with the campaign's day.
select
    g.date_day,
    g.platform,
    g.account_id,
    c.account_name,
    c.time_zone,
    g.campaign_id,
    c.campaign_name,
    c.campaign_key,
    g.ad_group_id,
    g.ad_group_name,
    g.ad_group_status,
    c.currency_code,
    g.spend,
    g.impressions,
    g.clicks,
    g.conversions,
    g.conversions_value,
    {{ var('reporting_currency') }} as reporting_currency,
    {{ to_reporting('g.spend', 'c.fx_rate') }} as spend_reporting,
    {{ to_reporting('g.conversions_value', 'c.fx_rate', scale=None) }} as conversions_value_reporting
from {{ union('ads', 'ad_group_stats') }} as g
left join intermediate.int_ad_campaigns_daily as c
    on c.date_day = g.date_day
    and c.platform = g.platform
    and c.account_id = g.account_id
    and c.campaign_id = g.campaign_id
    and {{ window('c.date_day') }}
where {{ window('g.date_day') }}
