with

resources as (
    select * from {{ ref('dim_resource') }}
),

monthly_hours as (
    select * from {{ ref('int_resource_monthly_hours') }}
),

-- the grid starts in the first month anyone has counted hours or allocation and runs through
-- the as-of month (docs/kpis.md "Row sets")
bounds as (
    select
        min(month_start_date) as first_month,
        cast(date_trunc('month', {{ as_of_date() }}) as date) as last_month
    from monthly_hours
    where actual_hours <> 0 or allocated_hours <> 0
),

months as (
    select
        cast(unnest(generate_series(bounds.first_month, bounds.last_month, interval 1 month)) as date)
            as month_start_date
    from bounds
    where bounds.first_month is not null
),

people as (
    -- every ServiceNow user; unmapped Jira accounts have no capacity
    select * from resources where source_system = 'servicenow'
),

hours as (
    select
        user_sys_id,
        month_start_date,
        sum(actual_hours) as actual_hours,
        sum(allocated_hours_to_date) as allocated_hours
    from monthly_hours
    group by 1, 2
),

grid as (
    select
        people.resource_key,
        people.resource_id,
        people.resource_name,
        people.department,
        months.month_start_date,
        -- weekly capacity / 5 × the Mon-Fri days of the month, through as_of in the as-of month
        -- (no holiday calendar); allocation in the as-of month likewise counts through as_of
        people.weekly_capacity_hours / 5.0 * {{ counted_weekdays('months.month_start_date') }} as capacity_hours,
        coalesce(hours.allocated_hours, 0) as allocated_hours,
        coalesce(hours.actual_hours, 0) as actual_hours
    from people
    cross join months
    left join hours
        on people.user_sys_id = hours.user_sys_id
        and months.month_start_date = hours.month_start_date
),

final as (
    select
        cast(resource_key as varchar) as resource_key,
        cast(resource_id as varchar) as resource_id,
        cast(resource_name as varchar) as resource_name,
        cast(department as varchar) as department,
        cast(month_start_date as date) as month_start_date,
        cast(capacity_hours as double) as capacity_hours,
        cast(allocated_hours as double) as allocated_hours,
        cast(actual_hours as double) as actual_hours,
        cast({{ ratio('actual_hours', 'capacity_hours') }} as double) as capacity_utilization,
        cast({{ ratio('allocated_hours', 'capacity_hours') }} as double) as allocation_ratio,
        cast({{ is_as_of_month('month_start_date') }} as boolean) as is_partial_month,
        cast({{ as_of_date() }} as date) as as_of_date
    from grid
)

select * from final
