with

jira_users as (
    select * from {{ ref('stg_jira__users') }}
),

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

worklogs as (
    select * from {{ ref('stg_jira__worklogs') }}
),

users as (
    select * from {{ ref('int_servicenow_people') }}
),

-- Every account Jira shows us, with every e-mail it shows for it: /users/search often hides
-- e-mails that issues and worklogs still carry.
accounts_seen as (
    select account_id, email, display_name from jira_users
    union all
    select assignee_account_id, assignee_email, null from issues where assignee_account_id is not null
    union all
    select reporter_account_id, reporter_email, null from issues where reporter_account_id is not null
    union all
    select author_account_id, author_email, null from worklogs where author_account_id is not null
),

accounts as (
    select
        account_id,
        min(lower(trim(email))) as email,
        max(display_name) as display_name
    from accounts_seen
    group by 1
),

-- people join on e-mail, case-insensitively, to the one ServiceNow record the e-mail stands for
-- on every instance (docs/contract.md §3.7, int_servicenow_people)
user_emails as (
    select
        lower(trim(email)) as email,
        user_sys_id,
        user_name
    from users
    where is_email_owner
),

final as (
    select
        accounts.account_id,
        -- one person, one account to stand for them: the same e-mail on two sites (or twice on one)
        -- is one person, matched to ServiceNow or not (docs/contract.md §3.7)
        case
            when accounts.email is not null
                then min(accounts.account_id) over (partition by accounts.email)
            else accounts.account_id
        end as person_account_id,
        accounts.email,
        accounts.display_name,
        user_emails.user_sys_id,
        user_emails.user_name,
        user_emails.user_sys_id is not null as is_matched
    from accounts
    left join user_emails
        on accounts.email = user_emails.email
)

select * from final
