{#- Surrogate keys are md5 hex strings of the source-qualified natural id ('<system>|<id>'), so a
    key is stable across rebuilds and never collides between systems. Every dimension has an
    unknown member whose key is md5('-1') (GitLab's convention): a fact whose reference does not
    resolve points at it instead of losing the row. -#}
{% macro surrogate_key(parts) -%}
    md5(concat_ws('|'
    {%- for part in parts -%}
        , coalesce(cast({{ part }} as varchar), '')
    {%- endfor -%}
    ))
{%- endmacro %}

{% macro unknown_key() -%}
    md5('-1')
{%- endmacro %}
