{#- Attributes whose change opens a new SCD2 version (everything but the audit timestamps). -#}
{%- set tracked_columns = [
    'portfolio_sys_id', 'program_sys_id', 'project_manager_sys_id', 'department_sys_id',
    'project_number', 'project_name', 'state_code', 'phase', 'priority', 'execution_type',
    'approval', 'jira_project_key', 'wbs_code', 'percent_complete', 'planned_cost',
    'servicenow_work_cost', 'strategic_alignment', 'business_value', 'time_criticality',
    'risk_reduction', 'job_size', 'planned_start_at', 'planned_end_at', 'work_start_at',
    'work_end_at'
] -%}

with

-- Staging keeps only the current version; the history of dim_project needs every version the
-- warehouse ever landed, so this model reads the change log itself.
source as (
    select * from {{ source('servicenow', 'pm_project') }}
),

landed_versions as (
    select
        {{ pm_project_columns() }},
        source.natural_key,
        source.source_updated_at,
        source.batch_id
    from source
    where not source.is_deleted
),

distinct_versions as (
    {{ distinct_versions('landed_versions') }}
),

-- an update that changed nothing we track (ServiceNow bumps sys_updated_on for many reasons)
-- does not open a new version
fingerprinted as (
    select
        *,
        {{ surrogate_key(tracked_columns) }} as attribute_hash
    from distinct_versions
),

changes as (
    select *
    from (
        select
            *,
            lag(attribute_hash) over (
                partition by source_instance, natural_key
                order by source_updated_at nulls first, loaded_at, batch_id
            ) as previous_attribute_hash
        from fingerprinted
    ) as ordered
    where previous_attribute_hash is null or previous_attribute_hash <> attribute_hash
),

-- a project whose latest landed event is a tombstone was deleted in ServiceNow; its last
-- version ends when the warehouse saw the deletion
latest_events as (
    select source_instance, natural_key, is_deleted, loaded_at
    from (
        select
            source_instance,
            natural_key,
            is_deleted,
            loaded_at,
            row_number() over (
                partition by source_instance, natural_key
                order by source_updated_at desc nulls last, loaded_at desc, batch_id desc
            ) as event_rank
        from source
    ) as events
    where event_rank = 1
),

versioned as (
    select
        changes.*,
        row_number() over (
            partition by changes.source_instance, changes.natural_key
            order by changes.source_updated_at nulls first, changes.loaded_at, changes.batch_id
        ) as version_number,
        lead(coalesce(changes.updated_at, cast(changes.source_updated_at as timestamp))) over (
            partition by changes.source_instance, changes.natural_key
            order by changes.source_updated_at nulls first, changes.loaded_at, changes.batch_id
        ) as next_version_from,
        coalesce(latest_events.is_deleted, false) as is_deleted,
        case when latest_events.is_deleted then cast(latest_events.loaded_at as timestamp) end as deleted_at
    from changes
    left join latest_events
        on changes.source_instance = latest_events.source_instance
        and changes.natural_key = latest_events.natural_key
),

state_labels as (
    select * from {{ ref('project_state_labels') }}
),

final as (
    select
        {{ surrogate_key(["'servicenow'", "'pm_project'", 'versioned.project_sys_id', 'versioned.version_number']) }}
            as project_key,
        versioned.source_instance,
        versioned.version_number,
        -- the first version stands from the project's creation: nothing earlier is known
        case
            when versioned.version_number = 1 then coalesce(versioned.created_at, versioned.updated_at)
            else versioned.updated_at
        end as valid_from,
        case
            when versioned.next_version_from is not null then versioned.next_version_from
            else versioned.deleted_at
        end as valid_to,
        versioned.next_version_from is null and not versioned.is_deleted as is_current,
        versioned.is_deleted,
        -- the range facts join on: open at both ends, so every dated fact finds a version
        case when versioned.version_number = 1 then timestamp '1900-01-01' else versioned.updated_at end as join_from,
        coalesce(versioned.next_version_from, timestamp '9999-12-31') as join_to,
        {% for column in tracked_columns %}
            versioned.{{ column }},
        {%- endfor %}
        versioned.project_sys_id,
        state_labels.state,
        coalesce(state_labels.is_active, false) as is_active_state,
        versioned.created_at,
        versioned.updated_at,
        versioned.loaded_at
    from versioned
    left join state_labels
        on versioned.state_code = state_labels.state_code
)

select * from final
