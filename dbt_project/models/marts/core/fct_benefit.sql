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

monthly as (
    select
        -- the breakdown's own task names the project, its plan's task is the fallback; a task
        -- that is a project task counts for its top_task project
        coalesce(task_projects.project_sys_id, breakdowns.project_sys_id, benefit_plans.project_sys_id) as project_sys_id,
        fiscal_months.month_start_date,
        fiscal_months.fiscal_year,
        -- money only from monetary plans; non-monetary benefits are reported beside, never summed in
        sum(case when benefit_plans.benefit_type = 'monetary' then breakdowns.planned_benefit end) as planned_benefit_amount,
        sum(case when benefit_plans.benefit_type = 'monetary' then breakdowns.actual_benefit end) as actual_benefit_amount,
        sum(case when benefit_plans.benefit_type <> 'monetary' then breakdowns.planned_benefit end) as planned_non_monetary_benefit,
        sum(case when benefit_plans.benefit_type <> 'monetary' then breakdowns.actual_benefit end) as actual_non_monetary_benefit
    from breakdowns
    inner join fiscal_months
        on breakdowns.fiscal_period_sys_id = fiscal_months.fiscal_period_sys_id
    left join benefit_plans
        on breakdowns.benefit_plan_sys_id = benefit_plans.benefit_plan_sys_id
    left join task_projects
        on coalesce(breakdowns.project_sys_id, benefit_plans.project_sys_id) = task_projects.task_sys_id
    group by 1, 2, 3
),

final as (
    select
        {{ surrogate_key(["'benefit'", 'monthly.project_sys_id', 'monthly.month_start_date']) }} as benefit_key,
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        monthly.month_start_date,
        monthly.fiscal_year,
        project_versions.project_number as project_id,
        coalesce(monthly.planned_benefit_amount, 0) as planned_benefit_amount,
        coalesce(monthly.actual_benefit_amount, 0) as actual_benefit_amount,
        monthly.planned_non_monetary_benefit,
        monthly.actual_non_monetary_benefit
    from monthly
    {{ project_version_join('project_versions', 'monthly.project_sys_id', 'monthly.month_start_date') }}
)

select * from final
