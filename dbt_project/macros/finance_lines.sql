{#- A finance line (GL or forecast) as money in var reporting_currency and tied to its project:
    every column of `lines`, plus fx_rate (see to_reporting_currency.sql) and the project its WBS
    code maps to (int_wbs_codes_mapped: project_sys_id, is_wbs_matched). `rate` says which rate a
    month takes: 'own_month' (posted GL lines: that month's rate or none) or 'latest_earlier'
    (forecast months, which usually have no rate yet). `lines` needs currency, month_start_date
    and wbs_code. -#}
{% macro finance_lines_converted(lines, rate) -%}
    {%- if rate not in ('own_month', 'latest_earlier') -%}
        {{ exceptions.raise_compiler_error("finance_lines_converted: rate must be 'own_month' or 'latest_earlier', not '" ~ rate ~ "'") }}
    {%- endif %}
    select
        {{ lines }}.*,
        {{ fx_rate('fx', lines ~ '.currency') }} as fx_rate,
        wbs_codes.project_sys_id,
        coalesce(wbs_codes.is_matched, false) as is_wbs_matched
    from {{ lines }}
    {% if rate == 'own_month' -%}
    {{ fx_exact_join('fx', lines ~ '.currency', lines ~ '.month_start_date') }}
    {%- else -%}
    {{ fx_asof_join('fx', lines ~ '.currency', lines ~ '.month_start_date') }}
    {%- endif %}
    left join {{ ref('int_wbs_codes_mapped') }} as wbs_codes
        on upper(trim({{ lines }}.wbs_code)) = wbs_codes.wbs_code
{%- endmacro %}
