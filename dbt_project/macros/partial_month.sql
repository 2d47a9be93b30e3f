{#- The month in progress (docs/kpis.md "To date"). The as-of month counts only through the as-of
    date wherever a to-date plan meets actuals, so a few days of actuals are never compared with a
    whole month of plan. Every other month counts in full. -#}

{#- True for the as-of month's rows (is_partial_month); every other month is false. -#}
{% macro is_as_of_month(month_column) -%}
    ({{ month_column }} = date_trunc('month', {{ as_of_date() }}))
{%- endmacro %}

{#- The share of a month's plan that counts to date: day(as_of) / days in the month for the
    as-of month, 1 for every other month. Multiply a month's planned cost or benefit by it. -#}
{% macro to_date_share(month_column) -%}
    (case
        when {{ is_as_of_month(month_column) }}
            then cast(day({{ as_of_date() }}) as double) / day(last_day({{ as_of_date() }}))
        else 1.0
    end)
{%- endmacro %}

{#- The last day of a month that counts: the as-of date in the as-of month, else the month's end. -#}
{% macro counted_month_end(month_column) -%}
    (case
        when {{ is_as_of_month(month_column) }} then {{ as_of_date() }}
        else cast(last_day({{ month_column }}) as date)
    end)
{%- endmacro %}

{#- Mon-Fri days of a month that count: from the 1st through counted_month_end (no holiday
    calendar, docs/kpis.md "capacity utilization"). -#}
{% macro counted_weekdays(month_column) -%}
    (
        select count(*)
        from generate_series(
            cast({{ month_column }} as date),
            cast({{ counted_month_end(month_column) }} as date),
            interval 1 day
        ) as counted_days(day)
        where isodow(counted_days.day) <= 5
    )
{%- endmacro %}

{#- The months a monthly mart's rows run through: from `first_month` through the as-of month.
    Use as `cross join lateral ({{ months_through_as_of('x.first_month') }}) as months`; each row
    is `month_start` (empty when `first_month` is after the as-of month). -#}
{% macro months_through_as_of(first_month) -%}
    select unnest(generate_series(
        cast({{ first_month }} as date),
        cast(date_trunc('month', {{ as_of_date() }}) as date),
        interval 1 month
    )) as month_start
{%- endmacro %}
