-- Each platform campaign's name parsed by the naming convention (FUNNELHOUSE_NAMING_TEMPLATE): one
-- row per campaign and template part, with the part's value and, where it breaks the convention,
-- why. The name splits on the template's one separator: part n is the text between the (n-1)th and
-- nth separator, trimmed. A name with more parts than the template fails on its last part.
with names as (
    select
        c.*,
        case
            when {{ text('naming_separator') }} = '' then 1
            -- Cast: DuckDB's / divides as doubles, PostgreSQL's as integers; the quotient is whole.
            else cast((length(c.campaign_name) - length(replace(c.campaign_name, {{ text('naming_separator') }}, '')))
                / length({{ text('naming_separator') }}) as bigint) + 1
        end as name_parts
    from intermediate.int_campaign_names as c
),

template as (
    select part, cast(position as bigint) as position, count(*) over () as template_parts
    from {{ setting_rows('naming_parts') }} as t
),

allowed as (
    select part, lower(allowed_value) as allowed_value
    from {{ setting_rows('naming_allowed') }} as a
),

parsed as (
    select
        n.platform,
        n.account_id,
        n.campaign_id,
        n.campaign_name,
        n.campaign_key,
        n.name_parts,
        t.part,
        t.position,
        t.template_parts,
        case
            when {{ text('naming_separator') }} = '' then nullif(trim(n.campaign_name), '')
            else nullif(trim(split_part(n.campaign_name, {{ text('naming_separator') }}, cast(t.position as integer))), '')
        end as value
    from names as n
    cross join template as t
)

select
    p.platform,
    p.account_id,
    p.campaign_id,
    p.campaign_name,
    p.campaign_key,
    p.part,
    p.position,
    p.value,
    case
        when p.campaign_name is null then 'the campaign has no name'
        when p.value is null and p.position > p.name_parts then
            'missing: the name has ' || cast(p.name_parts as varchar) || ' of the convention''s '
            || cast(p.template_parts as varchar) || ' parts'
        when p.value is null then 'empty'
        when p.position = p.template_parts and p.name_parts > p.template_parts then
            'too many parts: the name has ' || cast(p.name_parts as varchar) || ', the convention '
            || cast(p.template_parts as varchar)
        when exists (select 1 from allowed as a where a.part = p.part)
            and not exists (select 1 from allowed as a where a.part = p.part and a.allowed_value = lower(p.value))
            then 'not an allowed value of ' || p.part
    end as violation
from parsed as p
