{#- Every version of every demand the warehouse landed (staging keeps only the latest): the
    warehouse's own history of dmn_demand, from which the intake marts date the state changes. -#}
with

source as (
    select * from {{ source('servicenow', 'dmn_demand') }}
),

landed_versions as (
    select
        {{ sn_id('sys_id') }} as demand_sys_id,
        {{ sn_text('state') }} as state,
        {{ sn_id('project') }} as project_sys_id,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        source.source_instance,
        source.natural_key,
        source.source_updated_at,
        source.loaded_at,
        source.batch_id
    from source
    where not source.is_deleted
),

distinct_versions as (
    {{ distinct_versions('landed_versions') }}
),

final as (
    select
        demand_sys_id,
        row_number() over (
            partition by demand_sys_id
            order by source_updated_at nulls first, loaded_at, batch_id
        ) as version_number,
        state,
        project_sys_id,
        updated_at,
        -- the day the version was written in ServiceNow: the state it holds was reached that day
        -- or before
        cast(updated_at as date) as version_date,
        loaded_at
    from distinct_versions
)

select * from final
