with

source as (
    {{ latest_versions(source('finance', 'fx_rates')) }}
),

renamed as (
    select
        ---------- ids
        natural_key as fx_rate_key,
        upper({{ json_text('$.currency') }}) as currency,
        {{ json_text('$.period') }} as period,
        ---------- numerics
        cast({{ json_text('$.rate_to_reporting') }} as decimal(38, 10)) as rate_to_reporting,
        ---------- dates
        cast(strptime({{ json_text('$.period') }}, '%Y-%m') as date) as month_start_date,
        ---------- lineage
        {{ finance_file_columns() }}
    from source
),

flagged as (
    -- a corrected file replaces the rate of that month and currency
    {{ flag_newest_file_per_period('renamed', ['period', 'currency']) }}
)

select * from flagged
