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

-- only monetary plans are money (KPIS.md "benefit realization ratio"): non-monetary benefits
-- are reported in fct_benefit, never summed here
monetary as (
    select
        -- the breakdown's own task names the project, its plan's task is the fallback; a task
        -- that is a project task counts for its top_task project
        coalesce(task_projects.project_sys_id, breakdowns.project_sys_id, benefit_plans.project_sys_id) as project_sys_id,
        fiscal_months.month_start_date,
        breakdowns.planned_benefit,
        -- realised benefit is known up to the as-of month only
        case
            when fiscal_months.month_start_date <= date_trunc('month', {{ as_of_date() }})
                then breakdowns.actual_benefit
        end as actual_benefit
    from breakdowns
    inner join fiscal_months
        on breakdowns.fiscal_period_sys_id = fiscal_months.fiscal_period_sys_id
    inner join benefit_plans
        on breakdowns.benefit_plan_sys_id = benefit_plans.benefit_plan_sys_id
    left join task_projects
        on coalesce(breakdowns.project_sys_id, benefit_plans.project_sys_id) = task_projects.task_sys_id
    where benefit_plans.benefit_type = 'monetary'
),

final as (
    select
        project_sys_id,
        month_start_date,
        coalesce(sum(planned_benefit), 0) as planned_benefit_amount,
        coalesce(sum(actual_benefit), 0) as actual_benefit_amount
    from monetary
    group by 1, 2
)

select * from final
