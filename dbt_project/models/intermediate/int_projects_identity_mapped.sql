with

projects as (
    select * from {{ ref('stg_servicenow__pm_project') }}
),

jira_projects as (
    select * from {{ ref('int_jira_projects_mapped') }}
),

wbs_codes as (
    select * from {{ ref('int_wbs_codes_mapped') }}
),

final as (
    select
        projects.project_sys_id,
        projects.project_number,
        projects.jira_project_key as declared_jira_project_key,
        -- the key as Jira spells it, when Jira has the project
        case when jira_projects.is_in_jira then jira_projects.jira_project_key end as jira_project_key,
        coalesce(jira_projects.is_in_jira, false) as has_jira_project,
        projects.wbs_code as declared_wbs_code,
        wbs_codes.wbs_code,
        coalesce(wbs_codes.gl_line_count, 0) > 0 as has_gl_lines,
        -- true when this project lost a shared key to another project (see the mapping models)
        (jira_projects.project_sys_id is not null and jira_projects.project_sys_id <> projects.project_sys_id)
        or (wbs_codes.project_sys_id is not null and wbs_codes.project_sys_id <> projects.project_sys_id)
            as has_key_clash
    from projects
    left join jira_projects
        on upper(trim(projects.jira_project_key)) = upper(jira_projects.jira_project_key)
    left join wbs_codes
        on upper(trim(projects.wbs_code)) = wbs_codes.wbs_code
)

select * from final
