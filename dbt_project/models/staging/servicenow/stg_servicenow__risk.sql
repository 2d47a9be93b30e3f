with

source as (
    {{ latest_versions(source('servicenow', 'risk')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as risk_sys_id,
        {{ sn_id('task') }} as project_sys_id,
        ---------- attributes
        {{ sn_id('number') }} as risk_number,
        {{ sn_text('short_description') }} as risk_name,
        {{ sn_text('state') }} as state,
        ---------- numerics
        {{ sn_integer('probability') }} as probability_code,
        {{ sn_integer('impact') }} as impact_code,
        {{ sn_decimal('estimated_cost') }} as estimated_cost,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
