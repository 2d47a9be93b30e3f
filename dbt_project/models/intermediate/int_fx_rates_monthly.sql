with

-- the rate of each month and currency from the newest file holding it
rates as (
    select * exclude (is_in_force) from {{ ref('stg_finance__fx_rates') }}
    where is_in_force
),

-- The finance export quotes every currency against its own base. When var reporting_currency
-- is that base it has no row and a rate of 1 (docs/kpis.md "Money"); when it is another currency
-- with rows, amounts are cross-rated through it.
reporting_currency_rates as (
    select month_start_date, rate_to_reporting as reporting_currency_rate
    from rates
    where currency = {{ sql_string(var("reporting_currency")) }}
),

has_reporting_currency_rates as (
    select count(*) > 0 as has_rows from reporting_currency_rates
),

cross_rated as (
    select
        rates.currency,
        rates.month_start_date,
        rates.period,
        case
            when rates.currency = {{ sql_string(var("reporting_currency")) }} then cast(1 as decimal(38, 10))
            when not has_reporting_currency_rates.has_rows then rates.rate_to_reporting
            else cast(rates.rate_to_reporting / reporting_currency_rates.reporting_currency_rate as decimal(38, 10))
        end as rate_to_reporting_currency
    from rates
    cross join has_reporting_currency_rates
    -- the reporting currency's own rate of that month, or the latest earlier one
    asof left join reporting_currency_rates
        on rates.month_start_date >= reporting_currency_rates.month_start_date
),

final as (
    select * from cross_rated
)

select * from final
