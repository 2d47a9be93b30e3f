with

checks as (
    select * from {{ ref('kpi_data_quality') }}
),

runs as (
    select
        run_id,
        min(run_started_at) as run_started_at,
        max(checked_at) as last_checked_at,
        count(*) filter (where severity <> 'info') as check_count,
        count(*) filter (where severity <> 'info' and passed) as passed_count,
        count(*) filter (where severity = 'error' and not passed) as blocking_failure_count,
        count(*) filter (where severity = 'warn' and not passed) as warning_count,
        count(*) filter (where severity = 'info') as info_count,
        count(distinct table_name) filter (where check_name = 'sync' and severity = 'error' and not passed)
            as failed_entity_count,
        string_agg(distinct split_part(table_name, '/', 1), ', ' order by split_part(table_name, '/', 1))
        filter (where check_name = 'sync' and severity = 'error' and not passed) as failed_sources
    from checks
    group by 1
),

final as (
    select
        cast(run_id as varchar) as run_id,
        cast(run_started_at as timestamp) as run_started_at,
        cast(last_checked_at as timestamp) as last_checked_at,
        cast(check_count as bigint) as check_count,
        cast(passed_count as bigint) as passed_count,
        cast(blocking_failure_count as bigint) as blocking_failure_count,
        cast(warning_count as bigint) as warning_count,
        cast(info_count as bigint) as info_count,
        cast(failed_entity_count as bigint) as failed_entity_count,
        cast(failed_sources as varchar) as failed_sources,
        cast(
            row_number() over (order by run_started_at desc, last_checked_at desc, run_id desc) = 1
            as boolean
        ) as is_latest_run
    from runs
)

select * from final
