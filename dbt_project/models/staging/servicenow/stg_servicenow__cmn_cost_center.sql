with

source as (
    {{ latest_versions(source('servicenow', 'cmn_cost_center')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as cost_center_sys_id,
        ---------- attributes
        {{ sn_text('name') }} as cost_center_name,
        {{ sn_text('code') }} as cost_center_code,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
