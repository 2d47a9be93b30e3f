with

reports as (
    select * from {{ ref('stg_servicenow__project_status') }}
),

final as (
    select
        {{ surrogate_key(["'servicenow'", "'project_status'", 'reports.project_status_sys_id']) }}
            as project_status_key,
        reports.source_instance,
        reports.status_number as project_status_id,
        reports.project_status_sys_id,
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        reports.as_on_date as status_date,
        project_versions.project_number as project_id,
        reports.overall_health,
        reports.schedule_health,
        reports.cost_health,
        reports.scope_health,
        reports.resources_health,
        reports.percent_complete,
        reports.created_at
    from reports
    {{ project_version_join('project_versions', 'reports.project_sys_id', 'reports.as_on_date') }}
)

select * from final
