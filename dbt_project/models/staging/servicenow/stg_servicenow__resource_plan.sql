with

source as (
    {{ latest_versions(source('servicenow', 'resource_plan')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as resource_plan_sys_id,
        {{ sn_id('user') }} as user_sys_id,
        {{ sn_id('task') }} as task_sys_id,
        ---------- attributes
        {{ sn_id('number') }} as resource_plan_number,
        {{ sn_text('state') }} as state,
        ---------- numerics
        {{ sn_decimal('planned_hours') }} as planned_hours,
        ---------- dates and timestamps
        {{ sn_date('start_date') }} as start_date,
        {{ sn_date('end_date') }} as end_date,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
