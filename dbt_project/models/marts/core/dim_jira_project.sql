with

jira_projects as (
    select * from {{ ref('int_jira_projects_mapped') }}
),

members as (
    select
        jira_projects.jira_project_key,
        jira_projects.source_instance,
        jira_projects.jira_project_id,
        jira_projects.jira_project_name,
        jira_projects.project_type_key,
        jira_projects.is_archived,
        jira_projects.is_in_jira,
        coalesce(current_projects.project_key, {{ unknown_key() }}) as project_key,
        jira_projects.project_number as project_id,
        jira_projects.is_matched
    from jira_projects
    {{ current_project_join('current_projects', 'jira_projects.project_sys_id') }}
),

unknown_member as (
    select '-1', null, null, 'Unknown', null, false, false, {{ unknown_key() }}, null, false
),

final as (
    select * from members
    union all
    select * from unknown_member
)

select * from final
