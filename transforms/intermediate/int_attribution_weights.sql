-- Each won deal's credit under every attribution model: one row per deal, model and touch of the
-- deal's contacts in the lookback window (touch days from the close day minus
-- attribution_lookback_days to the close day, UTC), with the touch's weight; the weights of a deal
-- under a model sum to 1. Touches are ordered by time, then id, so first and last are never tied.
-- A deal with no touch in the window (or no contact) has one row per model, no touch and weight 1,
-- under the key '(unattributed)'; a touch without a campaign (organic, direct) credits
-- '(no campaign)'. Neither can be a real campaign key, which has only a-z, 0-9 and _.
with won as (
    select
        source_system,
        deal_id,
        closed_date,
        amount_reporting
    from intermediate.int_deals_attributed
    where is_won and closed_date is not null
),

-- Every touch of a CRM contact, by the CRM's source_system: the touches the CRM records, and the
-- web analytics sessions of visitors known as that CRM's contacts (web_session), one touch per
-- contact, day, source, medium and campaign however many sessions it holds, dated the day at
-- 00:00 UTC (the tool reports days only). A session campaign that is a placeholder ("(organic)",
-- "(not set)") is no campaign, as in int_web_traffic_daily.
contact_touches as (
    select
        t.source_system,
        t.contact_id,
        t.touch_id,
        t.touch_type,
        t.touched_at,
        t.utm_campaign
    from {{ union('crm', 'touchpoints') }} as t

    union all

    select
        s.contact_source as source_system,
        s.contact_id,
        s.source_system || ':' || s.property_id || ':' || s.contact_id || ':' || cast(s.date_day as varchar)
            || ':' || s.source || '/' || s.medium || '/' || s.campaign as touch_id,
        'web_session' as touch_type,
        cast(s.date_day as timestamp) at time zone 'UTC' as touched_at,
        case when s.campaign like '(%' then null else nullif(s.campaign, '') end as utm_campaign
    from {{ union('web_analytics', 'contact_sessions') }} as s
),

touches as (
    select
        w.source_system,
        w.deal_id,
        t.touch_id,
        t.touch_type,
        t.touched_at,
        w.closed_date - cast(t.touched_at at time zone 'UTC' as date) as age_days,
        case when t.utm_campaign is not null then {{ campaign_key('t.utm_campaign') }} end as campaign_key
    from won as w
    inner join {{ union('crm', 'deal_contacts') }} as dc
        on dc.source_system = w.source_system
        and dc.deal_id = w.deal_id
    inner join contact_touches as t
        on t.source_system = dc.source_system
        and t.contact_id = dc.contact_id
    where w.closed_date - cast(t.touched_at at time zone 'UTC' as date)
        between 0 and {{ num('attribution_lookback_days') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by source_system, deal_id order by touched_at, touch_id
        ) as touch_rank,
        count(*) over (partition by source_system, deal_id) as touches,
        power(2.0, -cast(age_days as double) / {{ num('attribution_half_life_days') }}) as decay
    from touches
),

weighted as (
    select
        *,
        sum(decay) over (partition by source_system, deal_id) as decay_total
    from ranked
),

models as (
    select model from (values
        ('first_touch'), ('last_touch'), ('linear'), ('position_based'), ('time_decay')
    ) as m(model)
),

credits as (
    select
        w.source_system,
        w.deal_id,
        m.model as attribution_model,
        w.touch_id,
        w.touch_type,
        w.touched_at,
        w.age_days,
        w.touch_rank,
        w.touches,
        coalesce(w.campaign_key, '(no campaign)') as campaign_key,
        case m.model
            when 'first_touch' then case when w.touch_rank = 1 then 1.0 else 0.0 end
            when 'last_touch' then case when w.touch_rank = w.touches then 1.0 else 0.0 end
            when 'linear' then 1.0 / w.touches
            when 'position_based' then case
                when w.touches = 1 then 1.0
                when w.touches = 2 then 0.5
                when w.touch_rank = 1 or w.touch_rank = w.touches then 0.4
                else 0.2 / (w.touches - 2)
            end
            when 'time_decay' then w.decay / w.decay_total
        end as weight
    from weighted as w
    cross join models as m

    union all

    select
        d.source_system,
        d.deal_id,
        m.model as attribution_model,
        cast(null as varchar) as touch_id,
        cast(null as varchar) as touch_type,
        cast(null as timestamptz) as touched_at,
        cast(null as integer) as age_days,
        cast(null as bigint) as touch_rank,
        cast(0 as bigint) as touches,
        '(unattributed)' as campaign_key,
        1.0 as weight
    from won as d
    cross join models as m
    where not exists (
        select 1 from touches as t
        where t.source_system = d.source_system and t.deal_id = d.deal_id
    )
)

select
    c.source_system,
    c.deal_id,
    w.closed_date,
    w.amount_reporting,
    c.attribution_model,
    c.touch_id,
    c.touch_type,
    c.touched_at,
    c.age_days,
    c.touch_rank,
    c.touches,
    c.campaign_key,
    cast(c.weight as double) as weight
from credits as c
inner join won as w
    on w.source_system = c.source_system
    and w.deal_id = c.deal_id
