-- HubSpot contacts with their first-touch utm parameters. The first page URL is the most exact
-- source; HubSpot's drill-down fields fill in where the URL carried no utm_campaign. DuckDB's
-- regexp_extract answers '' where PostgreSQL answers NULL, hence the nullif.
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
