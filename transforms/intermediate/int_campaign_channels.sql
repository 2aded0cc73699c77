-- The channel of each campaign key, from the traffic it brings: the channel (docs/metrics.md,
-- Channels) of most of its web sessions, by their source and medium; for a key without web
-- sessions, that of most of the CRM contacts it first touched. A channel other than Unassigned wins
-- over Unassigned, then the larger volume, then the channel's name, so ties resolve the same way on
-- every run and engine.
with votes as (
    select campaign_key, {{ channel_group('source', 'medium') }} as channel, 1 as basis_rank,
           cast(sum(sessions) as bigint) as volume
    from intermediate.int_web_traffic_daily
    where campaign_key is not null
    group by campaign_key, {{ channel_group('source', 'medium') }}

    union all

    select campaign_key, channel, 2 as basis_rank, count(*) as volume
    from intermediate.int_contacts_first_touch
    where campaign_key is not null
    group by campaign_key, channel
),

ranked as (
    select
        campaign_key,
        channel,
        case basis_rank when 1 then 'web_sessions' else 'crm_contacts' end as basis,
        volume,
        row_number() over (
            partition by campaign_key
            order by basis_rank, case when channel = 'Unassigned' then 1 else 0 end, volume desc, channel
        ) as channel_rank
    from votes
    where volume > 0
)

select campaign_key, channel, basis, volume
from ranked
where channel_rank = 1
