{#- The dated events of the intake pipeline, one row per demand × event (docs/kpis.md "Demand
    intake"). Submission is the source's own date (submitted_date); every other event is dated by the
    warehouse's history of the demand (int_demand_history): the first landed version that had reached
    the stage. The pipeline is a ladder, submitted → screening → qualified → approved → converted: a
    version in a later stage has passed the earlier ones too. Rejections and deferrals are their own
    states. -#}
with

demands as (
    select * from {{ ref('stg_servicenow__dmn_demand') }}
),

history as (
    select history.*
    from {{ ref('int_demand_history') }} as history
    -- a demand deleted since is not in the pipeline any more
    inner join demands
        on history.demand_sys_id = demands.demand_sys_id
),

stages as (
    select
        demand_sys_id,
        version_date,
        -- how far along the ladder the version is (0: not submitted or off the ladder)
        case
            when project_sys_id is not null or state = 'completed' then 5
            when state = 'approved' then 4
            when state = 'qualified' then 3
            when state = 'screening' then 2
            when state = 'submitted' then 1
            else 0
        end as stage_rank,
        state
    from history
),

ladder_events as (
    select demand_sys_id, 'screened' as event, min(version_date) as event_date
    from stages
    where stage_rank >= 2
    group by 1
    union all
    select demand_sys_id, 'qualified', min(version_date) from stages where stage_rank >= 3 group by 1
    union all
    select demand_sys_id, 'approved', min(version_date) from stages where stage_rank >= 4 group by 1
    union all
    select demand_sys_id, 'converted', min(version_date) from stages where stage_rank >= 5 group by 1
),

exits as (
    select demand_sys_id, state as event, min(version_date) as event_date
    from stages
    where state in ('rejected', 'deferred')
    group by 1, 2
),

submissions as (
    select demand_sys_id, 'submitted' as event, submitted_date as event_date
    from demands
    where submitted_date is not null
),

final as (
    select * from submissions
    union all
    select * from ladder_events
    union all
    select * from exits
)

select * from final
