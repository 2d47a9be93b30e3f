with

source as (
    {{ latest_versions(source('finance', 'forecast')) }}
),

renamed as (
    select
        ---------- ids
        natural_key as forecast_line_key,
        nullif(trim({{ json_text('$.wbs_code') }}), '') as wbs_code,
        {{ json_text('$.cost_center') }} as cost_center_code,
        ---------- attributes
        {{ json_text('$.version') }} as version,
        lower({{ json_text('$.expense_type') }}) as expense_type,
        upper({{ json_text('$.currency') }}) as currency,
        cast({{ json_text('$.fiscal_year') }} as integer) as fiscal_year,
        record,
        ---------- lineage
        {{ finance_file_columns() }}
    from source
),

flagged as (
    -- a corrected forecast file replaces that version of that fiscal year
    {{ flag_newest_file_per_period('renamed', ['fiscal_year', 'version']) }}
),

-- months wide (P01 ... P12) to one row per month; an empty cell is no figure, not zero
unpivoted as (
    select
        flagged.* exclude (record),
        months.fiscal_period,
        cast(coalesce(
            {{ json_text_at("'$.P' || lpad(cast(months.fiscal_period as varchar), 2, '0')", 'flagged.record') }},
            {{ json_text_at("'$.p' || lpad(cast(months.fiscal_period as varchar), 2, '0')", 'flagged.record') }}
        ) as decimal(38, 6)) as amount_local
    from flagged
    cross join (select cast(range as integer) as fiscal_period from range(1, 13)) as months
),

final as (
    select
        forecast_line_key || ':P' || lpad(cast(fiscal_period as varchar), 2, '0') as forecast_month_key,
        *
    from unpivoted
    where amount_local is not null
)

select * from final
