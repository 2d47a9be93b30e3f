{#- Schemas are exactly `staging`, `intermediate`, `marts` (seeds go to `staging`): BI tools and the publish
    step address `marts.<table>` directly, so dbt's default `<target>_<custom>` prefix would break
    them. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
