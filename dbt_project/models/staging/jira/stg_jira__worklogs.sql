with

source as (
    {{ latest_versions(source('jira', 'worklogs')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ jira_id(json_text('$.id')) }} as worklog_id,
        {{ jira_id(json_text('$.issueId')) }} as issue_id,
        {{ json_text('$.author.accountId') }} as author_account_id,
        nullif({{ json_text('$.author.emailAddress') }}, '') as author_email,
        ---------- numerics
        cast({{ json_text('$.timeSpentSeconds') }} as bigint) as time_spent_seconds,
        ---------- dates and timestamps
        {{ jira_timestamp(json_text('$.started')) }} as started_at,
        -- the author's wall-clock day: `started` carries the offset the author works in, and a
        -- day of work belongs to the author's calendar, not to UTC's
        cast(left({{ json_text('$.started') }}, 10) as date) as started_local_date,
        {{ jira_timestamp(json_text('$.created')) }} as created_at,
        {{ jira_timestamp(json_text('$.updated')) }} as updated_at,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
