with

source as (
    {{ latest_versions(source('servicenow', 'planned_task_baseline')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as baseline_sys_id,
        {{ sn_id('task') }} as project_sys_id,
        ---------- attributes
        {{ sn_text('name') }} as baseline_name,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
