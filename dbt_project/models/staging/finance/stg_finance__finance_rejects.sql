with

source as (
    {{ latest_versions(source('finance', 'finance_rejects')) }}
),

renamed as (
    select
        ---------- ids
        natural_key as reject_key,
        ---------- attributes
        coalesce({{ json_text('$.raw_text') }}, {{ json_text('$.raw') }}) as raw_text,
        {{ json_text('$.reason') }} as reason,
        ---------- lineage
        {{ finance_file_columns() }}
    from source
)

select * from renamed
