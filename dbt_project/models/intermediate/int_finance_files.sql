{#- Which finance export files are in force, and which were superseded by a newer one: the one
    place that decides when a file's rejects stop counting (docs/contract.md §4 "Rejects").
    Which file is newer is finance_file_order (arrival, then the export date in the name). -#}
with

files as (
    select * from {{ ref('stg_finance__files') }}
),

ordered_files as (
    select
        *,
        -- 1 = the newest file of all
        row_number() over (order by {{ finance_file_order('files') }}) as newness_rank
    from files
),

-- every period a file holds rows for, and whether its rows are the ones in force there; each kind
-- has its own owner of that rule (int_gl_file_periods, flag_newest_file_per_period)
periods as (
    select
        'gl_actuals' as file_kind,
        company_code || '|' || fiscal_year || '|' || fiscal_period as period_key,
        file_sha256,
        is_in_force
    from {{ ref('int_gl_file_periods') }}
    union all
    select distinct 'forecast', fiscal_year || '|' || version, file_sha256, is_in_force
    from {{ ref('stg_finance__forecast') }}
    union all
    select distinct 'fx_rates', period || '|' || currency, file_sha256, is_in_force
    from {{ ref('stg_finance__fx_rates') }}
),

period_holders as (
    select periods.file_kind, periods.period_key, ordered_files.file_sha256, ordered_files.newness_rank
    from periods
    inner join ordered_files
        on periods.file_sha256 = ordered_files.file_sha256
    where periods.is_in_force
),

by_periods as (
    select
        periods.file_sha256,
        count(*) as period_count,
        count(*) filter (where periods.is_in_force) as periods_in_force,
        -- the newest of the files that now hold its replaced periods
        arg_min(period_holders.file_sha256, period_holders.newness_rank)
        filter (where not periods.is_in_force) as periods_now_in_file_sha256
    from periods
    left join period_holders
        on periods.file_kind = period_holders.file_kind
        and periods.period_key = period_holders.period_key
    group by 1
),

-- the next newer file with the same name: the corrected version of this one
renewed as (
    select
        file_sha256,
        lag(file_sha256) over (partition by file_name order by newness_rank) as renewed_by_file_sha256
    from ordered_files
),

decided as (
    select
        ordered_files.*,
        coalesce(by_periods.period_count, 0) as period_count,
        coalesce(by_periods.periods_in_force, 0) as periods_in_force,
        case
            when renewed.renewed_by_file_sha256 is not null then 'same_name'
            when by_periods.period_count > 0 and by_periods.periods_in_force = 0 then 'periods_replaced'
        end as superseded_reason,
        case
            when renewed.renewed_by_file_sha256 is not null then renewed.renewed_by_file_sha256
            when by_periods.period_count > 0 and by_periods.periods_in_force = 0
                then by_periods.periods_now_in_file_sha256
        end as superseded_by_file_sha256
    from ordered_files
    left join by_periods
        on ordered_files.file_sha256 = by_periods.file_sha256
    left join renewed
        on ordered_files.file_sha256 = renewed.file_sha256
),

final as (
    select
        decided.file_sha256,
        decided.file_name,
        decided.file_kind,
        decided.run_id,
        decided.arrived_at,
        decided.export_date,
        decided.newness_rank,
        coalesce(decided.rows_loaded, 0) as rows_loaded,
        coalesce(decided.rows_rejected, 0) as rows_rejected,
        cast(
            coalesce(decided.rows_rejected, 0)
            / nullif(coalesce(decided.rows_loaded, 0) + coalesce(decided.rows_rejected, 0), 0)
            as double
        ) as reject_ratio,
        coalesce(decided.rows_rejected, 0) > {{ var('finance_max_reject_ratio') }}
        * (coalesce(decided.rows_loaded, 0) + coalesce(decided.rows_rejected, 0)) as is_over_reject_limit,
        decided.period_count,
        decided.periods_in_force,
        decided.superseded_reason is null as is_in_force,
        decided.superseded_reason,
        decided.superseded_by_file_sha256,
        successors.file_name as superseded_by_file_name,
        successors.run_id as superseded_by_run_id,
        successors.arrived_at as superseded_at
    from decided
    left join ordered_files as successors
        on decided.superseded_by_file_sha256 = successors.file_sha256
)

select * from final
