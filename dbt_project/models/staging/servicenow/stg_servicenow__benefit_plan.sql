with

source as (
    {{ latest_versions(source('servicenow', 'benefit_plan')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as benefit_plan_sys_id,
        {{ sn_id('task') }} as project_sys_id,
        ---------- attributes
        {{ sn_text('name') }} as benefit_plan_name,
        {{ sn_text('benefit_type') }} as benefit_type,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
