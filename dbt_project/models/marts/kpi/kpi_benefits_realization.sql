with

projects as (
    select * from {{ ref('dim_project') }}
),

monthly_benefits as (
    select * from {{ ref('int_project_monthly_benefits') }}
),

current_projects as (
    select * from projects
    where is_current and project_sys_id is not null
),

-- each project's range: first to last month with a non-zero monetary planned or (up to the
-- as-of month) actual benefit
project_ranges as (
    select
        project_sys_id,
        min(month_start_date) as first_month,
        max(month_start_date) as last_month
    from monthly_benefits
    where project_sys_id is not null
        and (planned_benefit_amount <> 0 or actual_benefit_amount <> 0)
    group by 1
),

grid as (
    select
        project_ranges.project_sys_id,
        cast(months.month_start_date as date) as month_start_date
    from project_ranges
    cross join lateral (
        select
            unnest(generate_series(project_ranges.first_month, project_ranges.last_month, interval 1 month))
                as month_start_date
    ) as months
),

cumulated as (
    select
        grid.project_sys_id,
        grid.month_start_date,
        coalesce(monthly_benefits.planned_benefit_amount, 0) as planned_benefit_amount,
        coalesce(monthly_benefits.actual_benefit_amount, 0) as actual_benefit_amount,
        grid.month_start_date <= date_trunc('month', {{ as_of_date() }}) as is_to_date,
        sum(coalesce(monthly_benefits.planned_benefit_amount, 0)) over project_to_date as cumulative_planned_amount,
        sum(coalesce(monthly_benefits.actual_benefit_amount, 0)) over project_to_date as cumulative_actual_amount
    from grid
    left join monthly_benefits
        on grid.project_sys_id = monthly_benefits.project_sys_id
        and grid.month_start_date = monthly_benefits.month_start_date
    window project_to_date as (
        partition by grid.project_sys_id
        order by grid.month_start_date
        rows between unbounded preceding and current row
    )
),

final as (
    select
        cast(current_projects.project_key as varchar) as project_key,
        cast(current_projects.project_id as varchar) as project_id,
        cast(cumulated.month_start_date as date) as month_start_date,
        cast(cumulated.planned_benefit_amount as decimal(38, 6)) as planned_benefit_amount,
        cast(case when cumulated.is_to_date then cumulated.actual_benefit_amount end as decimal(38, 6))
            as actual_benefit_amount,
        cast(cumulated.cumulative_planned_amount as decimal(38, 6)) as cumulative_planned_amount,
        cast(case when cumulated.is_to_date then cumulated.cumulative_actual_amount end as decimal(38, 6))
            as cumulative_actual_amount,
        cast(case
            when cumulated.is_to_date
                then {{ ratio('cumulated.cumulative_actual_amount', 'cumulated.cumulative_planned_amount') }}
        end as double) as benefit_realization_ratio,
        -- the plan curve stays whole; the flag lets a report show or hide the month in progress
        cast({{ is_as_of_month('cumulated.month_start_date') }} as boolean) as is_partial_month
    from cumulated
    inner join current_projects
        on cumulated.project_sys_id = current_projects.project_sys_id
)

select * from final
