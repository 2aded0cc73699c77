-- Salesforce touches: every live membership of a live campaign, dated when the person became a
-- member (CreatedDate: FirstRespondedDate is only a day, and a member that never responded was
-- still reached), with the campaign's name as utm_campaign and the person's LeadSource as
-- utm_source; and, for a person no campaign reached, the lead's creation under its LeadSource,
-- so organic leads have a touch too. People are identified as in salesforce__contacts: a
-- converted lead's memberships and creation count for its contact.
with live_leads as (
    select * from raw_salesforce.lead
    where not coalesce(is_deleted, false)
),

people as (
    select
        c.id as contact_id,
        coalesce(f.lead_created_at, c.created_date) as created_at,
        c.lead_source
    from raw_salesforce.contact as c
    left join (
        select converted_contact_id as contact_id, min(created_date) as lead_created_at
        from live_leads
        where is_converted and converted_contact_id is not null
        group by converted_contact_id
    ) as f
        on f.contact_id = c.id
    where not coalesce(c.is_deleted, false)

    union all

    select
        id as contact_id,
        created_date as created_at,
        lead_source
    from live_leads
    where not coalesce(is_converted, false)
),

memberships as (
    select
        m.id as touch_id,
        coalesce(m.contact_id, case when l.is_converted then l.converted_contact_id end, m.lead_id) as contact_id,
        m.created_date as touched_at,
        c.name as campaign_name
    from raw_salesforce.campaign_member as m
    inner join raw_salesforce.campaign as c
        on c.id = m.campaign_id
        and not coalesce(c.is_deleted, false)
    left join raw_salesforce.lead as l
        on l.id = m.lead_id
    where not coalesce(m.is_deleted, false)
)

select
    m.touch_id,
    m.contact_id,
    m.touched_at,
    'campaign_member' as touch_type,
    nullif(p.lead_source, '') as utm_source,
    cast(null as varchar) as utm_medium,
    m.campaign_name as utm_campaign
from memberships as m
inner join people as p
    on p.contact_id = m.contact_id

union all

select
    p.contact_id || ':lead_source' as touch_id,
    p.contact_id,
    p.created_at as touched_at,
    'lead_source' as touch_type,
    nullif(p.lead_source, '') as utm_source,
    cast(null as varchar) as utm_medium,
    cast(null as varchar) as utm_campaign
from people as p
where p.created_at is not null
    and not exists (select 1 from memberships as m where m.contact_id = p.contact_id)
