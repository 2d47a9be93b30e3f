with

issues as (
    select * from {{ ref('stg_jira__issues') }}
),

elements as (
    select
        issues.source_instance,
        issues.issue_id,
        unnest(json_extract(issues.fix_versions_json, '$[*]')) as fix_version
    from issues
    where issues.fix_versions_json is not null
),

final as (
    select distinct
        issue_id,
        {{ jira_id(json_text('$.id', 'fix_version')) }} as version_id
    from elements
)

select * from final
where version_id is not null
