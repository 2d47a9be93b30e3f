with

source as (
    {{ latest_versions(source('finance', 'files')) }}
),

renamed as (
    select
        ---------- ids
        natural_key as file_sha256,
        ---------- attributes
        {{ json_text('$.file_name') }} as file_name,
        {{ json_text('$.kind') }} as file_kind,
        ---------- numerics
        cast({{ json_text('$.rows') }} as bigint) as rows_loaded,
        cast({{ json_text('$.rejects') }} as bigint) as rows_rejected,
        ---------- dates and timestamps
        coalesce(try_cast({{ json_text('$.file_modified_at') }} as timestamptz), source_updated_at) as file_modified_at,
        ---------- lineage
        record as file_record_json,
        loaded_at
    from source
)

select * from renamed
