with

source as (
    {{ latest_versions(source('servicenow', 'cost_plan')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as cost_plan_sys_id,
        {{ sn_id('task') }} as project_sys_id,
        ---------- attributes
        {{ sn_text('name') }} as cost_plan_name,
        {{ sn_text('expense_type') }} as expense_type,
        ---------- numerics
        {{ sn_decimal('total_planned_cost') }} as total_planned_cost,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
