-- Which contacts each HubSpot deal is associated with.
select distinct
    deal_id,
    contact_id
from raw_hubspot.deal_contacts
