{#- The provenance every finance record carries (docs/internals.md): which file and physical line
    it came from and when that file was written. The file's modified time is also the record's
    source_updated_at; the record's own copy is preferred when it parses. The modified time is
    kept for lineage only: it never decides which file is newer (finance_file_order). -#}
{% macro finance_file_columns() %}
        {{ json_text('$.file_name') }} as file_name,
        {{ json_text('$.file_sha256') }} as file_sha256,
        cast({{ json_text('$.line') }} as integer) as file_line,
        coalesce(try_cast({{ json_text('$.file_modified_at') }} as timestamptz), source_updated_at) as file_modified_at,
        loaded_at
{% endmacro %}

{#- Which of two finance files is the newer one (docs/contract.md §4), newest first, as an ORDER BY
    list over a relation that carries the file's arrival columns (stg_finance__files):
    later to arrive at the loader (files loaded by one sync share one arrival time), then the
    later export date written in the file name (names without one count as older), then the
    file name, then the content hash so the order is total. Never the file modification time: a
    copy, an unzip or a restore from backup resets it. -#}
{% macro finance_file_order(alias) -%}
    {{ alias }}.arrived_at desc nulls last,
    {{ alias }}.export_date desc nulls last,
    {{ alias }}.file_name desc,
    {{ alias }}.file_sha256 desc
{%- endmacro %}

{#- Every row of `relation`, with is_in_force: whether its file is the newest (finance_file_order)
    of the files holding its period. A corrected re-export replaces what an earlier file said
    about that period (docs/contract.md §4); the older rows stay, flagged, so the file they came
    from can be judged as superseded (int_finance_files). `relation` is a CTE with the period
    columns and file_sha256. Used for forecast versions and FX rates; GL lines are replaced per
    company and period in int_gl_file_periods, which also reports each replacement. -#}
{% macro flag_newest_file_per_period(relation, period_columns) %}
    select
        {{ relation }}.*,
        current_files.file_rank = 1 as is_in_force
    from {{ relation }}
    inner join (
        select
            {{ period_columns | join(', ') }},
            file_versions.file_sha256,
            row_number() over (
                partition by {{ period_columns | join(', ') }}
                order by {{ finance_file_order('file_versions') }}
            ) as file_rank
        from (
            select distinct
                {% for column in period_columns %}versions.{{ column }}, {% endfor %}
                versions.file_sha256,
                versions.file_name,
                files.arrived_at,
                files.export_date
            from {{ relation }} as versions
            left join {{ ref('stg_finance__files') }} as files
                on versions.file_sha256 = files.file_sha256
        ) as file_versions
    ) as current_files
        on {% for column in period_columns %}{{ relation }}.{{ column }} = current_files.{{ column }} and {% endfor %}{{ relation }}.file_sha256 = current_files.file_sha256
{% endmacro %}
