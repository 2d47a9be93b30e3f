{#- Time sheet compliance per department × month: kpi_timesheet_compliance rolled up. -#}
with

person_weeks as (
    select * from {{ ref('kpi_timesheet_compliance') }}
),

-- a week belongs to the month of its Monday: a sheet is one unit and is not split
rolled_up as (
    select
        department,
        cast(date_trunc('month', week_start_date) as date) as month_start_date,
        count(*) filter (where is_expected) as expected_count,
        count(*) filter (where is_expected and is_due) as due_count,
        count(*) filter (where is_expected and is_due and is_on_time) as submitted_on_time_count,
        count(*) filter (where is_expected and is_late) as submitted_late_count,
        count(*) filter (where is_missing) as missing_count,
        count(*) filter (where is_expected and is_rejected) as rejected_count,
        count(*) filter (where is_expected and is_recalled) as recalled_count,
        sum(hours_logged) as hours_logged,
        sum(capacity_hours) as capacity_hours
    from person_weeks
    group by 1, 2
),

final as (
    select
        cast(department as varchar) as department,
        cast(month_start_date as date) as month_start_date,
        cast(expected_count as bigint) as expected_count,
        cast(due_count as bigint) as due_count,
        cast(submitted_on_time_count as bigint) as submitted_on_time_count,
        cast(submitted_late_count as bigint) as submitted_late_count,
        cast(missing_count as bigint) as missing_count,
        cast(rejected_count as bigint) as rejected_count,
        cast(recalled_count as bigint) as recalled_count,
        cast({{ ratio('submitted_on_time_count', 'due_count') }} as double) as on_time_ratio,
        cast({{ ratio('missing_count', 'due_count') }} as double) as missing_ratio,
        cast(coalesce(hours_logged, 0) as double) as hours_logged,
        cast(coalesce(capacity_hours, 0) as double) as capacity_hours,
        cast({{ ratio('hours_logged', 'capacity_hours') }} as double) as hours_vs_capacity_ratio,
        cast({{ is_as_of_month('month_start_date') }} as boolean) as is_partial_month,
        cast({{ as_of_date() }} as date) as as_of_date
    from rolled_up
)

select * from final
