with

source as (
    {{ latest_versions(source('servicenow', 'fiscal_period')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as fiscal_period_sys_id,
        ---------- attributes
        {{ sn_text('name') }} as fiscal_period_name,
        {{ sn_text('fiscal_type') }} as fiscal_type,
        ---------- dates and timestamps
        {{ sn_date('fiscal_start_date') }} as fiscal_start_date,
        {{ sn_date('fiscal_end_date') }} as fiscal_end_date,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
