with

-- one row per person: a record another instance's record stands for is not a resource of its own
-- (int_servicenow_people)
users as (
    select * from {{ ref('int_servicenow_people') }}
    where is_person
),

departments as (
    select * from {{ ref('stg_servicenow__cmn_department') }}
),

cost_centers as (
    select * from {{ ref('stg_servicenow__cmn_cost_center') }}
),

people as (
    select * from {{ ref('int_people_identity_mapped') }}
),

matched_accounts as (
    select user_sys_id, min(account_id) as jira_account_id, count(*) as jira_account_count
    from people
    where is_matched
    group by 1
),

servicenow_people as (
    select
        {{ surrogate_key(["'servicenow'", "'sys_user'", 'users.user_sys_id']) }} as resource_key,
        users.source_instance,
        users.user_name as resource_id,
        users.full_name as resource_name,
        users.user_sys_id,
        matched_accounts.jira_account_id,
        users.email,
        users.title,
        departments.department_name as department,
        cost_centers.cost_center_code,
        users.employment_type,
        users.hourly_cost_rate as hourly_cost_rate_amount,
        users.weekly_capacity_hours,
        users.is_active,
        'servicenow' as source_system,
        matched_accounts.jira_account_id is not null as is_mapped_to_jira
    from users
    left join departments
        on users.department_sys_id = departments.department_sys_id
    left join cost_centers
        on users.cost_center_sys_id = cost_centers.cost_center_sys_id
    left join matched_accounts
        on users.user_sys_id = matched_accounts.user_sys_id
),

-- a Jira account with no ServiceNow user is kept as an unmapped resource, so its worklogs and
-- issues keep a person (docs/contract.md §3.7); accounts sharing an e-mail are one person, kept
-- once, under the account that stands for them all (person_account_id)
unmapped_jira_people as (
    select
        {{ surrogate_key(["'jira'", "'account'", 'people.account_id']) }},
        -- an Atlassian account is one on every Jira site: it belongs to no one instance
        cast(null as varchar),
        'jira:' || people.account_id,
        people.display_name,
        cast(null as varchar),
        people.account_id,
        people.email,
        cast(null as varchar),
        cast(null as varchar),
        cast(null as varchar),
        cast(null as varchar),
        cast(null as decimal(38, 6)),
        cast(null as decimal(38, 6)),
        cast(null as boolean),
        'jira',
        false
    from people
    where not people.is_matched
        and people.account_id = people.person_account_id
),

unknown_member as (
    select
        {{ unknown_key() }}, null, '-1', 'Unknown', null, null, null, null, null, null, null,
        null, null, null, 'unknown', false
),

final as (
    select * from servicenow_people
    union all
    select * from unmapped_jira_people
    union all
    select * from unknown_member
)

select * from final
