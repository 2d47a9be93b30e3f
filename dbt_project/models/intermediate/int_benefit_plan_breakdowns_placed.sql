with

breakdowns as (
    select * from {{ ref('stg_servicenow__benefit_plan_breakdown') }}
),

benefit_plans as (
    select * from {{ ref('stg_servicenow__benefit_plan') }}
),

task_projects as (
    select * from {{ ref('int_task_projects') }}
),

fiscal_months as (
    select * from {{ ref('int_fiscal_months') }}
),

final as (
    select
        breakdowns.benefit_plan_breakdown_sys_id,
        breakdowns.benefit_plan_sys_id,
        -- the breakdown's own task names the project, its plan's task is the fallback; a task
        -- that is a project task counts for its top_task project
        coalesce(task_projects.project_sys_id, breakdowns.project_sys_id, benefit_plans.project_sys_id) as project_sys_id,
        fiscal_months.month_start_date,
        fiscal_months.fiscal_year,
        benefit_plans.benefit_type,
        breakdowns.planned_benefit,
        breakdowns.actual_benefit
    from breakdowns
    -- month periods only: a breakdown on a quarter or year period would double count
    -- (docs/kpis.md "Months")
    inner join fiscal_months
        on breakdowns.fiscal_period_sys_id = fiscal_months.fiscal_period_sys_id
    -- a breakdown whose plan did not land is kept with a NULL benefit_type: it is neither
    -- monetary nor non-monetary, so no benefit figure counts it
    left join benefit_plans
        on breakdowns.benefit_plan_sys_id = benefit_plans.benefit_plan_sys_id
    left join task_projects
        on coalesce(breakdowns.project_sys_id, benefit_plans.project_sys_id) = task_projects.task_sys_id
)

select * from final
