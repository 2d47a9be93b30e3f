with

source as (
    {{ latest_versions(source('servicenow', 'cmn_department')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as department_sys_id,
        {{ sn_id('cost_center') }} as cost_center_sys_id,
        ---------- attributes
        {{ sn_text('name') }} as department_name,
        {{ sn_text('id') }} as department_code,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
