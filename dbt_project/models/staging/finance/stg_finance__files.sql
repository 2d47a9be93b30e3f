with

source as (
    {{ latest_versions(source('finance', 'files')) }}
),

renamed as (
    select
        ---------- ids
        natural_key as file_sha256,
        -- the pipeline run whose sync loaded the file
        {{ json_text('$.run_id') }} as run_id,
        ---------- attributes
        {{ json_text('$.file_name') }} as file_name,
        {{ json_text('$.kind') }} as file_kind,
        ---------- numerics
        cast({{ json_text('$.rows') }} as bigint) as rows_loaded,
        cast({{ json_text('$.rejects') }} as bigint) as rows_rejected,
        ---------- dates and timestamps
        -- files landed before the loader recorded arrivals arrived when they landed
        coalesce(try_cast({{ json_text('$.arrived_at') }} as timestamptz), loaded_at) as arrived_at,
        try_cast({{ json_text('$.export_date') }} as date) as export_date,
        coalesce(try_cast({{ json_text('$.file_modified_at') }} as timestamptz), source_updated_at) as file_modified_at,
        ---------- lineage
        record as file_record_json,
        loaded_at
    from source
)

select * from renamed
