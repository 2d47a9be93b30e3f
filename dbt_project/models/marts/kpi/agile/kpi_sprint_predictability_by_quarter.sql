with

sprints as (
    select * from {{ ref('kpi_sprint_predictability') }}
),

-- a sprint belongs to the calendar quarter (UTC) it was completed in; one still running as of
-- `as_of` is in no quarter yet
completed as (
    select
        source_instance,
        jira_project_key,
        cast(date_trunc('quarter', completed_at) as date) as quarter_start_date,
        count(*) as completed_sprint_count,
        sum(committed_points) as committed_points,
        sum(added_points) as added_points,
        sum(removed_points) as removed_points,
        sum(completed_points) as completed_points,
        sum(completed_committed_points) as completed_committed_points
    from sprints
    where is_complete
    group by 1, 2, 3
),

final as (
    select
        cast(source_instance as varchar) as source_instance,
        cast(jira_project_key as varchar) as jira_project_key,
        cast(quarter_start_date as date) as quarter_start_date,
        cast(completed_sprint_count as bigint) as completed_sprint_count,
        cast(committed_points as double) as committed_points,
        cast(added_points as double) as added_points,
        cast(removed_points as double) as removed_points,
        cast(completed_points as double) as completed_points,
        cast(completed_committed_points as double) as completed_committed_points,
        {{ ratio('completed_committed_points', 'committed_points') }} as say_do_ratio,
        cast({{ as_of_date() }} as date) as as_of_date
    from completed
)

select * from final
