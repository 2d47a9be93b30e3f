with

-- each version of each fiscal year from the newest file holding it
forecast as (
    select * exclude (is_in_force) from {{ ref('stg_finance__forecast') }}
    where is_in_force
),

placed as (
    select
        forecast.*,
        {{ fiscal_month_start('forecast.fiscal_year', 'forecast.fiscal_period') }} as month_start_date,
        cast(strptime(forecast.version, '%Y-%m') as date) as version_month_date
    from forecast
),

-- a forecast month usually has no rate yet: the latest earlier rate is used (docs/kpis.md "Money")
converted as (
    {{ finance_lines_converted('placed', rate='latest_earlier') }}
),

final as (
    select
        *,
        amount_local * fx_rate as amount
    from converted
)

select * from final
