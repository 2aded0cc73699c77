-- Salesforce opportunities, deleted ones left out. Amounts are parsed by the connector; one that
-- could not be read is NULL here and listed in raw_salesforce.quarantine. CloseDate is a date: it
-- becomes midnight UTC of that day. Salesforce has one opportunity pipeline per record type, which
-- is not loaded.
select
    id as deal_id,
    name as deal_name,
    created_date as created_at,
    cast(close_date as timestamp) at time zone 'UTC' as close_date,
    stage_name as stage,
    cast(null as varchar) as pipeline,
    coalesce(is_closed, false) as is_closed,
    coalesce(is_won, false) as is_won,
    cast(amount as decimal(38, 6)) as amount,
    upper(currency_iso_code) as currency_code,
    system_modstamp as updated_at,
    account_id,
    campaign_id,
    lead_source
from raw_salesforce.opportunity
where not coalesce(is_deleted, false)
