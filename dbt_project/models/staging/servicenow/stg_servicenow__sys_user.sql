with

source as (
    {{ latest_versions(source('servicenow', 'sys_user')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as user_sys_id,
        {{ sn_id('department') }} as department_sys_id,
        {{ sn_id('cost_center') }} as cost_center_sys_id,
        ---------- attributes
        {{ sn_id('user_name') }} as user_name,
        {{ sn_text('name') }} as full_name,
        {{ sn_text('email') }} as email,
        {{ sn_text('title') }} as title,
        {{ sn_boolean('active') }} as is_active,
        {{ sn_text('u_employment_type') }} as employment_type,
        ---------- numerics
        {{ sn_decimal('u_hourly_cost_rate') }} as hourly_cost_rate,
        {{ sn_decimal('u_weekly_capacity_hours') }} as weekly_capacity_hours,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
