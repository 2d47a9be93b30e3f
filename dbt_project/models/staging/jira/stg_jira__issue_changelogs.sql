with

source as (
    {{ latest_versions(source('jira', 'issue_changelogs')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ jira_id(json_text('$.id')) }} as change_id,
        -- bulkfetch nests histories under their issue; the connector lands each history with it
        {{ jira_id("coalesce(" ~ json_text('$.issueId') ~ ", " ~ json_text('$.issue_id') ~ ")") }} as issue_id,
        {{ json_text('$.author.accountId') }} as author_account_id,
        ---------- attributes
        -- the changed fields; int_jira_status_changes unnests the status items
        {{ json_document('$.items') }} as items_json,
        ---------- dates and timestamps
        {{ jira_timestamp(json_text('$.created')) }} as changed_at,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
