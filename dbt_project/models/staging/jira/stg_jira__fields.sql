{#- The fields a site's configuration names for story points and sprint (docs/contract.md §2:
    JIRA_STORY_POINTS_FIELD, JIRA_SPRINT_FIELD, and JIRA_<SITE>_… for a further site), as
    {"<source_instance>": {"story_points": "customfield_…", "sprint": "customfield_…"}}. -#}
{%- set configured = fromjson(env_var('PWH_JIRA_CUSTOM_FIELDS', '{}')) -%}

with

source as (
    {{ latest_versions(source('jira', 'fields')) }}
),

configured_fields as (
    select
        cast(null as varchar) as source_instance,
        cast(null as varchar) as field_role,
        cast(null as varchar) as field_id
    where false
    {%- for instance, roles in configured.items() | sort %}
        {%- for role, field_id in roles.items() | sort if field_id %}
    union all
    select {{ sql_string(instance) }}, {{ sql_string(role) }}, {{ sql_string(field_id) }}
        {%- endfor %}
    {%- endfor %}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ json_text('$.id') }} as field_id,
        ---------- attributes
        {{ json_text('$.name') }} as field_name,
        coalesce(cast({{ json_text('$.custom') }} as boolean), false) as is_custom,
        {{ json_text('$.schema.type') }} as schema_type,
        {{ json_text('$.schema.custom') }} as schema_custom,
        ---------- lineage
        loaded_at
    from source
),

-- Custom field ids differ per site, so the fields the warehouse reads are found per site: the one
-- the site's configuration names, else by name (story points: team-managed projects use "Story
-- point estimate", company-managed ones "Story Points", and a site may have both) or, for the
-- sprint, by Jira Software's sprint type (a name can be renamed or translated), by name only on a
-- site where no field has that type.
found as (
    select
        source_instance,
        min(case when field_name = 'Story point estimate' then field_id end) as story_point_estimate,
        min(case when field_name = 'Story Points' then field_id end) as story_points,
        coalesce(
            min(case when schema_custom = 'com.pyxis.greenhopper.jira:gh-sprint' then field_id end),
            min(case when field_name = 'Sprint' then field_id end)
        ) as sprint
    from renamed
    group by source_instance
),

found_roles as (
    select source_instance, 'story_point_estimate' as field_role, story_point_estimate as field_id from found
    union all
    select source_instance, 'story_points', story_points from found
    union all
    select source_instance, 'sprint', sprint from found
),

roles as (
    -- a configured story-points field replaces both found ones: the site said which one it uses
    select source_instance, field_role, field_id from configured_fields
    union all
    select found_roles.source_instance, found_roles.field_role, found_roles.field_id
    from found_roles
    where
        found_roles.field_id is not null
        and not exists (
            select 1
            from configured_fields
            where
                configured_fields.source_instance = found_roles.source_instance
                and (
                    configured_fields.field_role = found_roles.field_role
                    or (
                        configured_fields.field_role = 'story_points'
                        and found_roles.field_role = 'story_point_estimate'
                    )
                )
        )
),

final as (
    select
        renamed.*,
        roles.field_role
    from renamed
    left join roles
        on renamed.source_instance = roles.source_instance
        and renamed.field_id = roles.field_id
)

select * from final
