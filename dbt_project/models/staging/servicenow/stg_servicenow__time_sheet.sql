with

source as (
    {{ latest_versions(source('servicenow', 'time_sheet')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as time_sheet_sys_id,
        {{ sn_id('user') }} as user_sys_id,
        ---------- attributes
        {{ sn_text('state') }} as state,
        ---------- numerics
        {{ sn_decimal('total_hours') }} as total_hours,
        ---------- dates and timestamps
        {{ sn_date('week_starts_on') }} as week_starts_on,
        -- the instance's stamp of the latest submission (a custom field, docs/contract.md §3.2)
        {{ sn_timestamp('u_submitted_on') }} as submitted_at,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
