-- HubSpot touches: each contact's first touch (its original source, when it became a contact) and
-- its last touch (its latest source, at the latest source's date), each with utm parameters read
-- from the page URL first and, for paid traffic without a utm_campaign there, from the source's
-- drill-down. The last touch counts only when it is a later session than the first: for a contact
-- seen once HubSpot's latest source is its original one. DuckDB's regexp_extract answers '' where
-- PostgreSQL answers NULL, hence the nullif.
with live_contacts as (
    select * from raw_hubspot.contacts
    where not coalesce(archived, false)
),

touches as (
    select
        id as contact_id,
        'first_touch' as touch_type,
        createdate as touched_at,
        hs_analytics_source as analytics_source,
        hs_analytics_source_data_1 as source_data_1,
        hs_analytics_first_url as url
    from live_contacts
    where createdate is not null

    union all

    select
        id as contact_id,
        'last_touch' as touch_type,
        hs_latest_source_timestamp as touched_at,
        hs_latest_source as analytics_source,
        hs_latest_source_data_1 as source_data_1,
        hs_analytics_last_url as url
    from live_contacts
    where hs_latest_source_timestamp > createdate
),

parsed as (
    select
        contact_id,
        touch_type,
        touched_at,
        analytics_source,
        source_data_1,
        nullif(regexp_extract(url, '[?&]utm_source=([^&#]+)', 1), '') as utm_source,
        nullif(regexp_extract(url, '[?&]utm_medium=([^&#]+)', 1), '') as utm_medium,
        nullif(regexp_extract(url, '[?&]utm_campaign=([^&#]+)', 1), '') as utm_campaign_url
    from touches
)

select
    contact_id || ':' || touch_type as touch_id,
    contact_id,
    touched_at,
    touch_type,
    utm_source,
    utm_medium,
    coalesce(
        utm_campaign_url,
        case
            when analytics_source in ('PAID_SEARCH', 'PAID_SOCIAL', 'EMAIL_MARKETING', 'OTHER_CAMPAIGNS')
                then nullif(source_data_1, '')
        end
    ) as utm_campaign,
    analytics_source
from parsed
