{#- A JSON path of the raw record as text (NULL when absent or JSON null). DuckDB-specific, so
    dispatched: another warehouse needs one more implementation here, not edits in every staging
    model. `json_text` takes a literal path, `json_text_at` an SQL expression that builds one
    (used where the path is only known from data, e.g. a Jira custom field id). -#}
{% macro json_text(path, column='record') -%}
    {{ return(adapter.dispatch('json_text')("'" ~ path ~ "'", column)) }}
{%- endmacro %}

{% macro json_text_at(path_expression, column='record') -%}
    {{ return(adapter.dispatch('json_text')(path_expression, column)) }}
{%- endmacro %}

{% macro default__json_text(path_expression, column) -%}
    json_extract_path_text({{ column }}, {{ path_expression }})
{%- endmacro %}

{% macro duckdb__json_text(path_expression, column) -%}
    json_extract_string({{ column }}, {{ path_expression }})
{%- endmacro %}

{#- A JSON sub-document (object or array) of the raw record, as JSON text. -#}
{% macro json_document(path, column='record') -%}
    {{ return(adapter.dispatch('json_document')("'" ~ path ~ "'", column)) }}
{%- endmacro %}

{% macro json_document_at(path_expression, column='record') -%}
    {{ return(adapter.dispatch('json_document')(path_expression, column)) }}
{%- endmacro %}

{% macro duckdb__json_document(path_expression, column) -%}
    cast(json_extract({{ column }}, {{ path_expression }}) as varchar)
{%- endmacro %}
