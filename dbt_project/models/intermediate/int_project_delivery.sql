with

projects as (
    select * from {{ ref('stg_servicenow__pm_project') }}
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

-- a project is measured against its OLDEST baseline (the plan first approved), not the latest
-- re-plan: ties on sys_created_on go to the lower sys_id (docs/kpis.md "On-time delivery rate")
oldest_baselines as (
    {{ oldest_project_baselines('baselines') }}
),

-- the item for the project itself (other items baseline its tasks); should a baseline hold
-- two, the lower sys_id wins
baselined_dates as (
    select *
    from (
        select
            oldest_baselines.project_sys_id,
            oldest_baselines.baseline_sys_id,
            baseline_items.baseline_start_at,
            baseline_items.baseline_end_at,
            row_number() over (
                partition by oldest_baselines.project_sys_id
                order by baseline_items.baseline_item_sys_id
            ) as item_rank
        from oldest_baselines
        left join baseline_items
            on oldest_baselines.baseline_sys_id = baseline_items.baseline_sys_id
            and baseline_items.task_sys_id = oldest_baselines.project_sys_id
    ) as items
    where item_rank = 1
),

-- without a baseline: the planned dates of the first version the warehouse saw approved
first_approved_versions as (
    select *
    from (
        select
            *,
            row_number() over (partition by project_sys_id order by version_number) as approved_rank
        from history
        where approval = 'approved'
    ) as ranked
    where approved_rank = 1
),

-- dates, not timestamps, are compared; only a project that closed complete is judged
final as (
    {{ measured_against_baseline(
        'projects', 'project_sys_id', 'first_approved_versions', ['project_sys_id', 'project_number', 'state']
    ) }}
)

select * from final
