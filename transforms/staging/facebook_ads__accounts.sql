-- One row per Meta ad account (id without act_): its name, currency and the time zone its insights days follow.
select
    account_id,
    name as account_name,
    upper(currency) as currency_code,
    timezone_name as time_zone
from raw_facebook_ads.accounts
