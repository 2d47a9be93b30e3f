with

versions as (
    select * from {{ ref('stg_jira__versions') }}
),

jira_projects as (
    select * from {{ ref('stg_jira__projects') }}
),

members as (
    select
        {{ surrogate_key(["'jira'", "'version'", 'versions.version_id']) }} as release_key,
        versions.version_id,
        versions.source_instance,
        versions.release_name,
        versions.release_description,
        coalesce(jira_projects.jira_project_key, '-1') as jira_project_key,
        versions.start_date,
        versions.release_date,
        versions.is_released,
        versions.is_archived,
        versions.is_overdue
    from versions
    left join jira_projects
        on versions.jira_project_id = jira_projects.jira_project_id
),

unknown_member as (
    select {{ unknown_key() }}, '-1', null, 'Unknown', null, '-1', null, null, false, false, false
),

final as (
    select * from members
    union all
    select * from unknown_member
)

select * from final
