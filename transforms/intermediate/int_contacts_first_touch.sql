-- Each CRM contact, across every enabled CRM, with its first-touch utm parameters, campaign key and
-- channel (leads, by created day), and the furthest lifecycle stage it reached.
select
    c.source_system,
    c.contact_id,
    c.created_at,
    cast(c.created_at at time zone 'UTC' as date) as created_date,
    c.utm_source,
    c.utm_medium,
    c.utm_campaign,
    case when c.utm_campaign is not null then {{ campaign_key('c.utm_campaign') }} end as campaign_key,
    c.channel,
    c.lifecycle_stage
from {{ union('crm', 'contacts') }} as c
