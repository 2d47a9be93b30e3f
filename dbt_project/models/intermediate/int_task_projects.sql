with

history as (
    select * from {{ ref('int_project_history') }}
),

tasks as (
    select * from {{ ref('stg_servicenow__pm_project_task') }}
),

-- a project counts for itself (every project ever landed, deleted ones included, so their hours
-- keep their project)
projects as (
    select distinct project_sys_id as task_sys_id, project_sys_id, 'pm_project' as task_table
    from history
),

-- a project task counts for its top_task project (docs/kpis.md "Hours")
project_tasks as (
    select task_sys_id, project_sys_id, 'pm_project_task' as task_table
    from tasks
    where project_sys_id is not null
),

final as (
    select * from projects
    union all
    select * from project_tasks
    where task_sys_id not in (select task_sys_id from projects)
)

select * from final
