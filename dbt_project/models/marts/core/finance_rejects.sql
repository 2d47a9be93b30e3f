with

rejects as (
    select * from {{ ref('stg_finance__finance_rejects') }}
),

final as (
    select
        reject_key as finance_reject_id,
        file_name,
        file_line,
        raw_text,
        reason,
        file_sha256,
        file_modified_at,
        loaded_at
    from rejects
)

select * from final
