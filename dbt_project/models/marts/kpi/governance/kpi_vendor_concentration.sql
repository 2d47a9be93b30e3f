{#- How concentrated each portfolio's spend is on its biggest vendors, per portfolio × month. -#}
with

performance_lines as (
    select * from {{ ref('fct_spend') }}
),

vendors as (
    select * from {{ ref('dim_vendor') }}
),

projects as (
    select * from {{ ref('dim_project') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

-- spend of each portfolio's projects (the portfolio each is in now), by vendor and month
portfolio_vendor_months as (
    select
        current_projects.portfolio_key,
        performance_lines.vendor_key,
        performance_lines.month_start_date,
        sum(performance_lines.spend_amount) as spend_amount
    from performance_lines
    inner join projects as line_projects
        on performance_lines.project_key = line_projects.project_key
    inner join projects as current_projects
        on line_projects.project_sys_id = current_projects.project_sys_id
        and current_projects.is_current
    where performance_lines.month_start_date <= date_trunc('month', {{ as_of_date() }})
        and current_projects.portfolio_key <> {{ unknown_key() }}
    group by 1, 2, 3
),

-- the vendors of a portfolio's month ranked by spend, largest first (ties: the lower vendor id);
-- the unknown vendor is one vendor among the others
ranked as (
    select
        portfolio_vendor_months.*,
        row_number() over (
            partition by portfolio_vendor_months.portfolio_key, portfolio_vendor_months.month_start_date
            order by portfolio_vendor_months.spend_amount desc, vendors.vendor_id
        ) as vendor_rank
    from portfolio_vendor_months
    inner join vendors
        on portfolio_vendor_months.vendor_key = vendors.vendor_key
),

monthly as (
    select
        portfolio_key,
        month_start_date,
        count(*) as vendor_count,
        sum(spend_amount) as spend_amount,
        sum(case when vendor_rank <= 5 then spend_amount else 0 end) as top_5_vendor_spend_amount,
        max(case when vendor_rank = 1 then spend_amount end) as largest_vendor_spend_amount
    from ranked
    group by 1, 2
),

grid as (
    select
        first_months.portfolio_key,
        cast(months.month_start as date) as month_start_date
    from (
        select portfolio_key, min(month_start_date) as first_month from portfolio_vendor_months group by 1
    ) as first_months
    cross join lateral (
        {{ months_through_as_of('first_months.first_month') }}
    ) as months
),

final as (
    select
        cast(grid.portfolio_key as varchar) as portfolio_key,
        cast(portfolios.portfolio_name as varchar) as portfolio_name,
        cast(grid.month_start_date as date) as month_start_date,
        cast(coalesce(monthly.vendor_count, 0) as bigint) as vendor_count,
        cast(coalesce(monthly.spend_amount, 0) as decimal(38, 6)) as spend_amount,
        cast(coalesce(monthly.top_5_vendor_spend_amount, 0) as decimal(38, 6)) as top_5_vendor_spend_amount,
        cast(
            {{ ratio('monthly.top_5_vendor_spend_amount', 'monthly.spend_amount') }} as double
        ) as top_5_vendor_share_ratio,
        cast(
            {{ ratio('monthly.largest_vendor_spend_amount', 'monthly.spend_amount') }} as double
        ) as largest_vendor_share_ratio,
        cast({{ is_as_of_month('grid.month_start_date') }} as boolean) as is_partial_month,
        cast({{ as_of_date() }} as date) as as_of_date
    from grid
    inner join portfolios
        on grid.portfolio_key = portfolios.portfolio_key
    left join monthly
        on grid.portfolio_key = monthly.portfolio_key
        and grid.month_start_date = monthly.month_start_date
)

select * from final
