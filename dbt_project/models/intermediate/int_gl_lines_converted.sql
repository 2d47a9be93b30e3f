with

gl_lines as (
    select * from {{ ref('stg_finance__gl_actuals') }}
),

file_periods as (
    select * from {{ ref('int_gl_file_periods') }}
),

-- only the lines of the newest file of each company and period are in force
in_force as (
    select gl_lines.*
    from gl_lines
    inner join file_periods
        on gl_lines.company_code = file_periods.company_code
        and gl_lines.fiscal_year = file_periods.fiscal_year
        and gl_lines.fiscal_period = file_periods.fiscal_period
        and gl_lines.file_sha256 = file_periods.file_sha256
    where file_periods.is_in_force
),

placed as (
    select
        in_force.*,
        -- a GL line belongs to the month of its fiscal year and period (docs/kpis.md "Months")
        {{ fiscal_month_start('in_force.fiscal_year', 'in_force.fiscal_period') }} as month_start_date
    from in_force
),

-- a posted month has its own rate; only forecast months may borrow an earlier one
converted as (
    {{ finance_lines_converted('placed', rate='own_month') }}
),

final as (
    select
        *,
        -- without its month's rate a line cannot be money in the reporting currency: it is a
        -- reject (finance_rejects), never summed as NULL or guessed from another month
        fx_rate is not null as has_fx_rate,
        amount_local * fx_rate as amount
    from converted
)

select * from final
