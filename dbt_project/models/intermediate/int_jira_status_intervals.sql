with

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

changes as (
    select * from {{ ref('int_jira_status_changes') }}
),

statuses as (
    select * from {{ ref('stg_jira__statuses') }}
),

ordered_changes as (
    select
        *,
        -- changes at one instant in the order Jira made them (macros/changelog_order.sql)
        row_number() over (partition by issue_id order by {{ changelog_order() }}) as change_number,
        lead(changed_at) over (partition by issue_id order by {{ changelog_order() }}) as next_changed_at
    from changes
),

-- before its first transition an issue sat in the status that transition left; an issue never
-- transitioned has always been in its current status
initial_intervals as (
    select
        issues.issue_id,
        issues.created_at as valid_from,
        coalesce(first_changes.changed_at, timestamp '9999-12-31') as valid_to,
        coalesce(first_changes.from_status_id, issues.status_id) as status_id,
        coalesce(
            first_changes.from_status_category_key, issues.status_category_key, current_statuses.status_category_key
        ) as status_category_key
    from issues
    left join ordered_changes as first_changes
        on issues.issue_id = first_changes.issue_id
        and first_changes.change_number = 1
    left join statuses as current_statuses
        on issues.status_id = current_statuses.status_id
),

change_intervals as (
    select
        issue_id,
        changed_at as valid_from,
        coalesce(next_changed_at, timestamp '9999-12-31') as valid_to,
        to_status_id as status_id,
        to_status_category_key as status_category_key
    from ordered_changes
    -- changelogs of issues that are gone (deleted) are not intervals of anything
    where issue_id in (select issue_id from issues)
),

final as (
    select * from initial_intervals
    union all
    select * from change_intervals
)

select * from final
where valid_to > valid_from
