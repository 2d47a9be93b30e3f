{#- The as-of date of the run (KPIS.md "As of"): var as_of_date (--vars, or PWH_AS_OF through
    dbt_project.yml), else today in UTC. Returned as a SQL date literal. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', '') -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- set value = modules.datetime.datetime.now(modules.pytz.utc).date().isoformat() -%}
    {%- endif -%}
    cast('{{ value | string | trim }}' as date)
{%- endmacro %}
