{#- The on-time rule of projects and milestones (docs/kpis.md "On-time delivery rate"): only work that
    closed complete is judged, dates (not timestamps) are compared, and finishing up to var
    on_time_tolerance_days after the baseline end still counts as on time. NULL when not judged
    (not closed complete, or either date unknown). -#}
{% macro is_on_time(state, actual_end_date, baseline_end_date) -%}
    case
        when {{ state }} = 'closed complete' and {{ actual_end_date }} is not null and {{ baseline_end_date }} is not null
            then {{ actual_end_date }} <= {{ baseline_end_date }} + cast({{ var('on_time_tolerance_days') }} as integer)
    end
{%- endmacro %}

{#- A project is measured against its OLDEST baseline (the plan first approved), not the latest
    re-plan: ties on sys_created_on go to the lower sys_id. One row per project that has a
    baseline, read from the given baselines relation (stg_servicenow__planned_task_baseline). -#}
{% macro oldest_project_baselines(baselines) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by project_sys_id order by created_at, baseline_sys_id) as baseline_rank
        from {{ baselines }}
        where project_sys_id is not null
    ) as ranked
    where baseline_rank = 1
{%- endmacro %}

{#- Which plan work is measured against (docs/kpis.md "On-time delivery rate"): its baseline when
    it has one — even when that baseline holds no date for it, since the fallback is for "no
    baseline" — else the first version the warehouse saw approved. Gives `baseline_source` and
    `baseline_<part>_date` for each part ('start', 'end'), from the `baselined` relation
    (baseline_<part>_at) and the `approved` one (planned_<part>_at), both joined on `key`. -#}
{% macro baseline_columns(baselined, approved, key, parts=('start', 'end')) -%}
        case
            when {{ baselined }}.{{ key }} is not null then 'baseline'
            when {{ approved }}.{{ key }} is not null then 'first_approved_version'
        end as baseline_source
    {%- for part in parts %},
        case
            when {{ baselined }}.{{ key }} is not null then cast({{ baselined }}.baseline_{{ part }}_at as date)
            else cast({{ approved }}.planned_{{ part }}_at as date)
        end as baseline_{{ part }}_date
    {%- endfor %}
{%- endmacro %}

{#- Work (projects or milestone tasks, relation `work`, one row per `key`) measured against its
    plan: the given `columns`, its planned and actual dates as dates, the baseline columns (see
    baseline_columns; `baselined_dates` and `approved` are relations of the calling model joined on
    `key`) and is_on_time. The one statement of how delivery is measured, for
    int_project_delivery and int_milestone_delivery. -#}
{% macro measured_against_baseline(work, key, approved, columns, parts=('start', 'end')) -%}
    select
        *,
        {{ is_on_time('state', 'actual_end_date', 'baseline_end_date') }} as is_on_time
    from (
        select
            {%- for column in columns %}
            {{ work }}.{{ column }},
            {%- endfor %}
            cast({{ work }}.planned_start_at as date) as planned_start_date,
            cast({{ work }}.planned_end_at as date) as planned_end_date,
            cast({{ work }}.work_start_at as date) as actual_start_date,
            cast({{ work }}.work_end_at as date) as actual_end_date,
            {{ baseline_columns('baselined_dates', approved, key, parts) }}
        from {{ work }}
        left join baselined_dates
            on {{ work }}.{{ key }} = baselined_dates.{{ key }}
        left join {{ approved }}
            on {{ work }}.{{ key }} = {{ approved }}.{{ key }}
    ) as dated
{%- endmacro %}
