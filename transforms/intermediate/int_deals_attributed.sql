-- Each CRM deal attributed to the first touch of its earliest associated contact.
with ranked_contacts as (
    select
        dc.deal_id,
        c.contact_id,
        c.utm_source,
        c.utm_medium,
        c.utm_campaign,
        c.campaign_key,
        row_number() over (partition by dc.deal_id order by c.created_at, c.contact_id) as contact_rank
    from staging.stg_hubspot__deal_contacts as dc
    inner join intermediate.int_contacts_first_touch as c
        on c.contact_id = dc.contact_id
)

select
    d.*,
    case when d.is_closed then d.close_date end as closed_at,
    case when d.is_closed then cast(d.close_date at time zone 'UTC' as date) end as closed_date,
    r.contact_id,
    r.utm_source,
    r.utm_medium,
    r.utm_campaign,
    r.campaign_key
from staging.stg_hubspot__deals as d
left join ranked_contacts as r
    on r.deal_id = d.deal_id
    and r.contact_rank = 1
