with

fiscal_periods as (
    select * from {{ ref('stg_servicenow__fiscal_period') }}
),

-- Plan and benefit breakdowns are placed in time by their fiscal period; only month periods
-- count (docs/kpis.md "Months"): a breakdown on a quarter or year period would double count.
final as (
    select
        fiscal_period_sys_id,
        fiscal_period_name,
        cast(date_trunc('month', fiscal_start_date) as date) as month_start_date,
        {{ fiscal_year_of('fiscal_start_date') }} as fiscal_year
    from fiscal_periods
    where fiscal_type = 'month'
)

select * from final
