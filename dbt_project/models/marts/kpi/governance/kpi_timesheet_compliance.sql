{#- Time sheet compliance per person × week (docs/kpis.md "Timesheet compliance"). -#}
with

-- a person on two ServiceNow instances owes one sheet a week, not one on each: the instance whose
-- sheet was submitted first (else the earliest instance) stands for the week
-- (int_servicenow_people). Within one instance nothing is chosen: two sheets of one person and
-- week there stay two rows, which this mart's uniqueness test stops.
sheets as (
    select * from {{ ref('int_time_sheet_submissions') }}
    qualify
        source_instance = first_value(source_instance) over (
            partition by user_sys_id, week_start_date order by submitted_at nulls last, source_instance
        )
),

resources as (
    select * from {{ ref('dim_resource') }}
    where source_system = 'servicenow'
),

users as (
    select * from {{ ref('int_servicenow_people') }}
    where is_person
),

card_days as (
    select * from {{ ref('int_time_cards_unpivoted') }}
),

as_of_week as (
    select cast(date_trunc('week', {{ as_of_date() }}) as date) as week_start_date
),

-- the weeks shown: from the first week any sheet covers through the as-of week
first_week as (
    select min(sheets.week_start_date) as week_start_date
    from sheets
    cross join as_of_week
    where sheets.week_start_date <= as_of_week.week_start_date
),

weeks as (
    select cast(weeks.week_start as date) as week_start_date
    from first_week
    cross join as_of_week
    cross join lateral (
        select
            unnest(generate_series(first_week.week_start_date, as_of_week.week_start_date, interval 7 day))
                as week_start
    ) as weeks
),

-- a sheet is expected from a person who is active and has capacity, from the week their user
-- record was created (ServiceNow keeps no history of `active`: it is read as it is now)
expected as (
    select users.user_sys_id, weeks.week_start_date
    from users
    cross join weeks
    where users.is_active
        and users.weekly_capacity_hours > 0
        and weeks.week_start_date >= cast(date_trunc('week', users.created_at) as date)
),

sheet_weeks as (
    select sheets.user_sys_id, sheets.week_start_date
    from sheets
    inner join weeks
        on sheets.week_start_date = weeks.week_start_date
    where sheets.user_sys_id is not null
),

person_weeks as (
    select user_sys_id, week_start_date from expected
    union
    select user_sys_id, week_start_date from sheet_weeks
),

-- what the person entered on their time cards (any state), by day, through the as-of date
logged as (
    select
        user_sys_id,
        cast(date_trunc('week', work_date) as date) as week_start_date,
        sum(hours) as hours_logged
    from card_days
    where work_date <= {{ as_of_date() }}
    group by 1, 2
),

rows_with_facts as (
    select
        person_weeks.user_sys_id,
        person_weeks.week_start_date,
        expected.user_sys_id is not null as is_expected,
        sheets.time_sheet_sys_id,
        sheets.state as time_sheet_state,
        -- a submission after the as-of date has not happened yet
        case
            when sheets.submitted_at < cast({{ as_of_date() }} + interval 1 day as timestamp) then sheets.submitted_at
        end
            as submitted_at,
        cast(person_weeks.week_start_date + to_days(7 + {{ var('timesheet_grace_days') }}) as timestamp) as deadline_at,
        coalesce(logged.hours_logged, 0) as hours_logged,
        -- the Mon-Fri days of the week that count: all five, in the as-of week those through as_of
        cast(users.weekly_capacity_hours as double) / 5 * (
            case
                when person_weeks.week_start_date < (select week_start_date from as_of_week) then 5
                else least(isodow({{ as_of_date() }}), 5)
            end
        ) as capacity_hours
    from person_weeks
    left join expected
        on person_weeks.user_sys_id = expected.user_sys_id
        and person_weeks.week_start_date = expected.week_start_date
    left join sheets
        on person_weeks.user_sys_id = sheets.user_sys_id
        and person_weeks.week_start_date = sheets.week_start_date
    left join logged
        on person_weeks.user_sys_id = logged.user_sys_id
        and person_weeks.week_start_date = logged.week_start_date
    left join users
        on person_weeks.user_sys_id = users.user_sys_id
),

judged as (
    select
        *,
        submitted_at is not null as is_submitted,
        deadline_at < cast({{ as_of_date() }} + interval 1 day as timestamp) as is_due
    from rows_with_facts
),

final as (
    select
        cast(coalesce(resources.resource_key, {{ unknown_key() }}) as varchar) as resource_key,
        cast(resources.resource_id as varchar) as resource_id,
        cast(resources.resource_name as varchar) as resource_name,
        cast(coalesce(resources.department, 'Unknown') as varchar) as department,
        cast(judged.week_start_date as date) as week_start_date,
        cast(judged.deadline_at as timestamp) as deadline_at,
        cast(judged.time_sheet_state as varchar) as time_sheet_state,
        cast(judged.submitted_at as timestamp) as submitted_at,
        cast(judged.is_expected as boolean) as is_expected,
        cast(judged.time_sheet_sys_id is not null as boolean) as has_time_sheet,
        cast(judged.is_due as boolean) as is_due,
        cast(judged.is_submitted as boolean) as is_submitted,
        cast(judged.is_submitted and judged.submitted_at <= judged.deadline_at as boolean) as is_on_time,
        cast(judged.is_submitted and judged.submitted_at > judged.deadline_at as boolean) as is_late,
        cast(judged.is_expected and not judged.is_submitted and judged.is_due as boolean) as is_missing,
        cast(judged.is_submitted and judged.time_sheet_state = 'rejected' as boolean) as is_rejected,
        cast(coalesce(judged.time_sheet_state = 'recalled', false) as boolean) as is_recalled,
        cast(judged.hours_logged as double) as hours_logged,
        cast(judged.capacity_hours as double) as capacity_hours,
        cast({{ ratio('judged.hours_logged', 'judged.capacity_hours') }} as double) as hours_vs_capacity_ratio,
        cast(judged.week_start_date = (select week_start_date from as_of_week) as boolean) as is_partial_week,
        cast({{ as_of_date() }} as date) as as_of_date
    from judged
    left join resources
        on judged.user_sys_id = resources.user_sys_id
)

select * from final
