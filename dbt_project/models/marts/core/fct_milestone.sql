with

milestones as (
    select * from {{ ref('int_milestone_delivery') }}
),

final as (
    select
        {{ surrogate_key(["'servicenow'", "'pm_project_task'", 'milestones.task_sys_id']) }} as milestone_key,
        milestones.source_instance,
        milestones.task_number as milestone_id,
        coalesce(current_projects.project_key, {{ unknown_key() }}) as project_key,
        current_projects.project_number as project_id,
        milestones.task_name as milestone_name,
        milestones.state,
        milestones.percent_complete,
        milestones.planned_start_date,
        milestones.planned_end_date,
        milestones.baseline_end_date,
        milestones.baseline_source,
        milestones.actual_start_date,
        milestones.actual_end_date,
        milestones.is_on_time,
        milestones.actual_end_date - milestones.baseline_end_date as days_late
    from milestones
    {{ current_project_join('current_projects', 'milestones.project_sys_id') }}
)

select * from final
