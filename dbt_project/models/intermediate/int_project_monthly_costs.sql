with

breakdowns as (
    select * from {{ ref('stg_servicenow__cost_plan_breakdown') }}
),

cost_plans as (
    select * from {{ ref('stg_servicenow__cost_plan') }}
),

task_projects as (
    select * from {{ ref('int_task_projects') }}
),

fiscal_months as (
    select * from {{ ref('int_fiscal_months') }}
),

gl_lines as (
    select * from {{ ref('int_gl_lines_converted') }}
),

forecast_lines as (
    select * from {{ ref('int_forecast_lines_converted') }}
),

-- the approved budget: cost_plan_breakdown.cost on month periods (quarter and year periods are
-- ignored, KPIS.md "Months"); plans have no as-of cut
planned as (
    select
        -- the breakdown's own task names the project, its plan's task is the fallback; a task
        -- that is a project task counts for its top_task project
        coalesce(task_projects.project_sys_id, breakdowns.project_sys_id, cost_plans.project_sys_id) as project_sys_id,
        fiscal_months.month_start_date,
        cost_plans.expense_type,
        breakdowns.planned_cost as planned_amount,
        cast(null as decimal(38, 16)) as actual_amount,
        cast(null as decimal(38, 16)) as forecast_amount
    from breakdowns
    inner join fiscal_months
        on breakdowns.fiscal_period_sys_id = fiscal_months.fiscal_period_sys_id
    left join cost_plans
        on breakdowns.cost_plan_sys_id = cost_plans.cost_plan_sys_id
    left join task_projects
        on coalesce(breakdowns.project_sys_id, cost_plans.project_sys_id) = task_projects.task_sys_id
),

-- actuals are the GL (the system of record), cut at the as-of month: lines of later fiscal
-- periods are ignored (KPIS.md "As of")
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
),

-- the latest forecast version is the greatest label not after the as-of month, across all
-- files (KPIS.md "budget variance")
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
