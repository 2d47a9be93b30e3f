with

source as (
    {{ latest_versions(source('jira', 'fields')) }}
),

renamed as (
    select
        ---------- ids
        {{ json_text('$.id') }} as field_id,
        ---------- attributes
        {{ json_text('$.name') }} as field_name,
        coalesce(cast({{ json_text('$.custom') }} as boolean), false) as is_custom,
        {{ json_text('$.schema.type') }} as schema_type,
        {{ json_text('$.schema.custom') }} as schema_custom,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
