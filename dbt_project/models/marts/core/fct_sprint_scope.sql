with

sprints as (
    select * from {{ ref('int_jira_sprints_as_of') }}
),

membership as (
    select * from {{ ref('int_jira_sprint_membership') }}
),

issues as (
    select * from {{ ref('fct_issue') }}
),

intervals as (
    select * from {{ ref('int_jira_status_intervals') }}
),

-- Every state is the one held just before the moment it is read at (a change at that very instant
-- comes after it), as WIP is read (docs/kpis.md "Sprints"): committed = in the sprint just before it
-- started, in it at the end = just before it was observed (completion, or end of the as-of day).
touched as (
    select
        sprints.sprint_id,
        sprints.board_id,
        sprints.observed_at,
        membership.issue_id,
        bool_or(
            membership.valid_from < sprints.started_at and membership.valid_to >= sprints.started_at
        ) as is_committed,
        bool_or(
            membership.valid_from < sprints.observed_at and membership.valid_to >= sprints.observed_at
        ) as is_in_sprint_at_end
    from sprints
    inner join membership
        on sprints.sprint_id = membership.sprint_id
        and membership.valid_from < sprints.observed_at
        and membership.valid_to >= sprints.started_at
    group by 1, 2, 3, 4
),

done_at_end as (
    select distinct
        touched.sprint_id,
        touched.issue_id
    from touched
    inner join intervals
        on touched.issue_id = intervals.issue_id
        and intervals.valid_from < touched.observed_at
        and intervals.valid_to >= touched.observed_at
    where intervals.status_category_key = 'done'
),

final as (
    select
        touched.sprint_id,
        touched.board_id,
        issues.issue_key,
        touched.issue_id,
        issues.source_instance,
        issues.jira_issue_key,
        issues.jira_project_key,
        issues.story_points,
        touched.is_committed,
        not touched.is_committed as is_added,
        not touched.is_in_sprint_at_end as is_removed,
        touched.is_in_sprint_at_end,
        done_at_end.issue_id is not null as is_done_at_end,
        touched.is_in_sprint_at_end and done_at_end.issue_id is not null as is_completed
    from touched
    inner join issues
        on touched.issue_id = issues.issue_id
    left join done_at_end
        on touched.sprint_id = done_at_end.sprint_id
        and touched.issue_id = done_at_end.issue_id
)

select * from final
