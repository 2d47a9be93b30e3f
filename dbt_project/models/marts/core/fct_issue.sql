with

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

status_changes as (
    select * from {{ ref('int_jira_status_changes') }}
),

jira_projects as (
    select * from {{ ref('int_jira_projects_mapped') }}
),

people as (
    select * from {{ ref('int_people_identity_mapped') }}
),

-- cycle time starts at the FIRST transition into an In-Progress category status (docs/kpis.md
-- "Flow"); an issue created straight into progress has no transition and no cycle time
first_in_progress as (
    select issue_id, min(changed_at) as first_in_progress_at
    from status_changes
    where to_status_category_key = 'indeterminate'
    group by 1
),

final as (
    select
        {{ surrogate_key(["'jira'", "'issue'", 'issues.issue_id']) }} as issue_key,
        issues.issue_id,
        issues.source_instance,
        issues.issue_key as jira_issue_key,
        issues.jira_project_key,
        coalesce(current_projects.project_key, {{ unknown_key() }}) as project_key,
        current_projects.project_number as project_id,
        {{ jira_account_resource_key('assignees', 'issues.assignee_account_id') }} as assignee_resource_key,
        issues.parent_issue_id,
        issues.parent_issue_key as parent_jira_issue_key,
        issues.summary,
        issues.issue_type_name,
        issues.issue_type_hierarchy_level,
        issues.status_name,
        issues.status_category_key,
        issues.priority_name,
        issues.resolution_name,
        issues.sprint_name,
        issues.story_points,
        issues.original_estimate_seconds,
        issues.time_spent_seconds,
        issues.created_at,
        cast(issues.created_at as date) as created_date,
        first_in_progress.first_in_progress_at,
        issues.resolved_at,
        cast(issues.resolved_at as date) as resolved_date,
        issues.due_date,
        issues.resolved_at is not null as is_resolved,
        -- fractional days, seconds / 86400
        case
            when issues.resolved_at is not null and first_in_progress.first_in_progress_at is not null
                then epoch(issues.resolved_at - first_in_progress.first_in_progress_at) / 86400.0
        end as cycle_time_days,
        case
            when issues.resolved_at is not null
                then epoch(issues.resolved_at - issues.created_at) / 86400.0
        end as lead_time_days
    from issues
    left join first_in_progress
        on issues.issue_id = first_in_progress.issue_id
    left join jira_projects
        on issues.jira_project_key = jira_projects.jira_project_key
    {{ current_project_join('current_projects', 'jira_projects.project_sys_id') }}
    left join people as assignees
        on issues.assignee_account_id = assignees.account_id
)

select * from final
