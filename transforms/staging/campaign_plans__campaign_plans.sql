-- Plan rows with the time each held: a version of a plan file holds from its modification time until
-- the next version of the same file (null while it is the latest), so the plan as it stood on a day d
-- is `valid_from <= d and (valid_to is null or valid_to > d)`. A row a revision dropped ends with its
-- version. The campaign key derives from the campaign's name or key as the ads' does.
with versions as (
    select file_name, content_hash, min(file_modified) as valid_from
    from raw_campaign_plans.plans
    group by file_name, content_hash
),

spans as (
    select
        file_name,
        content_hash,
        valid_from,
        lead(valid_from) over (partition by file_name order by valid_from) as valid_to
    from versions
)

select
    {{ campaign_key('p.campaign') }} as campaign_key,
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
    v.valid_from,
    v.valid_to,
    p.file_name
from raw_campaign_plans.plans as p
inner join spans as v
    on v.file_name = p.file_name
    and v.content_hash = p.content_hash
