with

source as (
    {{ latest_versions(source('servicenow', 'pm_project_task')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as task_sys_id,
        {{ sn_id('top_task') }} as project_sys_id,
        {{ sn_id('parent') }} as parent_sys_id,
        ---------- attributes
        {{ sn_id('number') }} as task_number,
        {{ sn_text('short_description') }} as task_name,
        {{ sn_boolean('milestone') }} as is_milestone,
        {{ sn_text('state') }} as state_code,
        -- set on a phase (waterfall, agile, test); empty on an ordinary task
        {{ sn_text('phase_type') }} as phase_type,
        ---------- numerics
        {{ sn_decimal('percent_complete') }} as percent_complete,
        ---------- dates and timestamps
        {{ sn_timestamp('start_date') }} as planned_start_at,
        {{ sn_timestamp('end_date') }} as planned_end_at,
        {{ sn_timestamp('work_start') }} as work_start_at,
        {{ sn_timestamp('work_end') }} as work_end_at,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
),

state_labels as (
    select * from {{ ref('project_state_labels') }}
),

final as (
    select
        renamed.*,
        state_labels.state
    from renamed
    left join state_labels
        on renamed.state_code = state_labels.state_code
)

select * from final
