{#- Cross-project dependencies per blocked project × blocking project (docs/kpis.md
    "Cross-project dependencies"). -#}
with

projects as (
    select * from {{ ref('dim_project') }}
    where is_current and project_sys_id is not null
),

status_reports as (
    select * from {{ ref('fct_project_status') }}
),

issue_links as (
    select * from {{ ref('int_jira_issue_links') }}
),

issues as (
    select * from {{ ref('fct_issue') }}
),

status_intervals as (
    select * from {{ ref('int_jira_status_intervals') }}
),

relations as (
    select * from {{ ref('stg_servicenow__planned_task_rel_planned_task') }}
),

tasks as (
    select * from {{ ref('stg_servicenow__pm_project_task') }}
),

state_labels as (
    select * from {{ ref('project_state_labels') }}
),

task_projects as (
    select * from {{ ref('int_task_projects') }}
),

-- a Jira project stands for the current ServiceNow project that names it
jira_projects as (
    select upper(trim(jira_project_key)) as jira_project_key, project_sys_id, planned_start_date
    from projects
    where jira_project_key is not null
),

-- the status category of every issue at the end of the as-of date (as the scorecard reads it)
issue_states_as_of as (
    select issue_id, status_category_key
    from status_intervals
    where valid_from < cast({{ as_of_date() }} + interval 1 day as timestamp)
        and valid_to >= cast({{ as_of_date() }} + interval 1 day as timestamp)
),

-- open Jira Blocks links across projects: the blocker is not done at the end of the as-of date,
-- both issues existed by then
jira_dependencies as (
    select
        blocked_projects.project_sys_id as blocked_project_sys_id,
        blocking_projects.project_sys_id as blocking_project_sys_id,
        'jira' as dependency_source,
        issue_links.link_id as dependency_id,
        -- a Jira issue has no planned start: the blocked work starts with its project
        blocked_projects.planned_start_date as blocked_work_planned_start_date
    from issue_links
    inner join issues as blocked
        on issue_links.blocked_issue_id = blocked.issue_id
    inner join issues as blockers
        on issue_links.blocker_issue_id = blockers.issue_id
    inner join issue_states_as_of as blocker_states
        on issue_links.blocker_issue_id = blocker_states.issue_id
    inner join jira_projects as blocked_projects
        on upper(trim(blocked.jira_project_key)) = blocked_projects.jira_project_key
    inner join jira_projects as blocking_projects
        on upper(trim(blockers.jira_project_key)) = blocking_projects.jira_project_key
    where lower(issue_links.link_type_name) = 'blocks'
        and blockers.jira_project_key <> blocked.jira_project_key
        and blocker_states.status_category_key <> 'done'
        and cast(blocked.created_at as date) <= {{ as_of_date() }}
        and cast(blockers.created_at as date) <= {{ as_of_date() }}
),

-- each planned task (a project task, or a project itself) with its plan and when it closed
planned_tasks as (
    select
        tasks.task_sys_id,
        cast(tasks.planned_start_at as date) as planned_start_date,
        coalesce(state_labels.is_closed, false) as is_closed_state,
        cast(tasks.work_end_at as date) as work_end_date
    from tasks
    left join state_labels
        on tasks.state_code = state_labels.state_code
    union all
    select
        project_sys_id,
        planned_start_date,
        state in ('closed complete', 'closed incomplete', 'closed skipped'),
        actual_end_date
    from projects
),

-- open ServiceNow task dependencies across projects: the relation existed by the as-of date and
-- its predecessor had not closed by then
task_dependencies as (
    select
        successor_projects.project_sys_id as blocked_project_sys_id,
        predecessor_projects.project_sys_id as blocking_project_sys_id,
        'servicenow' as dependency_source,
        relations.task_relation_sys_id as dependency_id,
        successors.planned_start_date as blocked_work_planned_start_date
    from relations
    inner join task_projects as predecessor_projects
        on relations.predecessor_task_sys_id = predecessor_projects.task_sys_id
    inner join task_projects as successor_projects
        on relations.successor_task_sys_id = successor_projects.task_sys_id
    inner join planned_tasks as predecessors
        on relations.predecessor_task_sys_id = predecessors.task_sys_id
    left join planned_tasks as successors
        on relations.successor_task_sys_id = successors.task_sys_id
    left join projects as predecessor_owner
        on predecessor_projects.project_sys_id = predecessor_owner.project_sys_id
    where predecessor_projects.project_sys_id <> successor_projects.project_sys_id
        and cast(relations.created_at as date) <= {{ as_of_date() }}
        and not (
            predecessors.is_closed_state
            -- a task closed with its project, without a date of its own, closed on the project's end
            and coalesce(predecessors.work_end_date, predecessor_owner.actual_end_date) <= {{ as_of_date() }}
        )
),

