-- One row per Google Ads customer (account): its name, currency and time zone.
select
    customer_id as account_id,
    descriptive_name as account_name,
    upper(currency_code) as currency_code,
    time_zone
from raw_google_ads.customers
