with

parse_rejects as (
    select * from {{ ref('stg_finance__finance_rejects') }}
),

gl_lines as (
    select * from {{ ref('int_gl_lines_converted') }}
),

-- rows the loader could not read
unreadable as (
    select
        reject_key as finance_reject_id,
        'parse' as reject_stage,
        file_name,
        file_line,
        raw_text,
        reason,
        file_sha256,
        file_modified_at,
        loaded_at
    from parse_rejects
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
        loaded_at
    from gl_lines
    where not has_fx_rate
),

final as (
    select * from unreadable
    union all
    select * from unconvertible
)

select * from final
