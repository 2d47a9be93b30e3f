with

gl_lines as (
    select * from {{ ref('stg_finance__gl_actuals') }}
),

files as (
    select * from {{ ref('stg_finance__files') }}
),

-- what each file says about each company and period it holds
file_periods as (
    select
        company_code,
        fiscal_year,
        fiscal_period,
        file_sha256,
        min(file_name) as file_name,
        count(*) as line_count
    from gl_lines
    group by 1, 2, 3, 4
),

with_arrival as (
    select
        file_periods.*,
        files.arrived_at,
        files.export_date,
        files.run_id,
        files.loaded_at
    from file_periods
    left join files
        on file_periods.file_sha256 = files.file_sha256
),

-- a newer file replaces the lines of the same company, fiscal year and period and nothing else
-- (docs/contract.md §4): rank the files holding each company-period, newest first
ranked as (
    select
        *,
        row_number() over company_period_newest_first as version_rank
    from with_arrival
    window company_period_newest_first as (
        partition by company_code, fiscal_year, fiscal_period
        order by {{ finance_file_order('with_arrival') }}
    )
),

final as (
    select
        company_code,
        fiscal_year,
        fiscal_period,
        file_sha256,
        file_name,
        line_count,
        arrived_at,
        export_date,
        run_id,
        loaded_at,
        version_rank,
        version_rank = 1 as is_in_force,
        -- the next newer file of the same company-period: the one that replaced this one
        lag(file_sha256) over company_period as superseded_by_file_sha256,
        lag(file_name) over company_period as superseded_by_file_name,
        lag(line_count) over company_period as superseded_by_line_count,
        lag(arrived_at) over company_period as superseded_at,
        lag(loaded_at) over company_period as superseded_by_loaded_at,
        lag(run_id) over company_period as superseded_by_run_id
    from ranked
    window company_period as (
        partition by company_code, fiscal_year, fiscal_period
        order by version_rank
    )
)

select * from final
