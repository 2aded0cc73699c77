-- Each CRM contact, across every enabled CRM, with its first-touch utm parameters and campaign key
-- (leads, by created day).
select
    c.source_system,
    c.contact_id,
    c.created_at,
    cast(c.created_at at time zone 'UTC' as date) as created_date,
    c.utm_source,
    c.utm_medium,
    c.utm_campaign,
    case when c.utm_campaign is not null then {{ campaign_key('c.utm_campaign') }} end as campaign_key
from {{ union('crm', 'contacts') }} as c
