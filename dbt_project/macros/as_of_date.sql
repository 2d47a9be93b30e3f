{#- The as-of date of the run (docs/kpis.md "As of"): var as_of_date (--vars, or PWH_AS_OF through
    dbt_project.yml), else the UTC date the dbt invocation started (run_started_at is UTC and
    fixed for the whole invocation, so every model of one build gets the same day even when it
    runs across midnight). Returned as a SQL date literal. -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', '') -%}
    {%- if value is none or (value | string | trim) == '' -%}
        {%- set value = run_started_at.astimezone(modules.pytz.utc).date().isoformat() -%}
    {%- endif -%}
    cast({{ sql_string(value | string | trim) }} as date)
{%- endmacro %}
