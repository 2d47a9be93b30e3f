with

source as (
    {{ latest_versions(source('jira', 'statuses')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ jira_id(json_text('$.id')) }} as status_id,
        ---------- attributes
        {{ json_text('$.name') }} as status_name,
        -- new | indeterminate (in progress) | done: what flow metrics are computed from
        {{ json_text('$.statusCategory.key') }} as status_category_key,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
