with

source as (
    {{ latest_versions(source('jira', 'versions')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ jira_id(json_text('$.id')) }} as version_id,
        {{ jira_id(json_text('$.projectId')) }} as jira_project_id,
        ---------- attributes
        {{ json_text('$.name') }} as release_name,
        {{ json_text('$.description') }} as release_description,
        coalesce(cast({{ json_text('$.released') }} as boolean), false) as is_released,
        coalesce(cast({{ json_text('$.archived') }} as boolean), false) as is_archived,
        coalesce(cast({{ json_text('$.overdue') }} as boolean), false) as is_overdue,
        ---------- dates
        cast(nullif({{ json_text('$.startDate') }}, '') as date) as start_date,
        cast(nullif({{ json_text('$.releaseDate') }}, '') as date) as release_date,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
