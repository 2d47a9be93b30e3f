with

source as (
    {{ latest_versions(source('servicenow', 'dmn_demand')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as demand_sys_id,
        {{ sn_id('portfolio') }} as portfolio_sys_id,
        {{ sn_id('project') }} as project_sys_id,
        ---------- attributes
        {{ sn_id('number') }} as demand_number,
        {{ sn_text('short_description') }} as demand_name,
        {{ sn_text('state') }} as state,
        ---------- numerics
        {{ sn_decimal('u_estimated_cost') }} as estimated_cost,
        {{ sn_decimal('u_estimated_benefit') }} as estimated_benefit,
        {{ sn_integer('u_strategic_alignment') }} as strategic_alignment,
        {{ sn_integer('u_business_value') }} as business_value,
        {{ sn_integer('u_time_criticality') }} as time_criticality,
        {{ sn_integer('u_risk_reduction') }} as risk_reduction,
        {{ sn_integer('u_job_size') }} as job_size,
        {{ sn_decimal('u_estimated_effort_hours') }} as estimated_effort_hours,
        ---------- dates and timestamps
        {{ sn_date('submitted_date') }} as submitted_date,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
