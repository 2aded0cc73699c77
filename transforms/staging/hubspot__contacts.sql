-- HubSpot contacts with their first-touch utm parameters. The first page URL is the most exact
-- source; for paid traffic without a utm_campaign in that URL, HubSpot's own drill-down field
-- (hs_analytics_source_data_1) names the campaign. DuckDB's regexp_extract answers '' where
-- PostgreSQL answers NULL, hence the nullif. The channel is the utm parameters' where they name one,
-- else HubSpot's original source (hs_analytics_source). The lifecycle stage is the furthest one
-- reached: a stage moved back by hand keeps the date it was first entered, so those dates win over
-- the current value, except where the current value is later still (evangelist, or a custom stage
-- after customer).
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
        hs_analytics_first_url as first_url,
        lifecyclestage,
        coalesce(lifecyclestage, 'other') as stage_now,
        hs_lifecyclestage_marketingqualifiedlead_date as mql_date,
        hs_lifecyclestage_salesqualifiedlead_date as sql_date,
        hs_lifecyclestage_opportunity_date as opportunity_date,
        hs_lifecyclestage_customer_date as customer_date
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
    case
        when {{ channel_group('utm_source_url', 'utm_medium_url') }} <> 'Unassigned'
            then {{ channel_group('utm_source_url', 'utm_medium_url') }}
        when analytics_source = 'ORGANIC_SEARCH' then 'Organic Search'
        when analytics_source = 'PAID_SEARCH' then 'Paid Search'
        when analytics_source = 'PAID_SOCIAL' then 'Paid Social'
        when analytics_source = 'SOCIAL_MEDIA' then 'Organic Social'
        when analytics_source = 'EMAIL_MARKETING' then 'Email'
        when analytics_source in ('REFERRALS', 'AI_REFERRALS') then 'Referral'
        when analytics_source = 'DIRECT_TRAFFIC' then 'Direct'
        else 'Unassigned'
    end as channel,
    case
        when customer_date is not null
            and stage_now not in ('subscriber', 'lead', 'marketingqualifiedlead', 'salesqualifiedlead',
                                       'opportunity', 'other')
            then lifecyclestage
        when customer_date is not null then 'customer'
        when opportunity_date is not null and stage_now in ('subscriber', 'lead', 'marketingqualifiedlead',
                                                                 'salesqualifiedlead', 'other')
            then 'opportunity'
        when sql_date is not null and stage_now in ('subscriber', 'lead', 'marketingqualifiedlead', 'other')
            then 'salesqualifiedlead'
        when mql_date is not null and stage_now in ('subscriber', 'lead', 'other')
            then 'marketingqualifiedlead'
        else lifecyclestage
    end as lifecycle_stage,
    analytics_source,
    source_data_1,
    source_data_2,
    first_url
from parsed
