with

source as (
    {{ latest_versions(source('servicenow', 'cost_plan_breakdown')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as cost_plan_breakdown_sys_id,
        {{ sn_id('cost_plan') }} as cost_plan_sys_id,
        {{ sn_id('task') }} as project_sys_id,
        {{ sn_id('fiscal_period') }} as fiscal_period_sys_id,
        ---------- numerics
        {{ sn_decimal('cost') }} as planned_cost,
        {{ sn_decimal('actual') }} as servicenow_actual_cost,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
