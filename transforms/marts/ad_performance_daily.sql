-- One row per day, ad platform, account, campaign, ad group and ad (Google Ads ad, Meta ad, LinkedIn creative):
-- the finest grain the platforms report, in the account's currency and in the reporting currency.
-- The account, its rate that day and the campaign key come with the campaign's day, the ad group's
-- name with the ad group's.
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
    s.ad_status,
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
