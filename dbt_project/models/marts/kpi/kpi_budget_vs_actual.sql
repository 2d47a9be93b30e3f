with

projects as (
    select * from {{ ref('dim_project') }}
),

monthly_costs as (
    select * from {{ ref('int_project_monthly_costs') }}
),

current_projects as (
    select * from projects
    where is_current and project_sys_id is not null
),

-- each project's range: its first to its last month with a non-zero planned, forecast (latest
-- version) or actual (up to the as-of month) amount of either expense type
project_ranges as (
    select
        project_sys_id,
        min(month_start_date) as first_month,
        max(month_start_date) as last_month
    from monthly_costs
    where project_sys_id is not null
        and (planned_amount <> 0 or forecast_amount <> 0 or actual_amount <> 0)
    group by 1
),

grid as (
    select
        project_ranges.project_sys_id,
        cast(months.month_start_date as date) as month_start_date,
        expense_types.expense_type
    from project_ranges
    cross join
        lateral (
            select
                unnest(generate_series(project_ranges.first_month, project_ranges.last_month, interval 1 month))
                    as month_start_date
        ) as months
    cross join (
        select 'capex' as expense_type
        union all
        select 'opex'
    ) as expense_types
),

amounts as (
    select
        grid.project_sys_id,
        grid.month_start_date,
        grid.expense_type,
        coalesce(monthly_costs.planned_amount, 0) as planned_amount,
        coalesce(monthly_costs.forecast_amount, 0) as forecast_amount,
        coalesce(monthly_costs.actual_amount, 0) as actual_amount,
        grid.month_start_date <= date_trunc('month', {{ as_of_date() }}) as is_to_date
    from grid
    left join monthly_costs
        on grid.project_sys_id = monthly_costs.project_sys_id
        and grid.month_start_date = monthly_costs.month_start_date
        and grid.expense_type = monthly_costs.expense_type
),

cumulated as (
    select
        *,
        sum(planned_amount) over project_type_to_date as cumulative_planned_amount,
        sum(actual_amount) over project_type_to_date as cumulative_actual_amount
    from amounts
    window project_type_to_date as (
        partition by project_sys_id, expense_type
        order by month_start_date
        rows between unbounded preceding and current row
    )
),

final as (
    select
        cast(current_projects.project_key as varchar) as project_key,
        cast(current_projects.project_id as varchar) as project_id,
        cast(cumulated.month_start_date as date) as month_start_date,
        cast(cumulated.expense_type as varchar) as expense_type,
        cast(cumulated.planned_amount as decimal(38, 6)) as planned_amount,
        cast(cumulated.forecast_amount as decimal(38, 6)) as forecast_amount,
        -- after the as-of month there are no actuals yet: NULL, not 0
        cast(case when cumulated.is_to_date then cumulated.actual_amount end as decimal(38, 6)) as actual_amount,
        cast(cumulated.cumulative_planned_amount as decimal(38, 6)) as cumulative_planned_amount,
        cast(case when cumulated.is_to_date then cumulated.cumulative_actual_amount end as decimal(38, 6))
            as cumulative_actual_amount,
        cast(
            case when cumulated.is_to_date then cumulated.actual_amount - cumulated.planned_amount end as decimal(38, 6)
        ) as variance_amount,
        -- the plan curve stays whole; the flag lets a report show or hide the month in progress
        cast({{ is_as_of_month('cumulated.month_start_date') }} as boolean) as is_partial_month
    from cumulated
    inner join current_projects
        on cumulated.project_sys_id = current_projects.project_sys_id
)

select * from final
