-- Won deals and their revenue credited to campaign keys by five attribution models, per month of
-- the deals' close (UTC), in the reporting currency. For every model and month the credits,
-- '(no campaign)' and '(unattributed)' included, add up to the month's won deals and revenue.
with credits as (
    select
        cast(date_trunc('month', closed_date) as date) as month,
        attribution_model,
        campaign_key,
        -- Decimal from here: a sum of decimals is exact in any order, so a credit that lands on a
        -- half of the last digit (half a deal's amount) rounds the same way on every run.
        cast(weight as decimal(38, 12)) as weight,
        amount_reporting * cast(weight as decimal(38, 12)) as revenue_credit
    from intermediate.int_attribution_weights
),

totals as (
    select
        cast(date_trunc('month', closed_date) as date) as month,
        count(*) as won_deals,
        coalesce(sum(amount_reporting), 0) as won_revenue
    from intermediate.int_deals_attributed
    where is_won and closed_date is not null
    group by 1
),

attributed as (
    select
        month,
        attribution_model,
        campaign_key,
        cast(cast(sum(weight) as decimal(38, 9)) as double) as attributed_deals,
        cast(coalesce(sum(revenue_credit), 0) as decimal(38, 6)) as attributed_revenue
    from credits
    group by 1, 2, 3
)

select
    a.month,
    a.attribution_model,
    a.campaign_key,
    case a.campaign_key
        when '(unattributed)' then 'unattributed'
        when '(no campaign)' then 'no_campaign'
        else 'campaign'
    end as credited_to,
    {{ var('reporting_currency') }} as reporting_currency,
    a.attributed_deals,
    a.attributed_revenue,
    t.won_deals,
    t.won_revenue,
    {{ kpi('deal_share') }} as deal_share,
    {{ kpi('revenue_share') }} as revenue_share
from attributed as a
inner join totals as t
    on t.month = a.month
