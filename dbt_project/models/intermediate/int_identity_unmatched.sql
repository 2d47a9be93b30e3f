with

wbs_codes as (
    select * from {{ ref('int_wbs_codes_mapped') }}
),

jira_projects as (
    select * from {{ ref('int_jira_projects_mapped') }}
),

people as (
    select * from {{ ref('int_people_identity_mapped') }}
),

unmatched as (
    select
        'wbs_code' as identity_type,
        wbs_code as natural_id,
        'WBS code on finance lines that no ServiceNow project carries; its GL lines sit under the unknown project'
            as reason,
        gl_line_count + forecast_row_count as affected_row_count
    from wbs_codes
    where not is_matched

    union all

    select
        'wbs_code_clash',
        wbs_code,
        'WBS code claimed by ' || claiming_project_count || ' projects; costs go to ' || project_number,
        gl_line_count
    from wbs_codes
    where claiming_project_count > 1

    union all

    select
        'jira_project',
        jira_project_key,
        case
            when not is_in_jira then 'Jira project key named by a ServiceNow project but unknown to Jira'
            else 'Jira project no ServiceNow project names in u_jira_project_key'
        end,
        issue_count
    from jira_projects
    where not is_matched or not is_in_jira

    union all

    select
        'jira_project_clash',
        jira_project_key,
        'Jira project claimed by ' || claiming_project_count || ' projects; issues go to ' || project_number,
        issue_count
    from jira_projects
    where claiming_project_count > 1

    union all

    select
        'jira_account',
        account_id,
        case
            when email is null then 'Jira account without a visible e-mail: cannot be matched to a ServiceNow user'
            else 'Jira account whose e-mail no ServiceNow user has'
        end,
        cast(null as bigint)
    from people
    where not is_matched
),

final as (
    select * from unmatched
)

select * from final
