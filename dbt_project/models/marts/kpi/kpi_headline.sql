with

summary as (
    select * from {{ ref('kpi_portfolio_summary') }}
),

capacity as (
    select * from {{ ref('kpi_capacity_utilization') }}
),

as_of_month as (
    select
        cast(date_trunc('month', {{ as_of_date() }}) as date) as month_start_date,
        -- the twelve months that end with the as-of month
        cast(date_trunc('month', {{ as_of_date() }}) - interval 11 month as date) as window_start_date
),

-- each portfolio's row of the as-of month: to date through the as-of day
latest as (
    select summary.*
    from summary
    inner join as_of_month
        on summary.month_start_date = as_of_month.month_start_date
),

on_time_window as (
    select
        summary.portfolio_key,
        sum(summary.projects_closed_count) as projects_closed_count,
        sum(summary.projects_closed_on_time_count) as projects_closed_on_time_count
    from summary
    cross join as_of_month
    where summary.month_start_date between as_of_month.window_start_date and as_of_month.month_start_date
    group by 1
),

portfolio_rows as (
    select
        false as is_total,
        latest.portfolio_key,
        latest.portfolio_name,
        latest.active_project_count,
        coalesce(on_time_window.projects_closed_count, 0) as projects_closed_count,
        coalesce(on_time_window.projects_closed_on_time_count, 0) as projects_closed_on_time_count,
        latest.planned_cost_to_date_amount,
        latest.actual_cost_to_date_amount,
        latest.planned_benefit_to_date_amount,
        latest.actual_benefit_to_date_amount,
        latest.risk_exposure_amount,
        latest.red_project_count,
        latest.amber_project_count,
        latest.green_project_count,
        -- capacity belongs to people, not portfolios: only the total row has it
        cast(null as double) as capacity_hours,
        cast(null as double) as people_actual_hours
    from latest
    left join on_time_window
        on latest.portfolio_key = on_time_window.portfolio_key
),

people as (
    select
        sum(capacity.capacity_hours) as capacity_hours,
        sum(capacity.actual_hours) as actual_hours
    from capacity
    inner join as_of_month
        on capacity.month_start_date = as_of_month.month_start_date
),

total_row as (
    select
        true,
        cast(null as varchar),
        'All portfolios',
        sum(portfolio_rows.active_project_count),
        sum(portfolio_rows.projects_closed_count),
        sum(portfolio_rows.projects_closed_on_time_count),
        sum(portfolio_rows.planned_cost_to_date_amount),
        sum(portfolio_rows.actual_cost_to_date_amount),
        sum(portfolio_rows.planned_benefit_to_date_amount),
        sum(portfolio_rows.actual_benefit_to_date_amount),
        sum(portfolio_rows.risk_exposure_amount),
        sum(portfolio_rows.red_project_count),
        sum(portfolio_rows.amber_project_count),
        sum(portfolio_rows.green_project_count),
        any_value(people.capacity_hours),
        any_value(people.actual_hours)
    from portfolio_rows
    cross join people
),

headline as (
    select * from portfolio_rows
    union all
    select * from total_row
),

final as (
    select
        cast(headline.is_total as boolean) as is_total,
        cast(headline.portfolio_key as varchar) as portfolio_key,
        cast(headline.portfolio_name as varchar) as portfolio_name,
        cast(as_of_month.month_start_date as date) as month_start_date,
        cast({{ as_of_date() }} as date) as period_end_date,
        cast(true as boolean) as is_partial_month,
        cast(coalesce(headline.active_project_count, 0) as bigint) as active_project_count,
        cast(as_of_month.window_start_date as date) as on_time_window_start_date,
        cast(coalesce(headline.projects_closed_count, 0) as bigint) as projects_closed_count,
        cast(coalesce(headline.projects_closed_on_time_count, 0) as bigint) as projects_closed_on_time_count,
        cast({{ ratio('headline.projects_closed_on_time_count', 'headline.projects_closed_count') }} as double)
            as on_time_delivery_rate,
        cast(coalesce(headline.planned_cost_to_date_amount, 0) as decimal(38, 6)) as planned_cost_to_date_amount,
        cast(coalesce(headline.actual_cost_to_date_amount, 0) as decimal(38, 6)) as actual_cost_to_date_amount,
        cast(
            coalesce(headline.actual_cost_to_date_amount, 0) - coalesce(headline.planned_cost_to_date_amount, 0)
            as decimal(38, 6)
        ) as budget_variance_amount,
        cast({{ ratio('headline.actual_cost_to_date_amount - headline.planned_cost_to_date_amount',
                      'headline.planned_cost_to_date_amount') }} as double) as budget_variance_ratio,
        cast({{ ratio('headline.actual_benefit_to_date_amount', 'headline.planned_benefit_to_date_amount') }} as double)
            as benefit_realization_ratio,
        cast(coalesce(headline.risk_exposure_amount, 0) as decimal(38, 6)) as risk_exposure_amount,
        cast(coalesce(headline.red_project_count, 0) as bigint) as red_project_count,
        cast(coalesce(headline.amber_project_count, 0) as bigint) as amber_project_count,
        cast(coalesce(headline.green_project_count, 0) as bigint) as green_project_count,
        cast(headline.capacity_hours as double) as capacity_hours,
        cast(headline.people_actual_hours as double) as actual_hours,
        cast({{ ratio('headline.people_actual_hours', 'headline.capacity_hours') }} as double) as capacity_utilization,
        cast({{ as_of_date() }} as date) as as_of_date
    from headline
    cross join as_of_month
)

select * from final
