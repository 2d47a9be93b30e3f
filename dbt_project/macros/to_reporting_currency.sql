{#- The factor that converts an amount in `currency_column` in month `month_column` into var
    reporting_currency (docs/kpis.md "Money"); the reporting currency itself is 1 even without a row.
    fx_exact_join: the month's own rate (GL lines). fx_asof_join: the month's rate, else the
    latest earlier one (forecast months, which usually have no rate yet). Without a rate the
    amount is NULL: unknown, never guessed (a warning test counts such lines). -#}
{% macro fx_exact_join(fx_alias, currency_column, month_column) %}
    left join {{ ref('int_fx_rates_monthly') }} as {{ fx_alias }}
        on {{ currency_column }} = {{ fx_alias }}.currency
        and {{ month_column }} = {{ fx_alias }}.month_start_date
{% endmacro %}

{% macro fx_asof_join(fx_alias, currency_column, month_column) %}
    asof left join {{ ref('int_fx_rates_monthly') }} as {{ fx_alias }}
        on {{ currency_column }} = {{ fx_alias }}.currency
        and {{ month_column }} >= {{ fx_alias }}.month_start_date
{% endmacro %}

{% macro fx_rate(fx_alias, currency_column) -%}
    case
        when {{ currency_column }} = {{ sql_string(var("reporting_currency")) }} then cast(1 as decimal(38, 10))
        else {{ fx_alias }}.rate_to_reporting_currency
    end
{%- endmacro %}
