with

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

projects as (
    select * from {{ ref('dim_project') }}
),

monthly_costs as (
    select * from {{ ref('int_project_monthly_costs') }}
),

monthly_benefits as (
    select * from {{ ref('int_project_monthly_benefits') }}
),

monthly_hours as (
    select * from {{ ref('int_resource_monthly_hours') }}
),

risks as (
    select * from {{ ref('fct_risk') }}
),

status_reports as (
    select * from {{ ref('fct_project_status') }}
),

-- a project belongs to the portfolio it is in now (fields without history are taken as they are)
current_projects as (
    select *
    from projects
    where is_current and project_sys_id is not null
),

project_costs as (
    select
        current_projects.portfolio_key,
        monthly_costs.month_start_date,
        sum(monthly_costs.planned_amount) as planned_cost,
        -- the plan that counts to date: the as-of month's only through the as-of day
        {{ to_date_amount('sum(monthly_costs.planned_amount)', 'monthly_costs.month_start_date') }}
            as planned_cost_to_date_amount,
        sum(monthly_costs.actual_amount) as actual_cost
    from monthly_costs
    inner join current_projects
        on monthly_costs.project_sys_id = current_projects.project_sys_id
    group by 1, 2
),

project_benefits as (
    select
        current_projects.portfolio_key,
        monthly_benefits.month_start_date,
        sum(monthly_benefits.planned_benefit_amount) as planned_benefit,
        {{ to_date_amount('sum(monthly_benefits.planned_benefit_amount)', 'monthly_benefits.month_start_date') }}
            as planned_benefit_to_date_amount,
        sum(monthly_benefits.actual_benefit_amount) as actual_benefit
    from monthly_benefits
    inner join current_projects
        on monthly_benefits.project_sys_id = current_projects.project_sys_id
    group by 1, 2
),

project_hours as (
    select
        current_projects.portfolio_key,
        monthly_hours.month_start_date,
        sum(monthly_hours.actual_hours) as actual_hours,
        -- the as-of month's allocation through the as-of date, like its actual hours
        sum(monthly_hours.allocated_hours_to_date) as allocated_hours
    from monthly_hours
    inner join current_projects
        on monthly_hours.project_sys_id = current_projects.project_sys_id
    group by 1, 2
),

-- the first month with a non-zero GL actual, planned cost, monetary benefit or counted hour on
-- any of the portfolio's projects (docs/kpis.md "Row sets")
activity_months as (
    select portfolio_key, month_start_date from project_costs where planned_cost <> 0 or actual_cost <> 0
    union all
    select portfolio_key, month_start_date from project_benefits where planned_benefit <> 0 or actual_benefit <> 0
    union all
    select portfolio_key, month_start_date from project_hours where actual_hours <> 0
),

portfolio_months as (
    select
        first_months.portfolio_key,
        cast(months.month_start_date as date) as month_start_date,
        cast(last_day(months.month_start_date) as date) as month_end_date
    from (
        select portfolio_key, min(month_start_date) as first_month
        from activity_months
        -- real portfolios only: projects without one are not a portfolio's
        where portfolio_key <> {{ unknown_key() }}
        group by 1
    ) as first_months
    cross join lateral (
        select unnest(generate_series(
            first_months.first_month,
            cast(date_trunc('month', {{ as_of_date() }}) as date),
            interval 1 month
        )) as month_start_date
    ) as months
),

-- "to date" = from the beginning of the data through the row's month; the as-of month (the last
-- row) counts its plan only through the as-of date (docs/kpis.md "To date")
money_to_date as (
    select
        portfolio_months.portfolio_key,
        portfolio_months.month_start_date,
        coalesce(sum(project_costs.planned_cost_to_date_amount), 0) as planned_cost_to_date,
        coalesce(sum(project_costs.actual_cost), 0) as actual_cost_to_date
    from portfolio_months
    left join project_costs
        on portfolio_months.portfolio_key = project_costs.portfolio_key
        and project_costs.month_start_date <= portfolio_months.month_start_date
    group by 1, 2
),

benefits_to_date as (
    select
        portfolio_months.portfolio_key,
        portfolio_months.month_start_date,
        coalesce(sum(project_benefits.planned_benefit_to_date_amount), 0) as planned_benefit_to_date,
        coalesce(sum(project_benefits.actual_benefit), 0) as actual_benefit_to_date
    from portfolio_months
    left join project_benefits
        on portfolio_months.portfolio_key = project_benefits.portfolio_key
        and project_benefits.month_start_date <= portfolio_months.month_start_date
    group by 1, 2
),

-- active at month end: started on or before the month's last day and not ended by it; a
-- pending or never started project is not active
project_months as (
    select
        portfolio_months.portfolio_key,
        portfolio_months.month_start_date,
        portfolio_months.month_end_date,
        current_projects.project_sys_id,
        current_projects.state <> 'pending'
        and current_projects.actual_start_date <= portfolio_months.month_end_date
        and (
            current_projects.actual_end_date is null
            or current_projects.actual_end_date > portfolio_months.month_end_date
        )
            as is_active,
        current_projects.state = 'closed complete'
        and current_projects.actual_end_date
        between portfolio_months.month_start_date and portfolio_months.month_end_date
            as is_closed_in_month,
        current_projects.is_on_time
    from portfolio_months
    inner join current_projects
        on portfolio_months.portfolio_key = current_projects.portfolio_key
),

