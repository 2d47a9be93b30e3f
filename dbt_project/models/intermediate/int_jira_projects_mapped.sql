with

jira_projects as (
    select * from {{ ref('stg_jira__projects') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

projects as (
    select * from {{ ref('stg_servicenow__pm_project') }}
),

issue_projects as (
    select
        jira_project_key,
        min(source_instance) as source_instance,
        min(jira_project_id) as jira_project_id,
        count(*) as issue_count
    from issues
    group by 1
),

-- the ServiceNow side: which current project names the Jira key (u_jira_project_key)
claims as (
    select
        upper(trim(jira_project_key)) as jira_project_key,
        project_sys_id,
        project_number,
        row_number()
            -- the first ServiceNow instance's claim first, then further instances' by name
            over (partition by upper(trim(jira_project_key)) order by source_instance, project_number, project_sys_id)
            as claim_rank,
        count(*) over (partition by upper(trim(jira_project_key))) as claiming_project_count
    from projects
    where jira_project_key is not null
),

all_keys as (
    select jira_project_key from jira_projects
    union
    select jira_project_key from issue_projects
    union
    select jira_project_key from claims
),

final as (
    select
        all_keys.jira_project_key,
        -- the site the key is on; NULL for a key only a ServiceNow project names
        coalesce(jira_projects.source_instance, issue_projects.source_instance) as source_instance,
        coalesce(jira_projects.jira_project_id, issue_projects.jira_project_id) as jira_project_id,
        jira_projects.jira_project_name,
        jira_projects.project_type_key,
        coalesce(jira_projects.is_archived, false) as is_archived,
        jira_projects.jira_project_key is not null or issue_projects.jira_project_key is not null as is_in_jira,
        claims.project_sys_id,
        claims.project_number,
        claims.project_sys_id is not null as is_matched,
        coalesce(claims.claiming_project_count, 0) as claiming_project_count,
        coalesce(issue_projects.issue_count, 0) as issue_count
    from all_keys
    left join jira_projects
        on all_keys.jira_project_key = jira_projects.jira_project_key
    left join issue_projects
        on all_keys.jira_project_key = issue_projects.jira_project_key
    left join claims
        on upper(all_keys.jira_project_key) = claims.jira_project_key
        and claims.claim_rank = 1
)

select * from final
