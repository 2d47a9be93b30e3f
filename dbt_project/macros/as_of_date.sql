{#- The as-of date of the run (docs/kpis.md "As of"), as a SQL date literal. In order:
    - the var as_of_date (--vars '{as_of_date: 2026-06-30}'), for a dbt run by hand;
    - DBT_ENV_CUSTOM_ENV_PWH_AS_OF, which `pwh` and the Dagster steps set for every dbt invocation.
      dbt hands DBT_ENV_CUSTOM_ENV_* variables to Jinja as dbt_metadata_envs and, unlike env_var()
      and --vars, does not track them for partial parsing: a new date each night does not make
      dbt parse the whole project again (the date is read when a model is compiled, not parsed);
    - else the UTC date the dbt invocation started (run_started_at is UTC and fixed for the whole
      invocation, so every model of one build gets the same day even when it runs across midnight). -#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', '') | string | trim -%}
    {%- if value in ('', 'None') -%}
        {%- set value = dbt_metadata_envs.get('PWH_AS_OF', '') | string | trim -%}
    {%- endif -%}
    {%- if value == '' -%}
        {%- set value = run_started_at.astimezone(modules.pytz.utc).date().isoformat() -%}
    {%- endif -%}
    cast({{ sql_string(value) }} as date)
{%- endmacro %}
