with

parse_rejects as (
    select * from {{ ref('stg_finance__finance_rejects') }}
),

gl_lines as (
    select * from {{ ref('int_gl_lines_converted') }}
),

files as (
    select * from {{ ref('int_finance_files') }}
),

-- rows the loader could not read; those of a file a newer one superseded (int_finance_files
-- owns the rule) stay listed, marked, and no longer count against the reject limit
unreadable as (
    select
        parse_rejects.reject_key as finance_reject_id,
        'parse' as reject_stage,
        parse_rejects.file_name,
        parse_rejects.file_line,
        parse_rejects.raw_text,
        parse_rejects.reason,
        parse_rejects.file_sha256,
        parse_rejects.file_modified_at,
        parse_rejects.loaded_at,
        coalesce(not files.is_in_force, false) as is_superseded,
        files.superseded_by_file_name
    from parse_rejects
    left join files
        on parse_rejects.file_sha256 = files.file_sha256
),

-- GL lines in force that read fine but cannot become money: no FX rate for their currency in
-- their month (docs/kpis.md "Money"); they are left out of every actual until the rate arrives
unconvertible as (
    select
        gl_line_key,
        'conversion',
        file_name,
        file_line,
        company_code || ' ' || fiscal_year || '-' || lpad(cast(fiscal_period as varchar), 2, '0')
        || ' document ' || document_number || ' line ' || line_number
        || ': ' || cast(amount_local as varchar) || ' ' || currency,
        'no FX rate for ' || currency || ' in ' || strftime(month_start_date, '%Y-%m')
        || ': add it to an fx_rates file; the line is left out of actuals until then',
        file_sha256,
        file_modified_at,
        loaded_at,
        -- only lines in force are here: a replaced line is not an actual, so not a reject either
        false,
        cast(null as varchar)
    from gl_lines
    where not has_fx_rate
),

final as (
    select * from unreadable
    union all
    select * from unconvertible
)

select * from final
