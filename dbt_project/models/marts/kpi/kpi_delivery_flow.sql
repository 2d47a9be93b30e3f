with

issues as (
    select * from {{ ref('fct_issue') }}
),

intervals as (
    select * from {{ ref('int_jira_status_intervals') }}
),

-- the as-of cut: issues created after the as-of date do not exist yet, and an issue resolved
-- after it counts as unresolved (docs/kpis.md "As of")
known_issues as (
    select
        issue_id,
        jira_project_key,
        created_at,
        case when cast(resolved_at as date) <= {{ as_of_date() }} then resolved_at end as resolved_at,
        case when cast(resolved_at as date) <= {{ as_of_date() }} then cycle_time_days end as cycle_time_days,
        case when cast(resolved_at as date) <= {{ as_of_date() }} then lead_time_days end as lead_time_days
    from issues
    where cast(created_at as date) <= {{ as_of_date() }}
),

-- every Jira project × ISO week (Monday, UTC) from the week of its first created issue through
-- the as-of week
weeks as (
    select
        jira_project_key,
        cast(weeks.week_start_date as date) as week_start_date
    from (
        select jira_project_key, cast(date_trunc('week', min(created_at)) as date) as first_week
        from known_issues
        group by 1
    ) as projects
    cross join lateral (
        select unnest(generate_series(
            projects.first_week,
            cast(date_trunc('week', {{ as_of_date() }}) as date),
            interval 7 day
        )) as week_start_date
    ) as weeks
),

resolved as (
    select
        jira_project_key,
        cast(date_trunc('week', resolved_at) as date) as week_start_date,
        count(*) as throughput,
        quantile_cont(cycle_time_days, 0.5) as cycle_time_p50_days,
        quantile_cont(cycle_time_days, 0.85) as cycle_time_p85_days,
        quantile_cont(lead_time_days, 0.5) as lead_time_p50_days
    from known_issues
    where resolved_at is not null
    group by 1, 2
),

-- WIP is read at the end of the week (next Monday 00:00 UTC), or at the end of the as-of date
-- for the as-of week, so that nothing after the as-of date is seen
week_ends as (
    select
        jira_project_key,
        week_start_date,
        least(
            cast(week_start_date + interval 7 day as timestamp),
            cast({{ as_of_date() }} + interval 1 day as timestamp)
        ) as observed_at
    from weeks
),

in_progress as (
    select
        week_ends.jira_project_key,
        week_ends.week_start_date,
        count(distinct intervals.issue_id) as wip
    from week_ends
    inner join known_issues
        on week_ends.jira_project_key = known_issues.jira_project_key
    inner join intervals
        on known_issues.issue_id = intervals.issue_id
        and intervals.valid_from < week_ends.observed_at
        and intervals.valid_to >= week_ends.observed_at
    where intervals.status_category_key = 'indeterminate'
    group by 1, 2
),

final as (
    select
        cast(weeks.jira_project_key as varchar) as jira_project_key,
        cast(weeks.week_start_date as date) as week_start_date,
        cast(coalesce(resolved.throughput, 0) as bigint) as throughput,
        cast(coalesce(in_progress.wip, 0) as bigint) as wip,
        cast(resolved.cycle_time_p50_days as double) as cycle_time_p50_days,
        cast(resolved.cycle_time_p85_days as double) as cycle_time_p85_days,
        cast(resolved.lead_time_p50_days as double) as lead_time_p50_days
    from weeks
    left join resolved
        on weeks.jira_project_key = resolved.jira_project_key
        and weeks.week_start_date = resolved.week_start_date
    left join in_progress
        on weeks.jira_project_key = in_progress.jira_project_key
        and weeks.week_start_date = in_progress.week_start_date
)

select * from final
