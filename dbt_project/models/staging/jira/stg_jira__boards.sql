with

source as (
    {{ latest_versions(source('jira', 'boards')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ jira_id(json_text('$.id')) }} as board_id,
        -- a board located in a project; a board on a user's filter has no project
        {{ jira_id(json_text('$.location.projectId')) }} as jira_project_id,
        {{ jira_id(json_text('$.location.projectKey')) }} as jira_project_key,
        ---------- attributes
        {{ json_text('$.name') }} as board_name,
        {{ json_text('$.type') }} as board_type,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
