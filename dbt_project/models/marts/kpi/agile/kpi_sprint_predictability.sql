with

sprints as (
    select * from {{ ref('int_jira_sprints_as_of') }}
),

sprint_names as (
    select * from {{ ref('stg_jira__sprints') }}
),

boards as (
    select * from {{ ref('stg_jira__boards') }}
),

jira_projects as (
    select * from {{ ref('stg_jira__projects') }}
),

scope as (
    select * from {{ ref('fct_sprint_scope') }}
),

-- points of an issue without story points count 0 (it still counts as an issue)
sprint_totals as (
    select
        sprint_id,
        count_if(is_committed) as committed_issue_count,
        sum(case when is_committed then coalesce(story_points, 0) else 0 end) as committed_points,
        count_if(is_added) as added_issue_count,
        sum(case when is_added then coalesce(story_points, 0) else 0 end) as added_points,
        count_if(is_removed) as removed_issue_count,
        sum(case when is_removed then coalesce(story_points, 0) else 0 end) as removed_points,
        count_if(is_completed) as completed_issue_count,
        sum(case when is_completed then coalesce(story_points, 0) else 0 end) as completed_points,
        sum(case when is_completed and is_committed then coalesce(story_points, 0) else 0 end)
            as completed_committed_points
    from scope
    group by 1
),

-- a board sits in a Jira project (its location); a board on a user's filter, or one not landed,
-- falls in the unknown Jira project
placed as (
    select
        sprints.*,
        sprint_names.sprint_name,
        boards.board_name,
        coalesce(boards.jira_project_key, jira_projects.jira_project_key, '-1') as jira_project_key
    from sprints
    inner join sprint_names
        on sprints.sprint_id = sprint_names.sprint_id
    left join boards
        on sprints.board_id = boards.board_id
    left join jira_projects
        on boards.jira_project_id = jira_projects.jira_project_id
),

final as (
    select
        cast(placed.source_instance as varchar) as source_instance,
        cast(placed.jira_project_key as varchar) as jira_project_key,
        cast(placed.board_id as varchar) as board_id,
        cast(placed.board_name as varchar) as board_name,
        cast(placed.sprint_id as varchar) as sprint_id,
        cast(placed.sprint_name as varchar) as sprint_name,
        cast(placed.started_at as timestamp) as started_at,
        cast(placed.ended_at as timestamp) as ended_at,
        cast(placed.completed_at as timestamp) as completed_at,
        cast(placed.is_complete as boolean) as is_complete,
        cast(coalesce(totals.committed_issue_count, 0) as bigint) as committed_issue_count,
        cast(coalesce(totals.committed_points, 0) as double) as committed_points,
        cast(coalesce(totals.added_issue_count, 0) as bigint) as added_issue_count,
        cast(coalesce(totals.added_points, 0) as double) as added_points,
        cast(coalesce(totals.removed_issue_count, 0) as bigint) as removed_issue_count,
        cast(coalesce(totals.removed_points, 0) as double) as removed_points,
        cast(coalesce(totals.completed_issue_count, 0) as bigint) as completed_issue_count,
        cast(coalesce(totals.completed_points, 0) as double) as completed_points,
        cast(coalesce(totals.completed_committed_points, 0) as double) as completed_committed_points,
        {{ ratio('totals.completed_committed_points', 'totals.committed_points') }} as say_do_ratio,
        cast({{ as_of_date() }} as date) as as_of_date
    from placed
    left join sprint_totals as totals
        on placed.sprint_id = totals.sprint_id
)

select * from final