dependencies as (
    select * from jira_dependencies
    union all
    select * from task_dependencies
),

pairs as (
    select
        blocked_project_sys_id,
        blocking_project_sys_id,
        count(*) filter (where dependency_source = 'jira') as open_jira_link_count,
        count(*) filter (where dependency_source = 'servicenow') as open_task_dependency_count,
        count(*) as open_dependency_count,
        min(blocked_work_planned_start_date) as blocked_work_planned_start_date
    from dependencies
    group by 1, 2
),

-- the blocker's health: its latest status report on or before the as-of date
latest_reports as (
    select project_sys_id, overall_health
    from (
        select
            projects_by_version.project_sys_id,
            status_reports.overall_health,
            row_number() over (
                partition by projects_by_version.project_sys_id
                order by
                    status_reports.status_date desc, status_reports.created_at desc nulls last,
                    status_reports.project_status_sys_id desc
            ) as report_rank
        from status_reports
        inner join {{ ref('dim_project') }} as projects_by_version
            on status_reports.project_key = projects_by_version.project_key
        where status_reports.status_date <= {{ as_of_date() }}
    ) as ranked
    where report_rank = 1
),

measured as (
    select
        pairs.*,
        blocked.project_key as blocked_project_key,
        blocked.project_id as blocked_project_id,
        blocked.project_name as blocked_project_name,
        blocked.portfolio_name as blocked_portfolio_name,
        blocked.planned_start_date as blocked_planned_start_date,
        blocking.project_key as blocking_project_key,
        blocking.project_id as blocking_project_id,
        blocking.project_name as blocking_project_name,
        blocking.portfolio_name as blocking_portfolio_name,
        latest_reports.overall_health as blocker_overall_health,
        blocking.planned_end_date as blocker_planned_end_date,
        blocking.baseline_end_date as blocker_baseline_end_date
    from pairs
    inner join projects as blocked
        on pairs.blocked_project_sys_id = blocked.project_sys_id
    inner join projects as blocking
        on pairs.blocking_project_sys_id = blocking.project_sys_id
    left join latest_reports
        on pairs.blocking_project_sys_id = latest_reports.project_sys_id
),

final as (
    select
        cast(blocked_project_key as varchar) as blocked_project_key,
        cast(blocked_project_id as varchar) as blocked_project_id,
        cast(blocked_project_name as varchar) as blocked_project_name,
        cast(blocked_portfolio_name as varchar) as blocked_portfolio_name,
        cast(blocking_project_key as varchar) as blocking_project_key,
        cast(blocking_project_id as varchar) as blocking_project_id,
        cast(blocking_project_name as varchar) as blocking_project_name,
        cast(blocking_portfolio_name as varchar) as blocking_portfolio_name,
        cast(open_jira_link_count as bigint) as open_jira_link_count,
        cast(open_task_dependency_count as bigint) as open_task_dependency_count,
        cast(open_dependency_count as bigint) as open_dependency_count,
        cast(blocker_overall_health as varchar) as blocker_overall_health,
        cast(blocker_planned_end_date as date) as blocker_planned_end_date,
        cast(blocker_baseline_end_date as date) as blocker_baseline_end_date,
        cast(date_diff('day', blocker_baseline_end_date, blocker_planned_end_date) as integer)
            as blocker_schedule_slip_days,
        cast(blocked_planned_start_date as date) as blocked_planned_start_date,
        cast(blocked_work_planned_start_date as date) as blocked_work_planned_start_date,
        cast(
            coalesce(blocker_overall_health = 'red', false)
            or coalesce(blocker_planned_end_date > blocked_work_planned_start_date, false)
            as boolean
        ) as is_at_risk,
        cast({{ as_of_date() }} as date) as as_of_date
    from measured
)

select * from final
