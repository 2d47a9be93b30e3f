with

fix_versions as (
    select * from {{ ref('int_jira_issue_fix_versions') }}
),

issues as (
    select * from {{ ref('fct_issue') }}
),

releases as (
    select * from {{ ref('dim_release') }}
),

intervals as (
    select * from {{ ref('int_jira_status_intervals') }}
),

-- the as-of cut: an issue created after the as-of date does not exist yet (docs/kpis.md "As of")
known_issues as (
    select *
    from issues
    where created_at < cast({{ as_of_date() }} + interval 1 day as timestamp)
),

-- the status category held at the end of the as-of day, read from the changelog
status_as_of as (
    select
        intervals.issue_id,
        intervals.status_category_key
    from intervals
    where
        intervals.valid_from < cast({{ as_of_date() }} + interval 1 day as timestamp)
        and intervals.valid_to >= cast({{ as_of_date() }} + interval 1 day as timestamp)
),

final as (
    select
        coalesce(releases.release_key, {{ unknown_key() }}) as release_key,
        known_issues.issue_key,
        fix_versions.version_id,
        known_issues.issue_id,
        known_issues.source_instance,
        known_issues.jira_issue_key,
        known_issues.jira_project_key,
        known_issues.issue_type_name,
        known_issues.story_points,
        status_as_of.status_category_key,
        coalesce(status_as_of.status_category_key = 'done', false) as is_done,
        case when known_issues.resolved_date <= {{ as_of_date() }} then known_issues.resolved_date end as resolved_date
    from fix_versions
    inner join known_issues
        on fix_versions.issue_id = known_issues.issue_id
    left join releases
        on fix_versions.version_id = releases.version_id
    left join status_as_of
        on known_issues.issue_id = status_as_of.issue_id
)

select * from final
