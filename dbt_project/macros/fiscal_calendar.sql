{#- Fiscal year = calendar year unless var fiscal_year_start_month says otherwise (docs/kpis.md
    "Months"). With a later start month, fiscal year N begins in that month of calendar year N-1
    (the year is named for the calendar year it ends in). Finance's special periods 13-16 are
    year-end adjustments and belong to the last month of the fiscal year. -#}

{% macro fiscal_month_start(fiscal_year, fiscal_period) -%}
    {%- set start_month = var('fiscal_year_start_month', 1) | int -%}
    cast(
        make_date(
            cast({{ fiscal_year }} as integer) - {{ 1 if start_month > 1 else 0 }},
            {{ start_month }},
            1
        ) + to_months(least(cast({{ fiscal_period }} as integer), 12) - 1)
        as date
    )
{%- endmacro %}

{% macro fiscal_year_of(date_expression) -%}
    {%- set start_month = var('fiscal_year_start_month', 1) | int -%}
    {%- if start_month > 1 -%}
        (year({{ date_expression }}) + case when month({{ date_expression }}) >= {{ start_month }} then 1 else 0 end)
    {%- else -%}
        year({{ date_expression }})
    {%- endif -%}
{%- endmacro %}
