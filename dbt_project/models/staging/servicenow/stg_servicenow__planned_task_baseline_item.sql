with

source as (
    {{ latest_versions(source('servicenow', 'planned_task_baseline_item')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as baseline_item_sys_id,
        {{ sn_id('baseline') }} as baseline_sys_id,
        {{ sn_id('task') }} as task_sys_id,
        ---------- dates and timestamps
        {{ sn_timestamp('start_date') }} as baseline_start_at,
        {{ sn_timestamp('end_date') }} as baseline_end_at,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
