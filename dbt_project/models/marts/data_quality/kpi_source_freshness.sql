with

sync_log as (
    select * from {{ ref('stg_quality__sync_log') }}
),

-- the newest attempt of each entity, whatever its outcome
last_attempts as (
    select *
    from sync_log
    qualify row_number() over (
            partition by source_name, entity
            order by finished_at desc, started_at desc, run_id desc
        ) = 1
),

last_successes as (
    select source_name, entity, max(finished_at) as last_success_at
    from sync_log
    where status = 'succeeded'
    group by 1, 2
),

-- a skip (source not configured) is a failure to sync as much as an error is
last_failures as (
    select source_name, entity, finished_at as last_failure_at, detail as last_failure_reason
    from sync_log
    where status in ('failed', 'skipped')
    qualify row_number() over (
            partition by source_name, entity
            order by finished_at desc, started_at desc, run_id desc
        ) = 1
),

final as (
    select
        cast(last_attempts.source_name as varchar) as source_name,
        cast(last_attempts.entity as varchar) as entity,
        cast(last_attempts.finished_at as timestamp) as last_attempt_at,
        cast(last_attempts.status as varchar) as last_attempt_status,
        cast(last_attempts.run_id as varchar) as last_run_id,
        cast(last_successes.last_success_at as timestamp) as last_success_at,
        cast(last_attempts.records as bigint) as records_last_run,
        cast(last_failures.last_failure_at as timestamp) as last_failure_at,
        cast(last_failures.last_failure_reason as varchar) as last_failure_reason,
        cast(date_diff('second', last_successes.last_success_at, {{ now_utc() }}) / 3600.0 as double)
            as hours_since_last_success,
        -- stale: the newest attempt did not refresh it (failed, or the source is not configured),
        -- or its last success is older than var stale_after_hours, or it never succeeded
        cast(
            last_attempts.status <> 'succeeded'
            or last_successes.last_success_at is null
            or date_diff('second', last_successes.last_success_at, {{ now_utc() }})
            > {{ var('stale_after_hours') }} * 3600
            as boolean
        ) as is_stale,
        {{ now_utc() }} as checked_at
    from last_attempts
    left join last_successes
        on last_attempts.source_name = last_successes.source_name
        and last_attempts.entity = last_successes.entity
    left join last_failures
        on last_attempts.source_name = last_failures.source_name
        and last_attempts.entity = last_failures.entity
)

select * from final
