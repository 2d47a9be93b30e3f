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

monthly as (
    select
        -- the breakdown's own task names the project, its plan's task is the fallback; a task
        -- that is a project task counts for its top_task project
        coalesce(task_projects.project_sys_id, breakdowns.project_sys_id, cost_plans.project_sys_id) as project_sys_id,
        fiscal_months.month_start_date,
        fiscal_months.fiscal_year,
        cost_plans.expense_type,
        sum(breakdowns.planned_cost) as planned_cost_amount,
        sum(breakdowns.servicenow_actual_cost) as servicenow_actual_amount,
        count(*) as breakdown_count
    from breakdowns
    -- month periods only: a breakdown on a quarter or year period is not a month's budget
    inner join fiscal_months
        on breakdowns.fiscal_period_sys_id = fiscal_months.fiscal_period_sys_id
    left join cost_plans
        on breakdowns.cost_plan_sys_id = cost_plans.cost_plan_sys_id
    left join task_projects
        on coalesce(breakdowns.project_sys_id, cost_plans.project_sys_id) = task_projects.task_sys_id
    group by 1, 2, 3, 4
),

final as (
    select
        {{ surrogate_key(["'cost_plan'", 'monthly.project_sys_id', 'monthly.month_start_date', 'monthly.expense_type']) }} as cost_plan_key,
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        monthly.month_start_date,
        monthly.fiscal_year,
        project_versions.project_number as project_id,
        monthly.expense_type,
        monthly.planned_cost_amount,
        monthly.servicenow_actual_amount,
        monthly.breakdown_count
    from monthly
    {{ project_version_join('project_versions', 'monthly.project_sys_id', 'monthly.month_start_date') }}
)

select * from final
