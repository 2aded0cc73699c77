-- GA4 traffic per day with the campaign key. GA4's placeholders such as "(not set)", "(organic)"
-- or "(referral)" are not campaigns and get no key.
select
    t.*,
    case
        when t.campaign is null or t.campaign like '(%' then null
        else {{ campaign_key('t.campaign') }}
    end as campaign_key
from staging.stg_google_analytics__traffic_daily as t
