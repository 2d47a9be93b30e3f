with

changelogs as (
    select * from {{ ref('stg_jira__issue_changelogs') }}
),

statuses as (
    select * from {{ ref('stg_jira__statuses') }}
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

status_items as (
    select
        source_instance,
        change_id,
        issue_id,
        changed_at,
        {{ jira_id(json_text('$.from', 'item')) }} as from_status_id,
        {{ json_text('$.fromString', 'item') }} as from_status_name,
        {{ jira_id(json_text('$.to', 'item')) }} as to_status_id,
        {{ json_text('$.toString', 'item') }} as to_status_name
    from items
    where coalesce({{ json_text('$.fieldId', 'item') }}, {{ json_text('$.field', 'item') }}) = 'status'
),

-- the category a status belongs to (by id; by name when the id is unknown, e.g. a status
-- deleted since)
final as (
    select
        status_items.change_id,
        status_items.issue_id,
        status_items.changed_at,
        status_items.from_status_id,
        status_items.from_status_name,
        coalesce(from_by_id.status_category_key, from_by_name.status_category_key) as from_status_category_key,
        status_items.to_status_id,
        status_items.to_status_name,
        coalesce(to_by_id.status_category_key, to_by_name.status_category_key) as to_status_category_key
    from status_items
    left join statuses as from_by_id on status_items.from_status_id = from_by_id.status_id
    left join
        statuses as from_by_name
        on from_by_id.status_id is null
        and status_items.source_instance = from_by_name.source_instance
        and status_items.from_status_name = from_by_name.status_name
    left join statuses as to_by_id on status_items.to_status_id = to_by_id.status_id
    left join
        statuses as to_by_name
        on to_by_id.status_id is null
        and status_items.source_instance = to_by_name.source_instance
        and status_items.to_status_name = to_by_name.status_name
)

select * from final
