with

plan_days as (
    select * from {{ ref('int_resource_plans_daily') }}
),

resources as (
    select * from {{ ref('dim_resource') }}
),

weekly as (
    select
        user_sys_id,
        project_sys_id,
        cast(date_trunc('week', plan_date) as date) as week_start_date,
        -- a project's plans are its instance's; plans on no project of two instances are one row,
        -- under the first instance
        min(source_instance) as source_instance,
        -- confirmed, allocated and completed plans are the allocation (docs/kpis.md "Hours")
        sum(case when is_counted then planned_hours else 0 end) as allocated_hours,
        sum(case when state in ('planning', 'requested') then planned_hours else 0 end) as requested_hours
    from plan_days
    where plan_date is not null
    group by 1, 2, 3
),

final as (
    select
        {{ surrogate_key(["'allocation'", 'weekly.user_sys_id', 'weekly.project_sys_id', 'weekly.week_start_date']) }}
            as resource_allocation_key,
        weekly.source_instance,
        coalesce(resources.resource_key, {{ unknown_key() }}) as resource_key,
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        weekly.week_start_date,
        resources.resource_id,
        project_versions.project_number as project_id,
        weekly.allocated_hours,
        weekly.requested_hours
    from weekly
    left join resources
        on weekly.user_sys_id = resources.user_sys_id
    {{ project_version_join('project_versions', 'weekly.project_sys_id', 'weekly.week_start_date') }}
)

select * from final
