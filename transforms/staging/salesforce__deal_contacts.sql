-- The contacts of each Salesforce opportunity (its contact roles), deleted roles left out.
select distinct
    opportunity_id as deal_id,
    contact_id
from raw_salesforce.opportunity_contact_role
where not coalesce(is_deleted, false)
    and contact_id is not null
