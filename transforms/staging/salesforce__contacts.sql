-- Salesforce people: live contacts, and live leads not converted into one, one row per id. A contact
-- converted from a lead became a lead when that lead was created, so it takes the lead's creation
-- time. First touch: utm_source is the LeadSource; utm_campaign the name of the campaign of the
-- person's earliest campaign membership (a converted lead's memberships count for its contact);
-- Salesforce has no standard field for utm_medium. Channel: a first touch in an Advertisement
-- campaign is paid traffic from its LeadSource (google: Paid Search, facebook: Paid Social), a Banner
-- Ads one Display, an Email one Email; without a campaign, the LeadSource alone (a site's name gives
-- its organic channel, referral values Referral, anything else, such as Web, Unassigned). Lifecycle
-- stage: a lead's Status; a contact's, the Status of the lead it was converted from (Closed -
-- Converted); a contact created without a lead has none.
with live_leads as (
    select * from raw_salesforce.lead
    where not coalesce(is_deleted, false)
),

touches as (
    select
        coalesce(m.contact_id, case when l.is_converted then l.converted_contact_id end, m.lead_id) as person_id,
        c.name as campaign_name,
        c.type as campaign_type,
        m.created_date,
        m.id as member_id
    from raw_salesforce.campaign_member as m
    inner join raw_salesforce.campaign as c
        on c.id = m.campaign_id
        and not coalesce(c.is_deleted, false)
    left join raw_salesforce.lead as l
        on l.id = m.lead_id
    where not coalesce(m.is_deleted, false)
),

first_touch as (
    select person_id, campaign_name, campaign_type
    from (
        select
            person_id,
            campaign_name,
            campaign_type,
            row_number() over (partition by person_id order by created_date, member_id) as touch_rank
        from touches
    ) as ranked
    where touch_rank = 1
),

converted_from as (
    select contact_id, lead_created_at, lead_status
    from (
        select
            converted_contact_id as contact_id,
            created_date as lead_created_at,
            status as lead_status,
            row_number() over (partition by converted_contact_id order by created_date, id) as lead_rank
        from live_leads
        where is_converted and converted_contact_id is not null
    ) as ranked
    where lead_rank = 1
),

people as (
    select
        c.id as contact_id,
        'Contact' as record_type,
        coalesce(f.lead_created_at, c.created_date) as created_at,
        c.system_modstamp as updated_at,
        c.lead_source,
        f.lead_status as lifecycle_stage
    from raw_salesforce.contact as c
    left join converted_from as f
        on f.contact_id = c.id
    where not coalesce(c.is_deleted, false)

    union all

    select
        id as contact_id,
        'Lead' as record_type,
        created_date as created_at,
        system_modstamp as updated_at,
        lead_source,
        status as lifecycle_stage
    from live_leads
    where not coalesce(is_converted, false)
)

select
    p.contact_id,
    p.created_at,
    p.updated_at,
    nullif(p.lead_source, '') as utm_source,
    cast(null as varchar) as utm_medium,
    t.campaign_name as utm_campaign,
    case
        when t.campaign_type = 'Advertisement' then {{ channel_group('p.lead_source', "'paid'") }}
        when t.campaign_type = 'Banner Ads' then 'Display'
        when t.campaign_type = 'Email' then 'Email'
        when {{ channel_group('p.lead_source', 'null') }} <> 'Unassigned' then {{ channel_group('p.lead_source', 'null') }}
        when p.lead_source in ('Employee Referral', 'External Referral', 'Partner', 'Partner Referral', 'Word of mouth')
            then 'Referral'
        else 'Unassigned'
    end as channel,
    p.lifecycle_stage,
    p.record_type,
    p.lead_source
from people as p
left join first_touch as t
    on t.person_id = p.contact_id
