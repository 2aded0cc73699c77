-- One row per day, GA4 property, session source, medium, campaign and channel group.
select
    date_day,
    property_id,
    source,
    medium,
    campaign,
    channel_group,
    campaign_key,
    currency_code,
    sessions,
    users,
    new_users,
    engaged_sessions,
    key_events,
    revenue
from intermediate.int_web_traffic_daily
where {{ window('date_day') }}
