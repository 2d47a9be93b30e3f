with

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

link_elements as (
    select
        issues.source_instance,
        issues.issue_id as owner_issue_id,
        unnest(json_extract(issues.issue_links_json, '$[*]')) as link
    from issues
    where issues.issue_links_json is not null
),

-- On issue A, a link with outwardIssue B reads "A <outward phrase> B" (A blocks B); a link with
-- inwardIssue C reads "C <outward phrase> A" (C blocks A). Every link is turned into that one
-- direction, so both copies of it (it appears on both issues) say the same thing.
directed as (
    select
        {{ jira_id(json_text('$.id', 'link')) }} as link_id,
        {{ json_text('$.type.name', 'link') }} as link_type_name,
        {{ json_text('$.type.outward', 'link') }} as outward_phrase,
        {{ json_text('$.type.inward', 'link') }} as inward_phrase,
        case
            when {{ json_text('$.outwardIssue.id', 'link') }} is not null then owner_issue_id
            else {{ jira_id(json_text('$.inwardIssue.id', 'link')) }}
        end as from_issue_id,
        case
            when
                {{ json_text('$.outwardIssue.id', 'link') }} is not null
                then {{ jira_id(json_text('$.outwardIssue.id', 'link')) }}
            else owner_issue_id
        end as to_issue_id
    from link_elements
),

links as (
    select
        link_id,
        min(link_type_name) as link_type_name,
        min(outward_phrase) as outward_phrase,
        min(inward_phrase) as inward_phrase,
        min(from_issue_id) as from_issue_id,
        min(to_issue_id) as to_issue_id,
        count(distinct from_issue_id || '>' || to_issue_id) as direction_count
    from directed
    group by 1
),

oriented_links as (
    select
        links.link_id,
        links.link_type_name,
        links.outward_phrase,
        links.inward_phrase,
        links.from_issue_id,
        links.to_issue_id,
        links.direction_count,
        -- who waits for whom: "A blocks B" makes A the blocker; "A depends on B" makes B the
        -- blocker
        case
            when lower(links.outward_phrase) like 'depends%' then links.to_issue_id
            else links.from_issue_id
        end as blocker_issue_id,
        case
            when lower(links.outward_phrase) like 'depends%' then links.from_issue_id
            else links.to_issue_id
        end as blocked_issue_id,
        lower(links.link_type_name) = 'blocks' or lower(links.link_type_name) like 'depend%' as is_dependency
    from links
),

-- the Jira project of each side (NULL when that issue is outside the landed scope)
final as (
    select
        oriented_links.*,
        blockers.jira_project_key as blocker_jira_project_key,
        blocked.jira_project_key as blocked_jira_project_key
    from oriented_links
    left join issues as blockers
        on oriented_links.blocker_issue_id = blockers.issue_id
    left join issues as blocked
        on oriented_links.blocked_issue_id = blocked.issue_id
)

select * from final
