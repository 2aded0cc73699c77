-- GA4 sessions of visitors the site knows as CRM contacts: the user-scoped custom dimension holding
-- the contact id (connector setting contact_id_dimension), per day, session source, medium and
-- campaign. GA4's placeholders are not contacts: (not set) for a visitor never tagged (the connector
-- leaves those out; a raw table loaded by hand may not) and (other) for GA4's high-cardinality
-- roll-up. Campaign placeholders such as (organic) stay as GA4 reports them, as in traffic_daily.
select
    property_id,
    contact_source,
    contact_id,
    date_day,
    session_source as source,
    session_medium as medium,
    session_campaign_name as campaign,
    coalesce(sessions, 0) as sessions
from raw_google_analytics.contact_sessions
where {{ window('date_day') }}
    and contact_id not in ('(not set)', '(other)', '')
