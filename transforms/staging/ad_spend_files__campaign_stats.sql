-- Spend files' rows summed per platform, account, campaign and day: a file may hold ad group rows,
-- and two files may hold the same campaign day (a weekly and a monthly export), which then add up.
-- A row without a campaign id is known by its campaign name. Rows name their own platform.
select
    s.platform,
    s.account_id,
    coalesce(s.campaign_id, s.campaign_name) as campaign_id,
    max(s.campaign_name) as campaign_name,
    max(s.campaign_status) as campaign_status,
    s.date_day,
    cast(sum(s.spend) as decimal(38, 6)) as spend,
    cast(sum(coalesce(s.impressions, 0)) as bigint) as impressions,
    cast(sum(coalesce(s.clicks, 0)) as bigint) as clicks,
    cast(sum(coalesce(s.conversions, 0)) as double) as conversions,
    cast(sum(coalesce(s.conversions_value, 0)) as double) as conversions_value
from raw_ad_spend_files.spend as s
where {{ window('s.date_day') }}
group by s.platform, s.account_id, coalesce(s.campaign_id, s.campaign_name), s.date_day
