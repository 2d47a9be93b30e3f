{#- One line per governance forum, for the CLI and a report's first page: every figure is a row or
    a sum of rows of the governance marts, as of the as-of date. Nothing here is a rule of its own. -#}
with

stage_gates as (
    select * from {{ ref('kpi_stage_gates') }}
    where month_start_date = date_trunc('month', {{ as_of_date() }})
),

demand as (
    select * from {{ ref('kpi_demand_pipeline') }}
    where month_start_date = date_trunc('month', {{ as_of_date() }})
),

time_sheets as (
    select * from {{ ref('kpi_timesheet_compliance') }}
),

vendors as (
    select * from {{ ref('kpi_vendor_performance') }}
    where month_start_date = date_trunc('month', {{ as_of_date() }})
),

dependencies as (
    select * from {{ ref('kpi_dependency_risk') }}
),

month_label as (
    select strftime({{ as_of_date() }}, '%B %Y') as label
),

gate_figures as (
    select
        coalesce(sum(gates_overdue_count), 0) as overdue,
        count(distinct portfolio_key) filter (where gates_overdue_count > 0) as portfolios,
        coalesce(sum(gates_passed_count), 0) as passed,
        coalesce(sum(gates_passed_late_count), 0) as passed_late
    from stage_gates
),

demand_figures as (
    select
        coalesce(sum(open_backlog_count), 0) as open_count,
        count(distinct portfolio_key) filter (where open_backlog_count > 0) as portfolios,
        coalesce(sum(open_backlog_estimated_cost_amount), 0) as estimated_cost,
        {{ ratio('sum(open_backlog_effort_hours)', 'sum(uncommitted_capacity_hours)') }} as capacity_ratio
    from demand
),

-- the latest week whose deadline has passed
due_week as (
    select max(week_start_date) as week_start_date from time_sheets where is_due
),

sheet_figures as (
    select
        any_value(due_week.week_start_date) as week_start_date,
        count(*) filter (where time_sheets.is_missing) as missing,
        count(*) filter (where time_sheets.is_expected) as expected,
        count(*) filter (where time_sheets.is_expected and time_sheets.is_late) as late
    from due_week
    left join time_sheets
        on time_sheets.week_start_date = due_week.week_start_date
),

vendor_figures as (
    select
        count(*) filter (where line_count > 0) as vendor_count,
        coalesce(sum(spend_amount), 0) as spend,
        first(vendor_name order by spend_amount desc, vendor_id) as largest_vendor,
        max(share_of_month_spend_ratio) as largest_share
    from vendors
),

dependency_figures as (
    select
        count(*) filter (where is_at_risk) as at_risk,
        count(*) as open_pairs,
        count(distinct blocked_project_key) filter (where is_at_risk) as blocked_projects
    from dependencies
),

lines as (
    select
        1 as topic_order,
        'stage_gates' as topic,
        format(
            'gates overdue: {:,} in {:,} portfolio{}; {:,} passed in {} ({:,} late)',
            overdue, portfolios, case when portfolios = 1 then '' else 's' end, passed, month_label.label, passed_late
        ) as headline,
        overdue as primary_count,
        portfolios as scope_count,
        cast(null as decimal(38, 6)) as amount,
        cast(null as double) as ratio
    from gate_figures cross join month_label
    union all
    select
        2,
        'demand_intake',
        format(
            -- one sentence, kept on one line so it reads as it prints
            'demands open: {:,} in {:,} portfolio{}, {:,} estimated; their effort is {} of the free capacity of the next 12 months', -- noqa: LT05
            open_count, portfolios, case when portfolios = 1 then '' else 's' end, round(estimated_cost)::bigint,
            coalesce(format('{:.1f} %', capacity_ratio * 100), 'none')
        ),
        open_count,
        portfolios,
        estimated_cost,
        capacity_ratio
    from demand_figures
    union all
    select
        3,
        'time_sheets',
        case
            when week_start_date is null then 'time sheets: none due yet'
            else format(
                    'time sheets missing: {:,} of {:,} expected for the week of {} ({:,} late)',
                    missing, expected, strftime(week_start_date, '%Y-%m-%d'), late
                )
        end,
        missing,
        expected,
        cast(null as decimal(38, 6)),
        {{ ratio('missing', 'expected') }}
    from sheet_figures
    union all
    select
        4,
        'vendors',
        case
            when vendor_count = 0 then format('vendor spend {}: none', month_label.label)
            else format(
                    'vendor spend {}: {:,} with {:,} vendor{}; the largest, {}, {} of it',
                    month_label.label,
                    round(spend)::bigint,
                    vendor_count,
                    case when vendor_count = 1 then '' else 's' end,
                    largest_vendor, coalesce(format('{:.1f} %', largest_share * 100), 'an unknown share')
                )
        end,
        vendor_count,
        -- a union branch, named by the first one: the same figure fills two columns here
        vendor_count,  -- noqa: AL08
        spend,
        largest_share
    from vendor_figures cross join month_label
    union all
    select
        5,
        'dependencies',
        format(
            'dependencies at risk: {:,} of {:,} open cross-project dependencies, blocking {:,} project{}',
            at_risk, open_pairs, blocked_projects, case when blocked_projects = 1 then '' else 's' end
        ),
        at_risk,
        blocked_projects,
        cast(null as decimal(38, 6)),
        {{ ratio('at_risk', 'open_pairs') }}
    from dependency_figures
),

final as (
    select
        cast(topic_order as integer) as topic_order,
        cast(topic as varchar) as topic,
        cast(headline as varchar) as headline,
        cast(primary_count as bigint) as primary_count,
        cast(scope_count as bigint) as scope_count,
        cast(amount as decimal(38, 6)) as amount,
        cast(ratio as double) as ratio,
        cast({{ as_of_date() }} as date) as as_of_date
    from lines
)

select * from final
