with

tasks as (
    select * from {{ ref('stg_servicenow__pm_project_task') }}
),

history as (
    select * from {{ ref('int_project_history') }}
),

baselines as (
    select * from {{ ref('stg_servicenow__planned_task_baseline') }}
),

baseline_items as (
    select * from {{ ref('stg_servicenow__planned_task_baseline_item') }}
),

-- every landed version of every task: the fallback baseline is the milestone as it stood when
-- its project was first seen approved
task_versions as (
    select
        {{ sn_id('sys_id') }} as task_sys_id,
        coalesce({{ sn_timestamp('sys_updated_on') }}, cast(source_updated_at as timestamp)) as updated_at,
        {{ sn_timestamp('start_date') }} as planned_start_at,
        {{ sn_timestamp('end_date') }} as planned_end_at
    from {{ source('servicenow', 'pm_project_task') }}
    where not is_deleted
),

milestones as (
    select * from tasks where is_milestone
),

-- the same rule as projects (int_project_delivery): the project's oldest baseline decides
oldest_baselines as (
    {{ oldest_project_baselines('baselines') }}
),

-- a project with a baseline measures its milestones by it (no item: no baseline date)
baselined_dates as (
    select *
    from (
        select
            milestones.task_sys_id,
            baseline_items.baseline_start_at,
            baseline_items.baseline_end_at,
            row_number() over (
                partition by milestones.task_sys_id
                order by baseline_items.baseline_item_sys_id
            ) as item_rank
        from milestones
        inner join oldest_baselines
            on milestones.project_sys_id = oldest_baselines.project_sys_id
        left join baseline_items
            on oldest_baselines.baseline_sys_id = baseline_items.baseline_sys_id
            and baseline_items.task_sys_id = milestones.task_sys_id
    ) as items
    where item_rank = 1
),

project_approvals as (
    select project_sys_id, min(valid_from) as approved_seen_at
    from history
    where approval = 'approved'
    group by 1
),

-- the milestone version in effect when the approval was seen (the latest at or before it),
-- else, for a milestone added later, the first version seen after it
approved_versions as (
    select *
    from (
        select
            milestones.task_sys_id,
            task_versions.planned_start_at,
            task_versions.planned_end_at,
            row_number() over (
                partition by milestones.task_sys_id
                order by
                    case when task_versions.updated_at <= project_approvals.approved_seen_at then 0 else 1 end,
                    case
                        when
                            task_versions.updated_at <= project_approvals.approved_seen_at
                            then task_versions.updated_at
                    end desc nulls last,
                    task_versions.updated_at
            ) as version_rank
        from milestones
        inner join project_approvals
            on milestones.project_sys_id = project_approvals.project_sys_id
        inner join task_versions
            on milestones.task_sys_id = task_versions.task_sys_id
    ) as ranked
    where version_rank = 1
),

-- the same rule as projects (int_project_delivery); milestones have no baseline start
final as (
    {{ measured_against_baseline(
        'milestones', 'task_sys_id', 'approved_versions',
        ['task_sys_id', 'source_instance', 'task_number', 'task_name', 'project_sys_id', 'state', 'percent_complete'],
        parts=['end']
    ) }}
)

select * from final
