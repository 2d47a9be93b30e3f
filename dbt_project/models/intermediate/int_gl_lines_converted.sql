with

gl_lines as (
    select * from {{ ref('stg_finance__gl_actuals') }}
),

wbs_codes as (
    select * from {{ ref('int_wbs_codes_mapped') }}
),

placed as (
    select
        gl_lines.*,
        -- a GL line belongs to the month of its fiscal year and period (docs/kpis.md "Months")
        {{ fiscal_month_start('gl_lines.fiscal_year', 'gl_lines.fiscal_period') }} as month_start_date
    from gl_lines
),

converted as (
    select
        placed.*,
        -- a posted month has its own rate; only forecast months may borrow an earlier one
        {{ fx_rate('fx', 'placed.currency') }} as fx_rate,
        wbs_codes.project_sys_id,
        coalesce(wbs_codes.is_matched, false) as is_wbs_matched
    from placed
    {{ fx_exact_join('fx', 'placed.currency', 'placed.month_start_date') }}
    left join wbs_codes
        on upper(trim(placed.wbs_code)) = wbs_codes.wbs_code
),

final as (
    select
        *,
        amount_local * fx_rate as amount
    from converted
)

select * from final
