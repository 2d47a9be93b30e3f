with

links as (
    select * from {{ ref('int_jira_issue_links') }}
),

-- Blocks and Depends links, with the Jira project of each side (int_jira_issue_links)
dependencies as (
    select *
    from links
    where is_dependency
),

final as (
    select
        {{ surrogate_key(["'jira'", "'issue_link'", 'link_id']) }} as issue_dependency_key,
        link_id as issue_dependency_id,
        link_type_name,
        {{ surrogate_key(["'jira'", "'issue'", 'blocker_issue_id']) }} as blocker_issue_key,
        {{ surrogate_key(["'jira'", "'issue'", 'blocked_issue_id']) }} as blocked_issue_key,
        blocker_issue_id,
        blocked_issue_id,
        coalesce(blocker_jira_project_key, '-1') as blocker_jira_project_key,
        coalesce(blocked_jira_project_key, '-1') as blocked_jira_project_key,
        -- an issue outside the landed scope is by definition in another project than ours
        blocker_jira_project_key is null or blocked_jira_project_key is null as has_issue_outside_scope
    from dependencies
    -- across projects: a dependency inside one Jira project is the team's own sequencing
    where blocker_jira_project_key is distinct from blocked_jira_project_key
)

select * from final
