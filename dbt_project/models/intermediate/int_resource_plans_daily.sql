with

plans as (
    select * from {{ ref('stg_servicenow__resource_plan') }}
),

plan_states as (
    select * from {{ ref('resource_plan_states') }}
),

task_projects as (
    select * from {{ ref('int_task_projects') }}
),

people as (
    select * from {{ ref('int_servicenow_people') }}
),

plan_days as (
    select
        plans.resource_plan_sys_id,
        cast(days.day as date) as plan_date
    from plans
    cross join
        lateral (
            select unnest(generate_series(plans.start_date, plans.end_date, interval 1 day)) as day
        ) as days
    where plans.start_date is not null
        and plans.end_date is not null
),

-- planned hours spread evenly over the Mon-Fri days between the dates, inclusive (docs/kpis.md
-- "Hours"); no holiday calendar
working_days as (
    select *
    from plan_days
    where isodow(plan_date) between 1 and 5
),

working_day_counts as (
    select resource_plan_sys_id, count(*) as working_day_count
    from working_days
    group by 1
),

spread as (
    select
        plans.resource_plan_sys_id,
        plans.source_instance,
        -- a plan with no weekday in its range keeps all its hours on its start date rather
        -- than losing them
        coalesce(working_days.plan_date, plans.start_date) as plan_date,
        plans.user_sys_id,
        plans.task_sys_id,
        plans.state,
        cast(plans.planned_hours as double) / coalesce(working_day_counts.working_day_count, 1) as planned_hours
    from plans
    left join working_day_counts
        on plans.resource_plan_sys_id = working_day_counts.resource_plan_sys_id
    left join working_days
        on plans.resource_plan_sys_id = working_days.resource_plan_sys_id
),

final as (
    select
        spread.resource_plan_sys_id,
        spread.source_instance,
        spread.plan_date,
        -- the person, as for time cards (int_servicenow_people)
        coalesce(people.person_user_sys_id, spread.user_sys_id) as user_sys_id,
        spread.task_sys_id,
        task_projects.project_sys_id,
        spread.state,
        coalesce(plan_states.is_counted, false) as is_counted,
        spread.planned_hours
    from spread
    left join plan_states
        on spread.state = plan_states.state
    left join task_projects
        on spread.task_sys_id = task_projects.task_sys_id
    left join people
        on spread.user_sys_id = people.user_sys_id
)

select * from final
