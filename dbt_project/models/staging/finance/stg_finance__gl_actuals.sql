with

source as (
    {{ latest_versions(source('finance', 'gl_actuals')) }}
),

renamed as (
    select
        ---------- ids
        natural_key as gl_line_key,
        {{ json_text('$.company_code') }} as company_code,
        {{ json_text('$.document_number') }} as document_number,
        cast({{ json_text('$.line_number') }} as integer) as line_number,
        {{ json_text('$.gl_account') }} as gl_account,
        {{ json_text('$.cost_center') }} as cost_center_code,
        nullif(trim({{ json_text('$.wbs_code') }}), '') as wbs_code,
        nullif(trim({{ json_text('$.vendor_id') }}), '') as vendor_id,
        ---------- attributes
        {{ json_text('$.vendor_name') }} as vendor_name,
        -- exported upper case (CAPEX/OPEX); the marts speak lower case like ServiceNow
        lower({{ json_text('$.expense_type') }}) as expense_type,
        upper({{ json_text('$.currency') }}) as currency,
        {{ json_text('$.description') }} as description,
        ---------- numerics
        cast({{ json_text('$.fiscal_year') }} as integer) as fiscal_year,
        cast({{ json_text('$.fiscal_period') }} as integer) as fiscal_period,
        cast({{ json_text('$.amount') }} as decimal(38, 6)) as amount_local,
        ---------- dates
        cast({{ json_text('$.posting_date') }} as date) as posting_date,
        ---------- lineage
        {{ finance_file_columns() }}
    from source
)

select * from renamed
