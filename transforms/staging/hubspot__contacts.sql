-- HubSpot contacts with their first-touch utm parameters. The first page URL is the most exact
-- source; for paid traffic without a utm_campaign in that URL, HubSpot's own drill-down field
-- (hs_analytics_source_data_1) names the campaign. DuckDB's regexp_extract answers '' where
-- PostgreSQL answers NULL, hence the nullif.
with parsed as (
    select
        id as contact_id,
        createdate as created_at,
        lastmodifieddate as updated_at,
        hs_analytics_source as analytics_source,
        nullif(regexp_extract(hs_analytics_first_url, '[?&]utm_source=([^&#]+)', 1), '') as utm_source_url,
        nullif(regexp_extract(hs_analytics_first_url, '[?&]utm_medium=([^&#]+)', 1), '') as utm_medium_url,
        nullif(regexp_extract(hs_analytics_first_url, '[?&]utm_campaign=([^&#]+)', 1), '') as utm_campaign_url,
        hs_analytics_source_data_1 as source_data_1,
        hs_analytics_source_data_2 as source_data_2,
        hs_analytics_first_url as first_url
    from raw_hubspot.contacts
    where not coalesce(archived, false)
)

select
    contact_id,
    created_at,
    updated_at,
    utm_source_url as utm_source,
    utm_medium_url as utm_medium,
    coalesce(
        utm_campaign_url,
        case
            when analytics_source in ('PAID_SEARCH', 'PAID_SOCIAL', 'EMAIL_MARKETING', 'OTHER_CAMPAIGNS')
                then nullif(source_data_1, '')
        end
    ) as utm_campaign,
    analytics_source,
    source_data_1,
    source_data_2,
    first_url
from parsed
