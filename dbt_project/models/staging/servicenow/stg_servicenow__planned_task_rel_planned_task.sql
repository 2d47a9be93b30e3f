with

source as (
    {{ latest_versions(source('servicenow', 'planned_task_rel_planned_task')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as task_relation_sys_id,
        -- the Planned Task Relationship form calls parent the predecessor, child the successor
        {{ sn_id('parent') }} as predecessor_task_sys_id,
        {{ sn_id('child') }} as successor_task_sys_id,
        ---------- attributes
        {{ sn_text('sub_type') }} as dependency_type,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
