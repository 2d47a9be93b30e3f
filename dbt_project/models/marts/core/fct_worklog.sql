with

worklogs as (
    select * from {{ ref('stg_jira__worklogs') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

jira_projects as (
    select * from {{ ref('int_jira_projects_mapped') }}
),

people as (
    select * from {{ ref('int_people_identity_mapped') }}
),

final as (
    select
        {{ surrogate_key(["'jira'", "'worklog'", 'worklogs.worklog_id']) }} as worklog_key,
        worklogs.worklog_id,
        worklogs.source_instance,
        {{ surrogate_key(["'jira'", "'issue'", 'worklogs.issue_id']) }} as issue_key,
        worklogs.issue_id,
        coalesce(issues.jira_project_key, '-1') as jira_project_key,
        coalesce(current_projects.project_key, {{ unknown_key() }}) as project_key,
        current_projects.project_number as project_id,
        {{ jira_account_resource_key('authors', 'worklogs.author_account_id') }} as resource_key,
        worklogs.started_at,
        worklogs.started_local_date as work_date,
        worklogs.time_spent_seconds,
        worklogs.time_spent_seconds / 3600.0 as hours,
        worklogs.created_at,
        worklogs.updated_at,
        issues.issue_id is not null as has_issue
    from worklogs
    left join issues
        on worklogs.issue_id = issues.issue_id
    left join jira_projects
        on issues.jira_project_key = jira_projects.jira_project_key
    {{ current_project_join('current_projects', 'jira_projects.project_sys_id') }}
    left join people as authors
        on worklogs.author_account_id = authors.account_id
)

select * from final
