with

source as (
    {{ latest_versions(source('jira', 'projects')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ jira_id(json_text('$.id')) }} as jira_project_id,
        {{ jira_id(json_text('$.key')) }} as jira_project_key,
        {{ json_text('$.lead.accountId') }} as lead_account_id,
        ---------- attributes
        {{ json_text('$.name') }} as jira_project_name,
        {{ json_text('$.projectTypeKey') }} as project_type_key,
        coalesce(cast({{ json_text('$.archived') }} as boolean), false) as is_archived,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
