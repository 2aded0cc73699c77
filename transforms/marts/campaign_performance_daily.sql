-- One row per day, ad platform, account and campaign: spend in the account's currency and the
-- delivery metrics. spend_reporting stays NULL until FX rates are loaded.
select
    date_day,
    platform,
    account_id,
    account_name,
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
    cast(null as decimal(38, 6)) as spend_reporting
from intermediate.int_ad_campaigns_daily
