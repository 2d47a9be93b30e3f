{#- int_gl_file_periods is built by the core models; a run that failed before they were ever
    built still publishes its check and sync rows, without supersessions. (In a dbt unit test
    the ref is a given input, with no schema: always there.) -#}
{%- set file_periods = ref('int_gl_file_periods') -%}
{%- set file_periods_built = file_periods.schema is none or (execute and load_relation(file_periods) is not none) -%}
{%- set finance_files = ref('int_finance_files') -%}
{%- set finance_files_built = finance_files.schema is none or (execute and load_relation(finance_files) is not none) -%}

with

check_results as (
    select * from {{ ref('stg_quality__check_results') }}
),

sync_log as (
    select * from {{ ref('stg_quality__sync_log') }}
),

-- every check the pipeline ran: great-expectations suites, freshness, dbt tests
checks as (
    select
        checked_at,
        run_id,
        coalesce(run_started_at, checked_at) as run_started_candidate,
        layer,
        table_name,
        check_name,
        severity,
        passed,
        failing_rows,
        detail
    from check_results
),

-- every sync attempt, so a source that failed before any check could run still has its row:
-- a failure is blocking (the source's marts did not move), a skip (not configured) a warning
syncs as (
    select
        finished_at,
        run_id,
        started_at,
        'raw',
        raw_entity,
        'sync',
        case when status = 'skipped' then 'warn' else 'error' end,
        status = 'succeeded',
        cast(0 as bigint),
        case status
            when 'succeeded' then detail
            when 'skipped' then 'skipped: ' || detail
            else 'failed: ' || detail
        end
    from sync_log
),

-- each warning a sync raised (a file skipped, an encoding guessed, an empty read), once
sync_warnings as (
    select
        sync_log.finished_at,
        sync_log.run_id,
        sync_log.started_at,
        'raw',
        sync_log.raw_entity,
        'sync_warning',
        'warn',
        false,
        cast(0 as bigint),
        warnings.warning
    from sync_log
    cross join unnest(sync_log.warnings) as warnings (warning)
),

-- every time a newer GL file replaced the lines of a company and period (docs/contract.md §4),
-- filed under the run that loaded the replacing file
supersessions as (
    {% if file_periods_built %}
    select
        superseded_by_loaded_at,
        coalesce(nullif(superseded_by_run_id, ''), 'unknown'),
        superseded_at,
        'warehouse',
        'fct_spend',
        'gl_lines_replaced_by_reexport',
        'info',
        true,
        cast(line_count as bigint),
        superseded_by_file_name || ' replaced ' || line_count || ' lines of ' || file_name
            || ' for company ' || company_code || ', period ' || fiscal_year || '-'
            || lpad(cast(fiscal_period as varchar), 2, '0')
            || ' (' || superseded_by_line_count || ' lines now)'
    from {{ file_periods }}
    where superseded_by_file_sha256 is not null
    {% else %}
        select
            cast(null as timestamp), cast(null as varchar), cast(null as timestamp), cast(null as varchar),
            cast(null as varchar), cast(null as varchar), cast(null as varchar), cast(null as boolean),
            cast(null as bigint), cast(null as varchar)
        where false
    {% endif %}
),

-- finance files and the 5 % reject rule (docs/contract.md §4), by name: a file in force over the
-- limit, under the run that loaded it (the blocking dbt test says only how many files), and a
-- file with rejects that a newer one superseded, under the run that loaded the newer one
finance_files as (
    {% if finance_files_built %}
    select
        arrived_at,
        coalesce(nullif(run_id, ''), 'unknown'),
        arrived_at,
        'warehouse',
        'int_finance_files',
        'finance_file_over_reject_limit',
        'warn',
        false,
        cast(rows_rejected as bigint),
        file_name || ': ' || rows_rejected || ' of ' || (rows_loaded + rows_rejected)
            || ' rows rejected (' || round(100 * reject_ratio, 1) || ' %), more than '
            || round(100 * {{ var('finance_max_reject_ratio') }}, 1) || ' %: the KPI marts are held back until'
            || ' a newer file supersedes it (the same name, or a re-export of everything it holds)'
    from {{ finance_files }}
    where is_in_force and is_over_reject_limit
    union all
    select
        superseded_at,
        coalesce(nullif(superseded_by_run_id, ''), 'unknown'),
        superseded_at,
        'warehouse',
        'int_finance_files',
        'finance_file_superseded',
        'info',
        true,
        cast(rows_rejected as bigint),
        superseded_by_file_name || ' superseded ' || file_name
            || case superseded_reason when 'same_name' then ' (same name)' else ' (every period it held)' end
            || ': its ' || rows_rejected || ' rejected rows no longer count'
    from {{ finance_files }}
    where not is_in_force and rows_rejected > 0
    {% else %}
        select
            cast(null as timestamp), cast(null as varchar), cast(null as timestamp), cast(null as varchar),
            cast(null as varchar), cast(null as varchar), cast(null as varchar), cast(null as boolean),
            cast(null as bigint), cast(null as varchar)
        where false
    {% endif %}
),

unioned as (
    select * from checks
    union all
    select * from syncs
    union all
    select * from sync_warnings
    union all
    select * from supersessions
    union all
    select * from finance_files
),

final as (
    select
        cast(checked_at as timestamp) as checked_at,
        cast(layer as varchar) as layer,
        cast(table_name as varchar) as table_name,
        cast(check_name as varchar) as check_name,
        cast(severity as varchar) as severity,
        cast(passed as boolean) as passed,
        cast(failing_rows as bigint) as failing_rows,
        cast(detail as varchar) as detail,
        cast(run_id as varchar) as run_id,
        -- every row of a run carries the run's start: Dagster's, else its earliest sync
        cast(min(run_started_candidate) over (partition by run_id) as timestamp) as run_started_at
    from unioned
)

select * from final
