{#- The demand intake pipeline per portfolio × month (docs/kpis.md "Demand intake"). -#}
with

demands as (
    select * from {{ ref('stg_servicenow__dmn_demand') }}
),

events as (
    select * from {{ ref('int_demand_events') }}
),

history as (
    select * from {{ ref('int_demand_history') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

-- a demand counts in the portfolio it names now; one that names none is in the unknown portfolio
demand_portfolios as (
    select
        demands.demand_sys_id,
        demands.submitted_date,
        demands.estimated_cost,
        demands.estimated_effort_hours,
        coalesce(portfolios.portfolio_key, {{ unknown_key() }}) as portfolio_key,
        coalesce(portfolios.portfolio_name, 'Unknown') as portfolio_name
    from demands
    left join portfolios
        on demands.portfolio_sys_id = portfolios.portfolio_sys_id
),

-- every portfolio with a demand submitted by the as-of date, from the month of its first submission
first_months as (
    select portfolio_key, portfolio_name, min(date_trunc('month', submitted_date)) as first_month
    from demand_portfolios
    where submitted_date <= {{ as_of_date() }}
    group by 1, 2
),

grid as (
    select
        first_months.portfolio_key,
        first_months.portfolio_name,
        cast(months.month_start as date) as month_start_date,
        {{ counted_month_end('cast(months.month_start as date)') }} as cutoff_date
    from first_months
    cross join lateral (
        {{ months_through_as_of('first_months.first_month') }}
    ) as months
),

-- events of each month, up to the as-of date
dated_events as (
    select
        events.event,
        events.event_date,
        demand_portfolios.portfolio_key,
        demand_portfolios.submitted_date
    from events
    inner join demand_portfolios
        on events.demand_sys_id = demand_portfolios.demand_sys_id
    where events.event_date <= {{ as_of_date() }}
),

monthly_events as (
    select
        portfolio_key,
        cast(date_trunc('month', event_date) as date) as month_start_date,
        count(*) filter (where event = 'submitted') as submitted_count,
        count(*) filter (where event = 'screened') as screened_count,
        count(*) filter (where event = 'qualified') as qualified_count,
        count(*) filter (where event = 'approved') as approved_count,
        count(*) filter (where event = 'rejected') as rejected_count,
        count(*) filter (where event = 'deferred') as deferred_count,
        count(*) filter (where event = 'converted') as converted_count,
        -- a decision is an approval, a rejection or a deferral; each counts in its own month
        quantile_cont(
            case
                when event in ('approved', 'rejected', 'deferred') then date_diff('day', submitted_date, event_date)
            end,
            0.5
        ) as median_days_to_decision
    from dated_events
    group by 1, 2
),

-- the state each demand was in at each month's cut-off: its latest landed version on or before
-- that day; with no version that old (the warehouse first saw it later), it was still waiting,
-- having been submitted
states_at_cutoff as (
    select
        grid.portfolio_key,
        grid.month_start_date,
        grid.cutoff_date,
        demand_portfolios.demand_sys_id,
        demand_portfolios.submitted_date,
        demand_portfolios.estimated_cost,
        demand_portfolios.estimated_effort_hours,
        (
            select arg_max(history.state, history.version_number)
            from history
            where history.demand_sys_id = demand_portfolios.demand_sys_id
                and history.version_date <= grid.cutoff_date
        ) as state_at_cutoff,
        (
            select arg_max(coalesce(history.project_sys_id, ''), history.version_number)
            from history
            where history.demand_sys_id = demand_portfolios.demand_sys_id
                and history.version_date <= grid.cutoff_date
        ) as project_at_cutoff,
        exists(
            select 1 from history
            where history.demand_sys_id = demand_portfolios.demand_sys_id
                and history.version_date <= grid.cutoff_date
        ) as has_version_by_cutoff
    from grid
    inner join demand_portfolios
        on grid.portfolio_key = demand_portfolios.portfolio_key
        and demand_portfolios.submitted_date <= grid.cutoff_date
),

backlog as (
    select
        portfolio_key,
        month_start_date,
        count(*) as open_backlog_count,
        sum(estimated_cost) as open_backlog_estimated_cost,
        sum(estimated_effort_hours) as open_backlog_effort_hours,
        quantile_cont(date_diff('day', submitted_date, cutoff_date), 0.5) as median_open_age_days,
        quantile_cont(date_diff('day', submitted_date, cutoff_date), 0.85) as p85_open_age_days
    from states_at_cutoff
    where not has_version_by_cutoff
        or (state_at_cutoff in ('submitted', 'screening', 'qualified') and project_at_cutoff = '')
    group by 1, 2
),

-- the capacity screen, on the as-of month's row: the twelve calendar months after the as-of month
capacity_window as (
    select
        cast(date_trunc('month', {{ as_of_date() }}) + interval 1 month as date) as window_start_date,
        cast(date_trunc('month', {{ as_of_date() }}) + interval 13 month - interval 1 day as date) as window_end_date
),

window_weekdays as (
    select count(*) as weekday_count
    from capacity_window
    cross join
        lateral (
            select unnest(generate_series(window_start_date, window_end_date, interval 1 day)) as day
        ) as days
    where isodow(days.day) <= 5
),

people as (
    select
        users.user_sys_id,
        cast(users.weekly_capacity_hours as double) / 5 * window_weekdays.weekday_count as capacity_hours
    from {{ ref('int_servicenow_people') }} as users
    cross join window_weekdays
    -- one row per person (int_servicenow_people): a person on two instances has one capacity
    where users.is_person and users.is_active and users.weekly_capacity_hours > 0
),

committed as (
    select plans.user_sys_id, sum(plans.planned_hours) as committed_hours
    from {{ ref('int_resource_plans_daily') }} as plans
    cross join capacity_window
    where plans.is_counted
        and plans.plan_date between capacity_window.window_start_date and capacity_window.window_end_date
    group by 1
),

free_people as (
    select
        people.user_sys_id,
        greatest(people.capacity_hours - coalesce(committed.committed_hours, 0), 0) as uncommitted_hours
    from people
    left join committed
        on people.user_sys_id = committed.user_sys_id
),

-- whose free time is whose: a person's free hours are shared among portfolios as their counted
-- hours were over the twelve months that end with the as-of month
recent_hours as (
    select
        cards.user_sys_id,
        projects.portfolio_key,
        sum(cards.hours) as hours
    from {{ ref('int_time_cards_unpivoted') }} as cards
    inner join {{ ref('dim_project') }} as projects
        on cards.project_sys_id = projects.project_sys_id
        and projects.is_current
    where cards.is_counted
        and cards.work_date
        between cast(date_trunc('month', {{ as_of_date() }}) - interval 11 month as date) and {{ as_of_date() }}
        and projects.portfolio_key <> {{ unknown_key() }}
    group by 1, 2
),

shares as (
    select
        user_sys_id,
        portfolio_key,
        hours / sum(hours) over (partition by user_sys_id) as share
    from recent_hours
),

portfolio_capacity as (
    select shares.portfolio_key, sum(shares.share * free_people.uncommitted_hours) as uncommitted_capacity_hours
    from shares
    inner join free_people
        on shares.user_sys_id = free_people.user_sys_id
    group by 1
),

final as (
    select
        cast(grid.portfolio_key as varchar) as portfolio_key,
        cast(grid.portfolio_name as varchar) as portfolio_name,
        cast(grid.month_start_date as date) as month_start_date,
        cast(coalesce(monthly_events.submitted_count, 0) as bigint) as submitted_count,
        cast(coalesce(monthly_events.screened_count, 0) as bigint) as screened_count,
        cast(coalesce(monthly_events.qualified_count, 0) as bigint) as qualified_count,
        cast(coalesce(monthly_events.approved_count, 0) as bigint) as approved_count,
        cast(coalesce(monthly_events.rejected_count, 0) as bigint) as rejected_count,
        cast(coalesce(monthly_events.deferred_count, 0) as bigint) as deferred_count,
        cast(coalesce(monthly_events.converted_count, 0) as bigint) as converted_count,
        cast(
            coalesce(monthly_events.approved_count + monthly_events.rejected_count + monthly_events.deferred_count, 0)
            as bigint
        ) as decided_count,
        cast(
            {{ ratio('monthly_events.approved_count',
                     'monthly_events.approved_count + monthly_events.rejected_count + monthly_events.deferred_count') }}
            as double
        ) as approval_ratio,
        cast(monthly_events.median_days_to_decision as double) as median_days_to_decision,
        cast(coalesce(backlog.open_backlog_count, 0) as bigint) as open_backlog_count,
        cast(coalesce(backlog.open_backlog_estimated_cost, 0) as decimal(38, 6)) as open_backlog_estimated_cost_amount,
        cast(coalesce(backlog.open_backlog_effort_hours, 0) as double) as open_backlog_effort_hours,
        cast(backlog.median_open_age_days as double) as median_open_age_days,
        cast(backlog.p85_open_age_days as double) as p85_open_age_days,
        cast(
            case
                when {{ is_as_of_month('grid.month_start_date') }}
                    then coalesce(portfolio_capacity.uncommitted_capacity_hours, 0)
            end
            as double
        ) as uncommitted_capacity_hours,
        cast(
            case
                when {{ is_as_of_month('grid.month_start_date') }}
                    then {{ ratio('coalesce(backlog.open_backlog_effort_hours, 0)',
                                  'portfolio_capacity.uncommitted_capacity_hours') }}
            end
            as double
        ) as backlog_capacity_ratio,
        cast({{ is_as_of_month('grid.month_start_date') }} as boolean) as is_partial_month,
        cast({{ as_of_date() }} as date) as as_of_date
    from grid
    left join monthly_events
        on grid.portfolio_key = monthly_events.portfolio_key
        and grid.month_start_date = monthly_events.month_start_date
    left join backlog
        on grid.portfolio_key = backlog.portfolio_key
        and grid.month_start_date = backlog.month_start_date
    left join portfolio_capacity
        on grid.portfolio_key = portfolio_capacity.portfolio_key
)

select * from final
