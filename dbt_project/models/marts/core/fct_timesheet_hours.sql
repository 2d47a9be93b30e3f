with

time_card_days as (
    select * from {{ ref('int_time_cards_unpivoted') }}
),

resources as (
    select * from {{ ref('dim_resource') }}
),

counted as (
    -- hours count once approved or processed (docs/kpis.md "Hours"); the state is kept
    select * from time_card_days where is_counted
),

final as (
    select
        {{ surrogate_key(["'servicenow'", "'time_card'", 'counted.time_card_sys_id', 'counted.work_date']) }}
            as timesheet_hours_key,
        -- the instance the card is booked on
        counted.source_instance,
        coalesce(resources.resource_key, {{ unknown_key() }}) as resource_key,
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        counted.work_date,
        resources.resource_id,
        project_versions.project_number as project_id,
        counted.time_card_sys_id as time_card_id,
        counted.state,
        counted.category,
        counted.hours,
        counted.labour_cost as labour_cost_amount
    from counted
    left join resources
        on counted.user_sys_id = resources.user_sys_id
    {{ project_version_join('project_versions', 'counted.project_sys_id', 'counted.work_date') }}
)

select * from final
