-- One row per CRM deal, across every enabled CRM, with its amount in the reporting currency, the
-- first-touch utm of its contact and the campaign key.
select
    source_system,
    deal_id,
    deal_name,
    created_at,
    closed_at,
    stage,
    is_closed,
    is_won,
    amount,
    currency_code,
    {{ var('reporting_currency') }} as reporting_currency,
    fx_rate_date,
    amount_reporting,
    utm_source,
    utm_medium,
    utm_campaign,
    campaign_key
from intermediate.int_deals_attributed
