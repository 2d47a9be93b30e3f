with

releases as (
    select * from {{ ref('dim_release') }}
),

scope as (
    select * from {{ ref('fct_release_scope') }}
),

issues as (
    select * from {{ ref('fct_issue') }}
),

release_scope as (
    select
        release_key,
        count(*) as scope_issue_count,
        sum(coalesce(story_points, 0)) as scope_points,
        count_if(is_done) as done_issue_count,
        sum(case when is_done then coalesce(story_points, 0) else 0 end) as done_points
    from scope
    group by 1
),

intervals as (
    select * from {{ ref('int_jira_status_intervals') }}
),

-- when each issue first entered status category done, read from the changelog (done is the status
-- category everywhere, not the resolution: a workflow may never set one)
first_done as (
    select
        issue_id,
        min(valid_from) as first_done_at
    from intervals
    where status_category_key = 'done'
    group by 1
),

-- the team's recent throughput: story points of the Jira project's issues that first entered
-- status category done in the 42 days through the as-of date, per day (docs/kpis.md "Releases")
throughput as (
    select
        issues.jira_project_key,
        sum(coalesce(issues.story_points, 0)) / 42.0 as throughput_points_per_day
    from issues
    inner join first_done
        on issues.issue_id = first_done.issue_id
    where cast(first_done.first_done_at as date) between {{ as_of_date() }} - 41 and {{ as_of_date() }}
    group by 1
),

-- released as of the as-of date: released now, its date on or before the as-of date (or none),
-- and every scope issue done at the end of the as-of day. Jira keeps no history of the released
-- flag and keeps the planned date when a version ships late, so a version released now whose
-- scope was not all done as of then had not shipped yet: it is open as of then
scoped as (
    select
        releases.release_key,
        releases.version_id,
        releases.source_instance,
        releases.release_name,
        releases.jira_project_key,
        releases.start_date,
        releases.release_date,
        releases.is_archived,
        coalesce(release_scope.scope_issue_count, 0) as scope_issue_count,
        coalesce(release_scope.scope_points, 0) as scope_points,
        coalesce(release_scope.done_issue_count, 0) as done_issue_count,
        coalesce(release_scope.done_points, 0) as done_points,
        coalesce(throughput.throughput_points_per_day, 0) as throughput_points_per_day,
        (
            releases.is_released
            and coalesce(releases.release_date <= {{ as_of_date() }}, true)
            and coalesce(release_scope.done_issue_count, 0) = coalesce(release_scope.scope_issue_count, 0)
        ) as is_released
    from releases
    left join release_scope
        on releases.release_key = release_scope.release_key
    left join throughput
        on releases.jira_project_key = throughput.jira_project_key
    where releases.version_id != '-1'
),

planned as (
    select
        *,
        -- still to ship: neither released nor archived
        not is_released and not is_archived as is_open
    from scoped
),

final as (
    select
        cast(release_key as varchar) as release_key,
        cast(version_id as varchar) as version_id,
        cast(source_instance as varchar) as source_instance,
        cast(release_name as varchar) as release_name,
        cast(jira_project_key as varchar) as jira_project_key,
        cast(start_date as date) as start_date,
        cast(release_date as date) as release_date,
        cast(is_released as boolean) as is_released,
        cast(is_archived as boolean) as is_archived,
        cast(scope_issue_count as bigint) as scope_issue_count,
        cast(scope_points as double) as scope_points,
        cast(done_issue_count as bigint) as done_issue_count,
        cast(done_points as double) as done_points,
        cast(scope_points - done_points as double) as remaining_points,
        {{ ratio('done_issue_count', 'scope_issue_count') }} as done_issue_ratio,
        {{ ratio('done_points', 'scope_points') }} as done_points_ratio,
        cast(case
            when is_open and release_date < {{ as_of_date() }} then {{ as_of_date() }} - release_date
        end as bigint) as days_late,
        cast(case
            when is_open and release_date >= {{ as_of_date() }} then release_date - {{ as_of_date() }}
        end as bigint) as days_to_go,
        cast(throughput_points_per_day as double) as throughput_points_per_day,
        -- at risk: the points left exceed what the team's recent pace finishes in the days left
        -- (none once the date has passed); a release without a date cannot be judged
        cast(case
            when not is_open then false
            when release_date is not null
                then
                    scope_points - done_points
                    > throughput_points_per_day * greatest(release_date - {{ as_of_date() }}, 0)
        end as boolean) as is_at_risk,
        cast({{ as_of_date() }} as date) as as_of_date
    from planned
)

select * from final
