with

time_card_days as (
    select * from {{ ref('int_time_cards_unpivoted') }}
),

plan_days as (
    select * from {{ ref('int_resource_plans_daily') }}
),

-- hours count once approved or processed, up to the as-of date (docs/kpis.md "As of", "Hours")
actual as (
    select
        user_sys_id,
        project_sys_id,
        cast(date_trunc('month', work_date) as date) as month_start_date,
        cast(hours as double) as actual_hours,
        cast(0 as double) as allocated_hours,
        cast(0 as double) as allocated_hours_to_date
    from time_card_days
    where is_counted
        and work_date <= {{ as_of_date() }}
),

-- allocation is a plan, not a dated fact: allocated_hours is the whole month's; the as-of
-- month's allocation to date counts the plan's Mon-Fri days from the 1st through as_of
-- (docs/kpis.md "To date"), for comparison with capacity and hours to date
allocated as (
    select
        user_sys_id,
        project_sys_id,
        cast(date_trunc('month', plan_date) as date),
        cast(0 as double),
        planned_hours,
        case when plan_date <= {{ as_of_date() }} then planned_hours else 0 end
    from plan_days
    where is_counted
        and plan_date is not null
),

hours as (
    select * from actual
    union all
    select * from allocated
),

final as (
    select
        user_sys_id,
        project_sys_id,
        month_start_date,
        sum(actual_hours) as actual_hours,
        sum(allocated_hours) as allocated_hours,
        sum(allocated_hours_to_date) as allocated_hours_to_date
    from hours
    group by 1, 2, 3
)

select * from final
