-- One row per LinkedIn ad account: its name and currency. LinkedIn accounts have no time zone: the
-- Marketing API reports every day in UTC, so the account's reporting zone is 'UTC'.
select
    account_id,
    name as account_name,
    upper(currency) as currency_code,
    'UTC' as time_zone
from raw_linkedin_ads.accounts
