{#- The one way a KPI divides (docs/kpis.md "Ratios"): a ratio of sums, NULL when the denominator is 0
    or missing, never 0 and never infinity. Pass aggregates for a ratio of sums
    (`ratio('sum(actual)', 'sum(planned)')`) or already-summed columns. The result is a double. -#}
{% macro ratio(numerator, denominator) -%}
    cast(({{ numerator }}) as double) / nullif(cast(({{ denominator }}) as double), 0)
{%- endmacro %}
