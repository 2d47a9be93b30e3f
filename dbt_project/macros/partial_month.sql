{#- The month in progress (docs/kpis.md "To date"). The as-of month counts only through the as-of
    date wherever a to-date plan meets actuals, so a few days of actuals are never compared with a
    whole month of plan. Every other month counts in full. -#}

{#- True for the as-of month's rows (is_partial_month); every other month is false. -#}
{% macro is_as_of_month(month_column) -%}
    ({{ month_column }} = date_trunc('month', {{ as_of_date() }}))
{%- endmacro %}

{#- The part of a month's planned `amount` that counts to date: amount x day(as_of) / days in the
    month for the as-of month, the whole amount for every other month. The pro-rated amount is
    fixed to 10 decimals per row, so money stays DECIMAL through every later sum: a sum of doubles
    depends on the order DuckDB's threads add them, and two builds of the same data would differ
    in the last cent's fraction. -#}
{% macro to_date_amount(amount, month_column) -%}
    (case
        when {{ is_as_of_month(month_column) }}
            then cast({{ amount }} * day({{ as_of_date() }}) / day(last_day({{ as_of_date() }})) as decimal(38, 10))
        else cast({{ amount }} as decimal(38, 10))
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
