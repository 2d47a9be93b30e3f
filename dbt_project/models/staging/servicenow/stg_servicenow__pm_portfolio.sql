with

source as (
    {{ latest_versions(source('servicenow', 'pm_portfolio')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as portfolio_sys_id,
        {{ sn_id('portfolio_manager') }} as portfolio_manager_sys_id,
        ---------- attributes
        {{ sn_id('name') }} as portfolio_name,
        {{ sn_boolean('active') }} as is_active,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
