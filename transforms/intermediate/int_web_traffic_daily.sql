-- Web traffic per day, across every enabled analytics tool, with the campaign key. Placeholders
-- such as GA4's "(not set)", "(organic)" or "(referral)" are not campaigns and get no key.
select
    t.*,
    case
        when t.campaign is null or t.campaign like '(%' then null
        else {{ campaign_key('t.campaign') }}
    end as campaign_key
from {{ union('web_analytics', 'traffic_daily') }} as t
where {{ window('t.date_day') }}
