with

breakdowns as (
    select * from {{ ref('int_cost_plan_breakdowns_placed') }}
),

gl_lines as (
    select * from {{ ref('int_gl_lines_converted') }}
),

forecast_lines as (
    select * from {{ ref('int_forecast_lines_converted') }}
),

-- the approved budget: cost_plan_breakdown.cost on month periods (quarter and year periods are
-- ignored, docs/kpis.md "Months"), placed on its project by int_cost_plan_breakdowns_placed; plans
-- have no as-of cut
planned as (
    select
        project_sys_id,
        month_start_date,
        expense_type,
        planned_cost as planned_amount,
        cast(null as decimal(38, 16)) as actual_amount,
        cast(null as decimal(38, 16)) as forecast_amount
    from breakdowns
),

-- actuals are the GL (the system of record), cut at the as-of month: lines of later fiscal
-- periods are ignored (docs/kpis.md "As of")
actual as (
    select
        project_sys_id,
        month_start_date,
        expense_type,
        cast(null as decimal(38, 16)),
        amount,
        cast(null as decimal(38, 16))
    from gl_lines
    where month_start_date <= date_trunc('month', {{ as_of_date() }})
        and has_fx_rate
),

-- the latest forecast version is the greatest label not after the as-of month, across all
-- files (docs/kpis.md "Budget variance")
latest_version as (
    select max(version) as version
    from forecast_lines
    where version <= strftime({{ as_of_date() }}, '%Y-%m')
),

forecast as (
    select
        forecast_lines.project_sys_id,
        forecast_lines.month_start_date,
        forecast_lines.expense_type,
        cast(null as decimal(38, 16)),
        cast(null as decimal(38, 16)),
        forecast_lines.amount
    from forecast_lines
    inner join latest_version
        on forecast_lines.version = latest_version.version
),

amounts as (
    select * from planned
    union all
    select * from actual
    union all
    select * from forecast
),

final as (
    select
        project_sys_id,
        month_start_date,
        expense_type,
        coalesce(sum(planned_amount), 0) as planned_amount,
        coalesce(sum(actual_amount), 0) as actual_amount,
        coalesce(sum(forecast_amount), 0) as forecast_amount,
        count(actual_amount) as gl_line_count
    from amounts
    group by 1, 2, 3
)

select * from final
