{#- The provenance every finance record carries (docs/internals.md): which file and physical line
    it came from and when that file was written. The file's modified time is also the record's
    source_updated_at; the record's own copy is preferred when it parses. -#}
{% macro finance_file_columns() %}
        {{ json_text('$.file_name') }} as file_name,
        {{ json_text('$.file_sha256') }} as file_sha256,
        cast({{ json_text('$.line') }} as integer) as file_line,
        coalesce(try_cast({{ json_text('$.file_modified_at') }} as timestamptz), source_updated_at) as file_modified_at,
        loaded_at
{% endmacro %}

{#- Keep, per period, only the rows of the newest file that contains the period: a corrected
    re-export replaces what an earlier file said about that period (docs/contract.md §4). `relation`
    is a CTE with the period columns, file_sha256, file_modified_at and loaded_at. -#}
{% macro newest_file_per_period(relation, period_columns) %}
    select {{ relation }}.*
    from {{ relation }}
    inner join (
        select
            {{ period_columns | join(', ') }},
            file_sha256,
            row_number() over (
                partition by {{ period_columns | join(', ') }}
                order by max(file_modified_at) desc, max(loaded_at) desc, file_sha256 desc
            ) as file_rank
        from {{ relation }}
        group by {{ period_columns | join(', ') }}, file_sha256
    ) as files
        on {% for column in period_columns %}{{ relation }}.{{ column }} = files.{{ column }} and {% endfor %}{{ relation }}.file_sha256 = files.file_sha256
    where files.file_rank = 1
{% endmacro %}
