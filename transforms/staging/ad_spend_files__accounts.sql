-- One row per platform and account of the spend files: its name and currency as its rows give them
-- (an account's spend is in one currency), and its time zone, UTC where no file says.
select
    platform,
    account_id,
    max(account_name) as account_name,
    max(currency_code) as currency_code,
    coalesce(max(time_zone), 'UTC') as time_zone
from raw_ad_spend_files.spend
group by platform, account_id
