with

sprints as (
    select * from {{ ref('stg_jira__sprints') }}
),

-- a sprint counts once it started by the end of the as-of day; it is complete once closed by
-- then (its completion date, else its planned end, before the end of the as-of day). Sprint
-- states have no history: a sprint still future now never started, whatever its planned dates.
started as (
    select
        source_instance,
        sprint_id,
        board_id,
        started_at,
        ended_at,
        -- a closed sprint without a completion or end date cannot be placed: not complete
        coalesce(
            sprint_state = 'closed'
            and coalesce(completed_at, ended_at) < cast({{ as_of_date() }} + interval 1 day as timestamp),
            false
        ) as is_complete,
        coalesce(completed_at, ended_at) as closed_at
    from sprints
    where
        sprint_state in ('active', 'closed')
        and started_at < cast({{ as_of_date() }} + interval 1 day as timestamp)
),

final as (
    select
        source_instance,
        sprint_id,
        board_id,
        started_at,
        ended_at,
        case when is_complete then closed_at end as completed_at,
        is_complete,
        -- what the sprint is judged at: its completion, or the end of the as-of day while it runs
        case
            when is_complete then closed_at
            else cast({{ as_of_date() }} + interval 1 day as timestamp)
        end as observed_at
    from started
)

select * from final
