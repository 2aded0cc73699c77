-- Every platform campaign whose current name breaks the naming convention, once per part it
-- breaks, with what is wrong: the list a campaign manager works through to rename them.
select
    t.platform,
    t.account_id,
    t.campaign_id,
    t.campaign_name,
    t.campaign_key,
    t.part,
    t.value,
    t.violation,
    {{ text('naming_template') }} as naming_template
from intermediate.int_campaign_taxonomy as t
where t.violation is not null
