{#- When this dbt invocation started, as a UTC timestamp literal: "now" for freshness, fixed for
    the whole build so every model of one run measures ages from the same moment. -#}
{% macro now_utc() -%}
    cast('{{ run_started_at.astimezone(modules.pytz.utc).strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
{%- endmacro %}
