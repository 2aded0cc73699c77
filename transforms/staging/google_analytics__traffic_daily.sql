-- GA4 sessions per day by session source, medium, campaign (utm_campaign) and channel group.
select
    property_id,
    date_day,
    session_source as source,
    session_medium as medium,
    session_campaign_name as campaign,
    session_default_channel_group as channel_group,
    coalesce(sessions, 0) as sessions,
    coalesce(total_users, 0) as users,
    coalesce(new_users, 0) as new_users,
    coalesce(engaged_sessions, 0) as engaged_sessions,
    cast(coalesce(key_events, 0) as double) as key_events,
    cast(coalesce(total_revenue, 0) as decimal(38, 6)) as revenue,
    upper(currency_code) as currency_code
from raw_google_analytics.traffic_daily
where {{ window('date_day') }}
