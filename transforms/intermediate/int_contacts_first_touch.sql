-- Each CRM contact with its first-touch utm parameters and campaign key (leads, by created day).
with touch as (
    select
        contact_id,
        created_at,
        cast(created_at at time zone 'UTC' as date) as created_date,
        utm_source_url as utm_source,
        utm_medium_url as utm_medium,
        coalesce(
            utm_campaign_url,
            case
                when analytics_source in ('PAID_SEARCH', 'PAID_SOCIAL', 'EMAIL_MARKETING', 'OTHER_CAMPAIGNS')
                    then nullif(source_data_1, '')
            end
        ) as utm_campaign
    from staging.stg_hubspot__contacts
)

select
    touch.*,
    case when utm_campaign is not null then {{ campaign_key('utm_campaign') }} end as campaign_key
from touch
