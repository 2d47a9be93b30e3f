with

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

changelogs as (
    select * from {{ ref('stg_jira__issue_changelogs') }}
),

-- the Sprint field of each site (stg_jira__fields finds it)
fields as (
    select source_instance, field_id as sprint_field_id
    from {{ ref('stg_jira__fields') }}
    where field_role = 'sprint'
),

items as (
    select
        changelogs.source_instance,
        changelogs.change_id,
        changelogs.issue_id,
        changelogs.changed_at,
        unnest(json_extract(changelogs.items_json, '$[*]')) as item
    from changelogs
),

-- a Sprint item holds the sprints before and after the change as comma-separated ids (closed
-- sprints stay in the list: an issue carried over keeps the sprint it left unfinished)
sprint_changes as (
    select
        items.source_instance,
        items.change_id,
        items.issue_id,
        items.changed_at,
        string_split(coalesce({{ json_text('$.from', 'items.item') }}, ''), ',') as from_sprint_ids,
        string_split(coalesce({{ json_text('$.to', 'items.item') }}, ''), ',') as to_sprint_ids
    from items
    inner join fields
        on items.source_instance = fields.source_instance
        and {{ json_text('$.fieldId', 'items.item') }} = fields.sprint_field_id
),

ordered_changes as (
    select
        *,
        -- changes at one instant in the order Jira made them (macros/changelog_order.sql)
        row_number() over (partition by issue_id order by {{ changelog_order() }}) as change_number,
        lead(changed_at) over (partition by issue_id order by {{ changelog_order() }}) as next_changed_at
    from sprint_changes
    -- changelogs of issues that are gone (deleted) are not memberships of anything
    where issue_id in (select issue_id from issues)
),

-- before its first sprint change an issue was in the sprints that change left; an issue whose
-- sprint never changed has been in the sprints its field holds now since it was created
initial_states as (
    select
        issues.source_instance,
        issues.issue_id,
        issues.created_at as valid_from,
        coalesce(first_changes.changed_at, timestamp '9999-12-31') as valid_to,
        case
            when first_changes.change_id is null
                then coalesce(json_extract_string(issues.sprints_json, '$[*].id'), cast([] as varchar []))
            else first_changes.from_sprint_ids
        end as sprint_ids
    from issues
    left join ordered_changes as first_changes
        on issues.issue_id = first_changes.issue_id
        and first_changes.change_number = 1
),

change_states as (
    select
        source_instance,
        issue_id,
        changed_at as valid_from,
        coalesce(next_changed_at, timestamp '9999-12-31') as valid_to,
        to_sprint_ids as sprint_ids
    from ordered_changes
),

states as (
    select * from initial_states
    union all
    select * from change_states
),

memberships as (
    select
        source_instance,
        issue_id,
        valid_from,
        valid_to,
        trim(unnest(sprint_ids)) as sprint_id
    from states
    where valid_to > valid_from
),

final as (
    select distinct
        issue_id,
        {{ jira_id('sprint_id') }} as sprint_id,
        valid_from,
        valid_to
    from memberships
    where sprint_id != ''
)

select * from final
