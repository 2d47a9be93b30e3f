with

source as (
    {{ latest_versions(source('jira', 'issues')) }}
),

fields as (
    select * from {{ ref('stg_jira__fields') }}
),

-- The custom fields read here are found per site by stg_jira__fields (its field_role): a site may
-- have both story-point fields, so both are read and the first with a value wins.
custom_fields as (
    select
        source_instance,
        min(case when field_role = 'story_point_estimate' then field_id end) as story_point_estimate_field_id,
        min(case when field_role = 'story_points' then field_id end) as story_points_field_id,
        min(case when field_role = 'sprint' then field_id end) as sprint_field_id
    from fields
    group by source_instance
),

renamed as (
    select
        ---------- ids
        source.source_instance,
        {{ jira_id(json_text('$.id', 'source.record'), 'source.source_instance') }} as issue_id,
        {{ jira_id(json_text('$.key', 'source.record'), 'source.source_instance') }} as issue_key,
        {{ jira_id(json_text('$.fields.project.id', 'source.record'), 'source.source_instance') }} as jira_project_id,
        {{ jira_id(json_text('$.fields.project.key', 'source.record'), 'source.source_instance') }} as jira_project_key,
        {{ jira_id(json_text('$.fields.parent.id', 'source.record'), 'source.source_instance') }} as parent_issue_id,
        {{ jira_id(json_text('$.fields.parent.key', 'source.record'), 'source.source_instance') }} as parent_issue_key,
        {{ jira_id(json_text('$.fields.status.id', 'source.record'), 'source.source_instance') }} as status_id,
        {{ json_text('$.fields.assignee.accountId', 'source.record') }} as assignee_account_id,
        nullif({{ json_text('$.fields.assignee.emailAddress', 'source.record') }}, '') as assignee_email,
        {{ json_text('$.fields.reporter.accountId', 'source.record') }} as reporter_account_id,
        nullif({{ json_text('$.fields.reporter.emailAddress', 'source.record') }}, '') as reporter_email,
        ---------- attributes
        {{ json_text('$.fields.summary', 'source.record') }} as summary,
        {{ json_text('$.fields.issuetype.name', 'source.record') }} as issue_type_name,
        cast({{ json_text('$.fields.issuetype.hierarchyLevel', 'source.record') }} as integer)
            as issue_type_hierarchy_level,
        {{ json_text('$.fields.status.name', 'source.record') }} as status_name,
        {{ json_text('$.fields.status.statusCategory.key', 'source.record') }} as status_category_key,
        {{ json_text('$.fields.priority.name', 'source.record') }} as priority_name,
        {{ json_text('$.fields.resolution.name', 'source.record') }} as resolution_name,
        {{ json_text_at("'$.fields.' || custom_fields.sprint_field_id || '[#-1].name'", 'source.record') }}
            as sprint_name,
        {{ json_document('$.fields.labels', 'source.record') }} as labels_json,
        -- kept whole: int_jira_issue_fix_versions and int_jira_sprint_membership unnest them
        {{ json_document('$.fields.fixVersions', 'source.record') }} as fix_versions_json,
        {{ json_document_at("'$.fields.' || custom_fields.sprint_field_id", 'source.record') }} as sprints_json,
        -- kept whole: int_jira_issue_links unnests them (each link appears on both of its issues)
        {{ json_document('$.fields.issuelinks', 'source.record') }} as issue_links_json,
        ---------- numerics
        cast(coalesce(
            {{ json_text_at("'$.fields.' || custom_fields.story_point_estimate_field_id", 'source.record') }},
            {{ json_text_at("'$.fields.' || custom_fields.story_points_field_id", 'source.record') }}
        ) as double) as story_points,
        cast({{ json_text('$.fields.timeoriginalestimate', 'source.record') }} as bigint) as original_estimate_seconds,
        cast({{ json_text('$.fields.timespent', 'source.record') }} as bigint) as time_spent_seconds,
        ---------- dates and timestamps
        {{ jira_timestamp(json_text('$.fields.created', 'source.record')) }} as created_at,
        {{ jira_timestamp(json_text('$.fields.updated', 'source.record')) }} as updated_at,
        {{ jira_timestamp(json_text('$.fields.resolutiondate', 'source.record')) }} as resolved_at,
        cast(nullif({{ json_text('$.fields.duedate', 'source.record') }}, '') as date) as due_date,
        ---------- lineage
        source.loaded_at
    from source
    left join custom_fields
        on source.source_instance = custom_fields.source_instance
)

select * from renamed
