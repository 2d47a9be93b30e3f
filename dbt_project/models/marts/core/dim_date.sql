with

time_card_days as (
    select min(work_date) as first_date, max(work_date) as last_date from {{ ref('int_time_cards_unpivoted') }}
),

plan_days as (
    select min(plan_date) as first_date, max(plan_date) as last_date from {{ ref('int_resource_plans_daily') }}
),

projects as (
    select
        least(min(cast(planned_start_at as date)), min(cast(work_start_at as date)), min(cast(created_at as date)))
            as first_date,
        greatest(max(cast(planned_end_at as date)), max(cast(work_end_at as date))) as last_date
    from {{ ref('stg_servicenow__pm_project') }}
),

money as (
    select min(month_start_date) as first_date, max(month_start_date) as last_date
    from {{ ref('int_project_monthly_costs') }}
),

issues as (
    select min(cast(created_at as date)) as first_date, max(cast(resolved_at as date)) as last_date
    from {{ ref('stg_jira__issues') }}
),

bounds_seen as (
    select first_date, last_date from time_card_days
    union all
    select first_date, last_date from plan_days
    union all
    select first_date, last_date from projects
    union all
    select first_date, last_date from money
    union all
    select first_date, last_date from issues
    union all
    select {{ as_of_date() }}, {{ as_of_date() }}
),

-- whole calendar years around everything dated, so any month or year filter is complete
bounds as (
    select
        make_date(year(min(first_date)), 1, 1) as first_date,
        make_date(year(max(last_date)), 12, 31) as last_date
    from bounds_seen
),

days as (
    select cast(unnest(generate_series(bounds.first_date, bounds.last_date, interval 1 day)) as date) as date_day
    from bounds
),

calendar as (
    select
        cast(strftime(date_day, '%Y%m%d') as integer) as date_key,
        date_day,
        year(date_day) as calendar_year,
        quarter(date_day) as calendar_quarter,
        month(date_day) as calendar_month,
        strftime(date_day, '%B') as month_name,
        cast(date_trunc('month', date_day) as date) as month_start_date,
        cast(last_day(date_day) as date) as month_end_date,
        isodow(date_day) as iso_day_of_week,
        strftime(date_day, '%A') as day_name,
        isodow(date_day) <= 5 as is_weekday,
        isoyear(date_day) as iso_year,
        week(date_day) as iso_week,
        cast(date_trunc('week', date_day) as date) as week_start_date,
        {{ fiscal_year_of('date_day') }} as fiscal_year,
        cast(((month(date_day) - {{ var('fiscal_year_start_month') }} + 12) % 12) + 1 as integer) as fiscal_period
    from days
),

unknown_member as (
    select
        -1, cast(null as date), null, null, null, 'Unknown', cast(null as date), cast(null as date),
        null, 'Unknown', null, null, null, cast(null as date), null, null
),

final as (
    select * from calendar
    union all
    select * from unknown_member
)

select * from final
