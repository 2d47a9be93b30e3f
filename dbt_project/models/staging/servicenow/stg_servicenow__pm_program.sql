with

source as (
    {{ latest_versions(source('servicenow', 'pm_program')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as program_sys_id,
        {{ sn_id('portfolio') }} as portfolio_sys_id,
        {{ sn_id('program_manager') }} as program_manager_sys_id,
        ---------- attributes
        {{ sn_id('number') }} as program_number,
        {{ sn_text('short_description') }} as program_name,
        {{ sn_text('state') }} as state_code,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
