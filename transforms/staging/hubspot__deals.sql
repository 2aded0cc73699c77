-- HubSpot deals. Amounts arrive as strings and are parsed by the connector; unparseable ones are
-- NULL here and listed in raw_hubspot.quarantine.
select
    id as deal_id,
    dealname as deal_name,
    createdate as created_at,
    closedate as close_date,
    dealstage as stage,
    pipeline,
    coalesce(hs_is_closed, false) as is_closed,
    coalesce(hs_is_closed_won, false) as is_won,
    cast(amount as decimal(38, 6)) as amount,
    upper(deal_currency_code) as currency_code,
    hs_lastmodifieddate as updated_at
from raw_hubspot.deals
where not coalesce(archived, false)
