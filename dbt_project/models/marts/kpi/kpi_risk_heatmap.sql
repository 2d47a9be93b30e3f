with

risks as (
    select * from {{ ref('fct_risk') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

-- cells with at least one open risk; risks are taken as they are now (no history in the source)
cells as (
    select
        risks.portfolio_key,
        risks.probability_bucket,
        risks.impact_bucket,
        count(*) as open_risk_count,
        sum(risks.exposure_amount) as exposure_amount
    from risks
    where risks.is_open
    group by 1, 2, 3
),

final as (
    select
        cast(cells.portfolio_key as varchar) as portfolio_key,
        cast(portfolios.portfolio_name as varchar) as portfolio_name,
        cast(cells.probability_bucket as integer) as probability_bucket,
        cast(cells.impact_bucket as integer) as impact_bucket,
        cast(cells.open_risk_count as bigint) as open_risk_count,
        cast(coalesce(cells.exposure_amount, 0) as decimal(38, 6)) as exposure_amount
    from cells
    left join portfolios
        on cells.portfolio_key = portfolios.portfolio_key
)

select * from final
