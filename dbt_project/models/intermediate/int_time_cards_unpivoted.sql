with

time_cards as (
    select * from {{ ref('stg_servicenow__time_card') }}
),

time_card_states as (
    select * from {{ ref('time_card_states') }}
),

task_projects as (
    select * from {{ ref('int_task_projects') }}
),

users as (
    select * from {{ ref('int_servicenow_people') }}
),

-- one row per card and weekday; the card's week starts on a Monday. Weekend days count too
-- (docs/kpis.md "Hours"), and a week spanning two months splits by day because every day is a row.
days as (
    select
        time_cards.time_card_sys_id,
        time_cards.source_instance,
        time_cards.user_sys_id,
        time_cards.task_sys_id,
        time_cards.state,
        time_cards.category,
        cast(time_cards.week_starts_on + weekdays.day_offset as date) as work_date,
        case weekdays.day_offset
            when 0 then time_cards.monday_hours
            when 1 then time_cards.tuesday_hours
            when 2 then time_cards.wednesday_hours
            when 3 then time_cards.thursday_hours
            when 4 then time_cards.friday_hours
            when 5 then time_cards.saturday_hours
            when 6 then time_cards.sunday_hours
        end as hours
    from time_cards
    cross join (select cast(range as integer) as day_offset from range(0, 7)) as weekdays
),

final as (
    select
        days.time_card_sys_id,
        days.source_instance,
        days.work_date,
        -- the person: a card booked under a further instance's record of someone an earlier instance
        -- knows counts for them (int_servicenow_people)
        coalesce(users.person_user_sys_id, days.user_sys_id) as user_sys_id,
        days.task_sys_id,
        task_projects.project_sys_id,
        days.state,
        coalesce(time_card_states.is_counted, false) as is_counted,
        days.category,
        days.hours,
        -- labour cost at the person's current hourly rate (u_hourly_cost_rate, reporting currency) on
        -- the instance the card is booked on
        days.hours * users.hourly_cost_rate as labour_cost
    from days
    left join time_card_states
        on days.state = time_card_states.state
    left join task_projects
        on days.task_sys_id = task_projects.task_sys_id
    left join users
        on days.user_sys_id = users.user_sys_id
    -- a day without hours is not a fact
    where days.hours is not null and days.hours <> 0
)

select * from final