-- status reports carry the version of their date; the project is the durable sys_id
report_projects as (
    select status_reports.*, projects.project_sys_id
    from status_reports
    inner join projects
        on status_reports.project_key = projects.project_key
),

-- the latest status report on or before the month's end (and never after the as-of date)
report_health as (
    select
        project_months.portfolio_key,
        project_months.month_start_date,
        project_months.project_sys_id,
        reports.overall_health,
        row_number() over (
            partition by project_months.portfolio_key, project_months.month_start_date, project_months.project_sys_id
            -- ties on the date go to the report created last, then the higher sys_id
            order by reports.status_date desc, reports.created_at desc nulls last, reports.project_status_sys_id desc
        ) as report_rank
    from project_months
    inner join report_projects as reports
        on project_months.project_sys_id = reports.project_sys_id
        and reports.status_date <= least(project_months.month_end_date, {{ as_of_date() }})
    where project_months.is_active
),

delivery as (
    select
        project_months.portfolio_key,
        project_months.month_start_date,
        count(*) filter (where project_months.is_active) as active_project_count,
        count(*) filter (where project_months.is_closed_in_month) as projects_closed_count,
        count(*) filter (where project_months.is_closed_in_month and project_months.is_on_time)
            as projects_closed_on_time_count,
        count(*) filter (where report_health.overall_health = 'red') as red_project_count,
        count(*) filter (where report_health.overall_health = 'amber') as amber_project_count,
        count(*) filter (where report_health.overall_health = 'green') as green_project_count
    from project_months
    left join report_health
        on project_months.portfolio_key = report_health.portfolio_key
        and project_months.month_start_date = report_health.month_start_date
        and project_months.project_sys_id = report_health.project_sys_id
        and report_health.report_rank = 1
    group by 1, 2
),

exposure as (
    -- risks have no history: the current open risks' exposure, on every month
    select portfolio_key, sum(exposure_amount) as risk_exposure
    from risks
    where is_open
    group by 1
),

final as (
    select
        cast(portfolio_months.portfolio_key as varchar) as portfolio_key,
        cast(portfolios.portfolio_name as varchar) as portfolio_name,
        cast(portfolio_months.month_start_date as date) as month_start_date,
        cast(coalesce(delivery.active_project_count, 0) as bigint) as active_project_count,
        cast(coalesce(delivery.projects_closed_count, 0) as bigint) as projects_closed_count,
        cast(coalesce(delivery.projects_closed_on_time_count, 0) as bigint) as projects_closed_on_time_count,
        cast({{ ratio('delivery.projects_closed_on_time_count', 'delivery.projects_closed_count') }} as double)
            as on_time_delivery_rate,
        cast(money_to_date.planned_cost_to_date as decimal(38, 6)) as planned_cost_to_date_amount,
        cast(money_to_date.actual_cost_to_date as decimal(38, 6)) as actual_cost_to_date_amount,
        cast(money_to_date.actual_cost_to_date - money_to_date.planned_cost_to_date as decimal(38, 6))
            as budget_variance_amount,
        cast({{ ratio('money_to_date.actual_cost_to_date - money_to_date.planned_cost_to_date',
                      'money_to_date.planned_cost_to_date') }} as double) as budget_variance_ratio,
        cast(benefits_to_date.planned_benefit_to_date as decimal(38, 6)) as planned_benefit_to_date_amount,
        cast(benefits_to_date.actual_benefit_to_date as decimal(38, 6)) as actual_benefit_to_date_amount,
        cast({{ ratio('benefits_to_date.actual_benefit_to_date',
                      'benefits_to_date.planned_benefit_to_date') }} as double) as benefit_realization_ratio,
        cast(coalesce(project_hours.allocated_hours, 0) as double) as allocated_hours,
        cast(coalesce(project_hours.actual_hours, 0) as double) as actual_hours,
        cast({{ ratio('project_hours.actual_hours', 'project_hours.allocated_hours') }} as double)
            as hours_vs_allocation_ratio,
        cast(coalesce(exposure.risk_exposure, 0) as decimal(38, 6)) as risk_exposure_amount,
        cast(coalesce(delivery.red_project_count, 0) as bigint) as red_project_count,
        cast(coalesce(delivery.amber_project_count, 0) as bigint) as amber_project_count,
        cast(coalesce(delivery.green_project_count, 0) as bigint) as green_project_count,
        cast({{ is_as_of_month('portfolio_months.month_start_date') }} as boolean) as is_partial_month,
        cast({{ as_of_date() }} as date) as as_of_date
    from portfolio_months
    inner join portfolios
        on portfolio_months.portfolio_key = portfolios.portfolio_key
    left join money_to_date
        on portfolio_months.portfolio_key = money_to_date.portfolio_key
        and portfolio_months.month_start_date = money_to_date.month_start_date
    left join benefits_to_date
        on portfolio_months.portfolio_key = benefits_to_date.portfolio_key
        and portfolio_months.month_start_date = benefits_to_date.month_start_date
    left join project_hours
        on portfolio_months.portfolio_key = project_hours.portfolio_key
        and portfolio_months.month_start_date = project_hours.month_start_date
    left join delivery
        on portfolio_months.portfolio_key = delivery.portfolio_key
        and portfolio_months.month_start_date = delivery.month_start_date
    left join exposure
        on portfolio_months.portfolio_key = exposure.portfolio_key
)

select * from final
