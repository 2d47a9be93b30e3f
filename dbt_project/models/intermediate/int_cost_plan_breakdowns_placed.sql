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

final as (
    select
        breakdowns.cost_plan_breakdown_sys_id,
        breakdowns.cost_plan_sys_id,
        -- the breakdown's own task names the project, its plan's task is the fallback; a task
        -- that is a project task counts for its top_task project
        coalesce(task_projects.project_sys_id, breakdowns.project_sys_id, cost_plans.project_sys_id) as project_sys_id,
        fiscal_months.month_start_date,
        fiscal_months.fiscal_year,
        cost_plans.expense_type,
        breakdowns.planned_cost,
        breakdowns.servicenow_actual_cost
    from breakdowns
    -- month periods only: a breakdown on a quarter or year period is not a month's budget
    -- (docs/kpis.md "Months")
    inner join fiscal_months
        on breakdowns.fiscal_period_sys_id = fiscal_months.fiscal_period_sys_id
    left join cost_plans
        on breakdowns.cost_plan_sys_id = cost_plans.cost_plan_sys_id
    left join task_projects
        on coalesce(breakdowns.project_sys_id, cost_plans.project_sys_id) = task_projects.task_sys_id
)

select * from final
