with

forecast_lines as (
    select * from {{ ref('int_forecast_lines_converted') }}
),

monthly as (
    select
        project_sys_id,
        upper(trim(wbs_code)) as wbs_code,
        month_start_date,
        expense_type,
        version,
        min(version_month_date) as version_month_date,
        sum(amount) as forecast_amount,
        count(*) as forecast_line_count
    from forecast_lines
    group by 1, 2, 3, 4, 5
),

final as (
    select
        {{ surrogate_key(["'forecast'", 'monthly.wbs_code', 'monthly.month_start_date',
                          'monthly.expense_type', 'monthly.version']) }} as forecast_key,
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        monthly.month_start_date,
        project_versions.project_number as project_id,
        monthly.wbs_code,
        monthly.expense_type,
        monthly.version,
        monthly.version_month_date,
        cast(monthly.forecast_amount as decimal(38, 6)) as forecast_amount,
        monthly.forecast_line_count
    from monthly
    {{ project_version_join('project_versions', 'monthly.project_sys_id', 'monthly.month_start_date') }}
)

select * from final
