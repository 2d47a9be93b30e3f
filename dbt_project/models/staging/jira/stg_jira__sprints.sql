with

source as (
    {{ latest_versions(source('jira', 'sprints')) }}
),

-- the Agile API writes UTC with a `Z` (2026-06-29T09:00:00.000Z), the platform API an offset: both
-- go through jira_timestamp as an offset
renamed as (
    select
        ---------- ids
        source_instance,
        {{ jira_id(json_text('$.id')) }} as sprint_id,
        {{ jira_id(json_text('$.originBoardId')) }} as board_id,
        ---------- attributes
        {{ json_text('$.name') }} as sprint_name,
        {{ json_text('$.state') }} as sprint_state,
        {{ json_text('$.goal') }} as sprint_goal,
        ---------- timestamps
        {{ jira_timestamp("regexp_replace(" ~ json_text('$.startDate') ~ ", 'Z$', '+0000')") }} as started_at,
        {{ jira_timestamp("regexp_replace(" ~ json_text('$.endDate') ~ ", 'Z$', '+0000')") }} as ended_at,
        {{ jira_timestamp("regexp_replace(" ~ json_text('$.completeDate') ~ ", 'Z$', '+0000')") }} as completed_at,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
