{#- ServiceNow Table API values are all strings, "" for empty (docs/contract.md §3.4). These turn one
    field of the raw record into a typed column. Casts are strict on purpose: a value that is not
    what the API promises fails the build with the offending text instead of becoming NULL. -#}

{% macro sn_text(field) -%}
    nullif({{ json_text('$.' ~ field) }}, '')
{%- endmacro %}

{#- glide_date_time is 'yyyy-MM-dd HH:mm:ss' in UTC; a bare glide_date is accepted too, because
    some planned-date fields are configured as dates on real instances. -#}
{% macro sn_timestamp(field) -%}
    strptime({{ sn_text(field) }}, ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d'])
{%- endmacro %}

{% macro sn_date(field) -%}
    cast(strptime({{ sn_text(field) }}, ['%Y-%m-%d', '%Y-%m-%d %H:%M:%S']) as date)
{%- endmacro %}

{#- Money and hours: decimal(38, 6) keeps every digit the source sends and leaves room for
    multiplying by a rate without overflowing (DuckDB keeps the width of the wider operand). -#}
{% macro sn_decimal(field) -%}
    cast({{ sn_text(field) }} as decimal(38, 6))
{%- endmacro %}

{% macro sn_integer(field) -%}
    cast({{ sn_text(field) }} as integer)
{%- endmacro %}

{% macro sn_boolean(field) -%}
    cast({{ sn_text(field) }} as boolean)
{%- endmacro %}
