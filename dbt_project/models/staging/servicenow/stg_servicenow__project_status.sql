with

source as (
    {{ latest_versions(source('servicenow', 'project_status')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as project_status_sys_id,
        {{ sn_id('project') }} as project_sys_id,
        ---------- attributes
        {{ sn_id('number') }} as status_number,
        {{ sn_text('overall_health') }} as overall_health_code,
        {{ sn_text('schedule') }} as schedule_health_code,
        {{ sn_text('cost') }} as cost_health_code,
        {{ sn_text('scope') }} as scope_health_code,
        {{ sn_text('resources') }} as resources_health_code,
        ---------- numerics
        {{ sn_decimal('percent_complete') }} as percent_complete,
        ---------- dates and timestamps
        {{ sn_date('as_on') }} as as_on_date,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
),

health_labels as (
    select * from {{ ref('health_labels') }}
),

final as (
    select
        renamed.*,
        -- ServiceNow's yellow is shown as amber; the seed holds the mapping.
        overall.health as overall_health,
        schedule.health as schedule_health,
        cost.health as cost_health,
        scope.health as scope_health,
        resources.health as resources_health
    from renamed
    left join health_labels as overall on renamed.overall_health_code = overall.health_code
    left join health_labels as schedule on renamed.schedule_health_code = schedule.health_code
    left join health_labels as cost on renamed.cost_health_code = cost.health_code
    left join health_labels as scope on renamed.scope_health_code = scope.health_code
    left join health_labels as resources on renamed.resources_health_code = resources.health_code
)

select * from final
