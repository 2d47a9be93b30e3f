{#- Stage gates per portfolio × phase × month (docs/kpis.md "Stage gates"). -#}
with

gates as (
    select * from {{ ref('fct_stage_gate') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

-- a project counts in the portfolio it is in now; projects without one are not summarised
portfolio_gates as (
    select gates.*, portfolios.portfolio_name as portfolio_label
    from gates
    inner join portfolios
        on gates.portfolio_key = portfolios.portfolio_key
    where gates.portfolio_key <> {{ unknown_key() }}
),

-- the row set starts at a portfolio's first month with a gate planned or passed
first_months as (
    select
        portfolio_key,
        min(least(
            coalesce(date_trunc('month', planned_gate_date), date '9999-12-01'),
            coalesce(date_trunc('month', actual_gate_date), date '9999-12-01')
        )) as first_month
    from portfolio_gates
    group by 1
),

portfolio_phases as (
    select distinct portfolio_key, portfolio_label as portfolio_name, phase
    from portfolio_gates
),

months as (
    select
        portfolio_phases.portfolio_key,
        portfolio_phases.portfolio_name,
        portfolio_phases.phase,
        cast(months.month_start as date) as month_start_date
    from portfolio_phases
    inner join first_months
        on portfolio_phases.portfolio_key = first_months.portfolio_key
    cross join
        lateral (
            {{ months_through_as_of('first_months.first_month') }}
        ) as months
    where first_months.first_month <= date_trunc('month', {{ as_of_date() }})
),

grid as (
    select
        months.*,
        -- the last day that counts: the month's end, the as-of date in the as-of month
        {{ counted_month_end('months.month_start_date') }} as cutoff_date
    from months
),

passed as (
    select
        grid.portfolio_key,
        grid.phase,
        grid.month_start_date,
        count(*) as gates_passed_count,
        count(*) filter (where portfolio_gates.is_passed_late) as gates_passed_late_count,
        quantile_cont(portfolio_gates.days_in_phase, 0.5) as median_days_in_phase,
        quantile_cont(portfolio_gates.days_in_phase, 0.85) as p85_days_in_phase
    from grid
    inner join portfolio_gates
        on grid.portfolio_key = portfolio_gates.portfolio_key
        and grid.phase = portfolio_gates.phase
        and date_trunc('month', portfolio_gates.actual_gate_date) = grid.month_start_date
    group by 1, 2, 3
),

due as (
    select
        grid.portfolio_key,
        grid.phase,
        grid.month_start_date,
        count(*) as gates_due_count
    from grid
    inner join portfolio_gates
        on grid.portfolio_key = portfolio_gates.portfolio_key
        and grid.phase = portfolio_gates.phase
        and date_trunc('month', portfolio_gates.planned_gate_date) = grid.month_start_date
    group by 1, 2, 3
),

-- overdue at the month's last counted day: planned before it, not closed by it (closed_date is
-- already cut at the as-of date, so a later closing is not known here)
overdue as (
    select
        grid.portfolio_key,
        grid.phase,
        grid.month_start_date,
        count(*) as gates_overdue_count
    from grid
    inner join portfolio_gates
        on grid.portfolio_key = portfolio_gates.portfolio_key
        and grid.phase = portfolio_gates.phase
        and portfolio_gates.planned_gate_date < grid.cutoff_date
        and (portfolio_gates.closed_date is null or portfolio_gates.closed_date > grid.cutoff_date)
    group by 1, 2, 3
),

final as (
    select
        cast(grid.portfolio_key as varchar) as portfolio_key,
        cast(grid.portfolio_name as varchar) as portfolio_name,
        cast(grid.phase as varchar) as phase,
        cast(grid.month_start_date as date) as month_start_date,
        cast(coalesce(due.gates_due_count, 0) as bigint) as gates_due_count,
        cast(coalesce(passed.gates_passed_count, 0) as bigint) as gates_passed_count,
        cast(coalesce(passed.gates_passed_late_count, 0) as bigint) as gates_passed_late_count,
        cast({{ ratio('passed.gates_passed_count - passed.gates_passed_late_count',
                      'passed.gates_passed_count') }} as double)
            as on_time_gate_ratio,
        cast(coalesce(overdue.gates_overdue_count, 0) as bigint) as gates_overdue_count,
        cast(passed.median_days_in_phase as double) as median_days_in_phase,
        cast(passed.p85_days_in_phase as double) as p85_days_in_phase,
        cast({{ is_as_of_month('grid.month_start_date') }} as boolean) as is_partial_month,
        cast({{ as_of_date() }} as date) as as_of_date
    from grid
    left join passed
        on grid.portfolio_key = passed.portfolio_key
        and grid.phase = passed.phase
        and grid.month_start_date = passed.month_start_date
    left join due
        on grid.portfolio_key = due.portfolio_key
        and grid.phase = due.phase
        and grid.month_start_date = due.month_start_date
    left join overdue
        on grid.portfolio_key = overdue.portfolio_key
        and grid.phase = overdue.phase
        and grid.month_start_date = overdue.month_start_date
)

select * from final
