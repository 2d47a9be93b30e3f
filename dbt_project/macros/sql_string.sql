{#- A value from configuration (a var, an environment variable) as a SQL string literal, with its
    single quotes doubled: a value can end up inside the literal only, never run as SQL. dbt
    models cannot bind parameters, so every configured text goes into SQL through here. -#}
{% macro sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
