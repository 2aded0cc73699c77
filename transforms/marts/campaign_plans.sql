-- Campaign plans of every enabled plan source, each version with the time it held: what the
-- pacing of spend against budget reads, and BI tools asking what the plan was on a given day.
select
    p.source_system,
    p.campaign_key,
    p.campaign,
    p.plan_month,
    p.budget,
    p.currency_code,
    p.planned_impressions,
    p.planned_clicks,
    p.planned_conversions,
    p.target_cpa,
    p.target_roas,
    p.owner,
    p.start_date,
    p.end_date,
    p.pmo_phase,
    p.valid_from,
    p.valid_to,
    p.file_name
from {{ union('plans', 'campaign_plans') }} as p
