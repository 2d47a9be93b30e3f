with

-- each version of each fiscal year from the newest file holding it
forecast as (
    select * exclude (is_in_force) from {{ ref('stg_finance__forecast') }}
    where is_in_force
),

wbs_codes as (
    select * from {{ ref('int_wbs_codes_mapped') }}
),

placed as (
    select
        forecast.*,
        {{ fiscal_month_start('forecast.fiscal_year', 'forecast.fiscal_period') }} as month_start_date,
        cast(strptime(forecast.version, '%Y-%m') as date) as version_month_date
    from forecast
),

converted as (
    select
        placed.*,
        -- a forecast month usually has no rate yet: the latest earlier rate is used (docs/kpis.md "Money")
        {{ fx_rate('fx', 'placed.currency') }} as fx_rate,
        wbs_codes.project_sys_id,
        coalesce(wbs_codes.is_matched, false) as is_wbs_matched
    from placed
    {{ fx_asof_join('fx', 'placed.currency', 'placed.month_start_date') }}
    left join wbs_codes
        on upper(trim(placed.wbs_code)) = wbs_codes.wbs_code
),

final as (
    select
        *,
        amount_local * fx_rate as amount
    from converted
)

select * from final
