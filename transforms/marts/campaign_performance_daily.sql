-- One row per day, ad platform, account and campaign: spend and conversion value in the account's
-- currency and in the reporting currency, and the delivery metrics.
select
    date_day,
    platform,
    account_id,
    account_name,
    time_zone,
    campaign_id,
    campaign_name,
    campaign_key,
    currency_code,
    spend,
    impressions,
    clicks,
    conversions,
    conversions_value,
    {{ var('reporting_currency') }} as reporting_currency,
    {{ to_reporting('spend', 'fx_rate') }} as spend_reporting,
    {{ to_reporting('conversions_value', 'fx_rate', scale=None) }} as conversions_value_reporting
from intermediate.int_ad_campaigns_daily
where {{ window('date_day') }}
