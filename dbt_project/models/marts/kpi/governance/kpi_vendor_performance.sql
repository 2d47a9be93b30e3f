{#- Vendor performance per vendor × month (docs/kpis.md "Vendors"). -#}
with

spend as (
    select * from {{ ref('fct_spend') }}
),

vendors as (
    select * from {{ ref('dim_vendor') }}
),

projects as (
    select * from {{ ref('dim_project') }}
),

scorecard as (
    select * from {{ ref('kpi_project_scorecard') }}
),

-- GL lines through the as-of month, each with its project as it is now (portfolio, health as of
-- the as-of date); a line whose WBS maps to no project has no project and no portfolio
lines as (
    select
        spend.vendor_key,
        spend.month_start_date,
        spend.expense_type,
        spend.spend_amount,
        current_projects.project_sys_id,
        case when current_projects.portfolio_key <> {{ unknown_key() }} then current_projects.portfolio_key end
            as portfolio_key,
        scorecard.overall_health
    from spend
    left join projects as line_projects
        on spend.project_key = line_projects.project_key
    left join projects as current_projects
        on line_projects.project_sys_id = current_projects.project_sys_id
        and current_projects.is_current
    left join scorecard
        on current_projects.project_key = scorecard.project_key
    where spend.month_start_date <= date_trunc('month', {{ as_of_date() }})
),

monthly as (
    select
        vendor_key,
        month_start_date,
        sum(case when expense_type = 'capex' then spend_amount else 0 end) as capex_amount,
        sum(case when expense_type = 'opex' then spend_amount else 0 end) as opex_amount,
        sum(spend_amount) as spend_amount,
        count(*) as line_count,
        count(distinct project_sys_id) as project_count,
        count(distinct portfolio_key) as portfolio_count,
        sum(case when overall_health in ('red', 'amber') then spend_amount else 0 end) as red_amber_project_spend_amount
    from lines
    group by 1, 2
),

month_totals as (
    select month_start_date, sum(spend_amount) as total_spend_amount
    from lines
    group by 1
),

-- every vendor, every month from its first month with a line through the as-of month
grid as (
    select
        first_months.vendor_key,
        cast(months.month_start as date) as month_start_date
    from (
        select vendor_key, min(month_start_date) as first_month from lines group by 1
    ) as first_months
    cross join lateral (
        {{ months_through_as_of('first_months.first_month') }}
    ) as months
),

filled as (
    select
        grid.vendor_key,
        grid.month_start_date,
        coalesce(monthly.capex_amount, 0) as capex_amount,
        coalesce(monthly.opex_amount, 0) as opex_amount,
        coalesce(monthly.spend_amount, 0) as spend_amount,
        coalesce(monthly.line_count, 0) as line_count,
        coalesce(monthly.project_count, 0) as project_count,
        coalesce(monthly.portfolio_count, 0) as portfolio_count,
        coalesce(monthly.red_amber_project_spend_amount, 0) as red_amber_project_spend_amount,
        month_totals.total_spend_amount
    from grid
    left join monthly
        on grid.vendor_key = monthly.vendor_key
        and grid.month_start_date = monthly.month_start_date
    left join month_totals
        on grid.month_start_date = month_totals.month_start_date
),

final as (
    select
        cast(filled.vendor_key as varchar) as vendor_key,
        cast(vendors.vendor_id as varchar) as vendor_id,
        cast(vendors.vendor_name as varchar) as vendor_name,
        cast(filled.month_start_date as date) as month_start_date,
        cast(filled.capex_amount as decimal(38, 6)) as capex_amount,
        cast(filled.opex_amount as decimal(38, 6)) as opex_amount,
        cast(filled.spend_amount as decimal(38, 6)) as spend_amount,
        cast(filled.line_count as bigint) as line_count,
        cast(filled.project_count as bigint) as project_count,
        cast(filled.portfolio_count as bigint) as portfolio_count,
        cast({{ ratio('filled.spend_amount', 'filled.total_spend_amount') }} as double) as share_of_month_spend_ratio,
        cast(sum(filled.spend_amount) over (
            partition by filled.vendor_key order by filled.month_start_date
            rows between unbounded preceding and current row
        ) as decimal(38, 6)) as cumulative_spend_amount,
        cast(filled.red_amber_project_spend_amount as decimal(38, 6)) as red_amber_project_spend_amount,
        cast({{ is_as_of_month('filled.month_start_date') }} as boolean) as is_partial_month,
        cast({{ as_of_date() }} as date) as as_of_date
    from filled
    inner join vendors
        on filled.vendor_key = vendors.vendor_key
)

select * from final
