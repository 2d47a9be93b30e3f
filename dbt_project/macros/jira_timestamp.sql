{#- Jira Cloud renders datetimes in the API user's offset, e.g. 2024-01-05T10:15:30.000-0800.
    The warehouse keeps every timestamp as UTC without a zone, so the offset is applied here and
    dropped. Milliseconds are optional and the offset may carry a colon. -#}
{% macro jira_timestamp(expression) -%}
    {{ return(adapter.dispatch('jira_timestamp')(expression)) }}
{%- endmacro %}

{% macro duckdb__jira_timestamp(expression) -%}
    timezone('UTC', strptime(
        nullif({{ expression }}, ''),
        ['%Y-%m-%dT%H:%M:%S.%g%z', '%Y-%m-%dT%H:%M:%S%z']
    ))
{%- endmacro %}
