with

source as (
    {{ latest_versions(source('servicenow', 'benefit_plan_breakdown')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as benefit_plan_breakdown_sys_id,
        {{ sn_id('benefit_plan') }} as benefit_plan_sys_id,
        {{ sn_id('task') }} as project_sys_id,
        {{ sn_id('fiscal_period') }} as fiscal_period_sys_id,
        ---------- numerics
        {{ sn_decimal('planned_benefit') }} as planned_benefit,
        {{ sn_decimal('actual_benefit') }} as actual_benefit,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
