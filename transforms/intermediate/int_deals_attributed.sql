-- Each CRM deal attributed to the first touch of its earliest associated contact, with its amount in
-- the reporting currency: at the close day's rate, or the creation day's while the deal is open.
-- Ids are unique within a CRM only, so every join matches the source system too.
with ranked_contacts as (
    select
        dc.source_system,
        dc.deal_id,
        c.contact_id,
        c.utm_source,
        c.utm_medium,
        c.utm_campaign,
        c.campaign_key,
        row_number() over (
            partition by dc.source_system, dc.deal_id order by c.created_at, c.contact_id
        ) as contact_rank
    from {{ union('crm', 'deal_contacts') }} as dc
    inner join intermediate.int_contacts_first_touch as c
        on c.source_system = dc.source_system
        and c.contact_id = dc.contact_id
),

deals as (
    select
        d.*,
        case when d.is_closed then d.close_date end as closed_at,
        case when d.is_closed then cast(d.close_date at time zone 'UTC' as date) end as closed_date,
        cast(
            case when d.is_closed then d.close_date else d.created_at end at time zone 'UTC' as date
        ) as fx_rate_date
    from {{ union('crm', 'deals') }} as d
)

select
    d.*,
    {{ to_reporting('d.amount', reporting_rate('d.currency_code', 'fx')) }} as amount_reporting,
    r.contact_id,
    r.utm_source,
    r.utm_medium,
    r.utm_campaign,
    r.campaign_key
from deals as d
left join intermediate.int_fx_rates_daily as fx
    on fx.currency_code = d.currency_code
    and fx.date_day = d.fx_rate_date
left join ranked_contacts as r
    on r.source_system = d.source_system
    and r.deal_id = d.deal_id
    and r.contact_rank = 1
