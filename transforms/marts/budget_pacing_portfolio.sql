-- The PMO's portfolio view of plan against actual: each month's plans rolled up by project phase,
-- by channel and by each part of the naming convention (region, ...), in the reporting currency. A
-- plan whose campaign key has no traffic or ads yet, or whose name lacks the part, counts under
-- '(not set)'.
-- Each dimension's rows add up to the month's plans.
with plans as (
    select
        b.campaign_key,
        b.plan_month,
        b.as_of_date,
        b.status,
        b.budget_reporting,
        b.spend_to_date_reporting,
        b.expected_spend_to_date_reporting,
        b.projected_spend_reporting,
        coalesce(b.pmo_phase, '(not set)') as phase
    from marts_candidate.budget_pacing as b
),

grouped as (
    select 'pmo_phase' as dimension, p.phase as value, p.*
    from plans as p
    union all
    select 'channel' as dimension, coalesce(ch.channel, '(not set)') as value, p.*
    from plans as p
    left join intermediate.int_campaign_channels as ch
        on ch.campaign_key = p.campaign_key
    union all
    select 'naming:' || parts.part as dimension, coalesce(t.value, '(not set)') as value, p.*
    from plans as p
    cross join (select distinct part from marts_candidate.campaign_taxonomy) as parts
    left join marts_candidate.campaign_taxonomy as t
        on t.campaign_key = p.campaign_key
        and t.part = parts.part
),

rolled as (
    select
        plan_month,
        dimension,
        value,
        max(as_of_date) as as_of_date,
        count(*) as campaigns,
        count(case when status = 'over' then 1 end) as campaigns_over,
        count(case when status = 'under' then 1 end) as campaigns_under,
        count(case when status = 'on_track' then 1 end) as campaigns_on_track,
        count(case when status = 'not_started' then 1 end) as campaigns_not_started,
        sum(budget_reporting) as budget_reporting,
        sum(spend_to_date_reporting) as spend_to_date_reporting,
        sum(expected_spend_to_date_reporting) as expected_spend_to_date_reporting,
        sum(projected_spend_reporting) as projected_spend_reporting
    from grouped
    group by plan_month, dimension, value
)

select
    plan_month,
    dimension,
    value,
    as_of_date,
    {{ var('reporting_currency') }} as reporting_currency,
    cast(campaigns as bigint) as campaigns,
    cast(campaigns_over as bigint) as campaigns_over,
    cast(campaigns_under as bigint) as campaigns_under,
    cast(campaigns_on_track as bigint) as campaigns_on_track,
    cast(campaigns_not_started as bigint) as campaigns_not_started,
    cast(budget_reporting as decimal(38, 6)) as budget_reporting,
    cast(spend_to_date_reporting as decimal(38, 6)) as spend_to_date_reporting,
    cast(expected_spend_to_date_reporting as decimal(38, 6)) as expected_spend_to_date_reporting,
    cast(projected_spend_reporting as decimal(38, 6)) as projected_spend_reporting,
    {{ kpi('pacing', spend_to_date='spend_to_date_reporting', expected_spend_to_date='expected_spend_to_date_reporting') }}
        as pacing,
    {{ kpi('budget_used', spend_to_date='spend_to_date_reporting', budget='budget_reporting') }} as budget_used
from rolled
