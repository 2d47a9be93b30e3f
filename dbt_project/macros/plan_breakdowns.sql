{#- A ServiceNow cost or benefit plan's monthly breakdowns placed on the project and the month
    they count for (`plan` is 'cost' or 'benefit'): one row per breakdown on a month fiscal
    period, with `plan_columns` from its plan and `breakdown_columns` of its own.
    - The breakdown's own task names the project; its plan's task is the fallback; a project
      task counts for its top_task project (int_task_projects).
    - Month periods only (docs/kpis.md "Months"): a breakdown on a quarter or year period would
      count the same money twice.
    - A breakdown whose plan did not land is kept, its plan columns NULL. -#}
{% macro plan_breakdowns_placed(plan, plan_columns, breakdown_columns) -%}
    {%- if plan not in ('cost', 'benefit') -%}
        {{ exceptions.raise_compiler_error("plan_breakdowns_placed: plan must be 'cost' or 'benefit', not '" ~ plan ~ "'") }}
    {%- endif -%}
with

breakdowns as (
    select * from {{ ref('stg_servicenow__' ~ plan ~ '_plan_breakdown') }}
),

plans as (
    select * from {{ ref('stg_servicenow__' ~ plan ~ '_plan') }}
),

task_projects as (
    select * from {{ ref('int_task_projects') }}
),

fiscal_months as (
    select * from {{ ref('int_fiscal_months') }}
),

final as (
    select
        breakdowns.{{ plan }}_plan_breakdown_sys_id,
        breakdowns.source_instance,
        breakdowns.{{ plan }}_plan_sys_id,
        coalesce(task_projects.project_sys_id, breakdowns.project_sys_id, plans.project_sys_id) as project_sys_id,
        fiscal_months.month_start_date,
        fiscal_months.fiscal_year,
        {%- for column in plan_columns %}
        plans.{{ column }},
        {%- endfor %}
        {%- for column in breakdown_columns %}
        breakdowns.{{ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from breakdowns
    inner join fiscal_months
        on breakdowns.fiscal_period_sys_id = fiscal_months.fiscal_period_sys_id
    left join plans
        on breakdowns.{{ plan }}_plan_sys_id = plans.{{ plan }}_plan_sys_id
    left join task_projects
        on coalesce(breakdowns.project_sys_id, plans.project_sys_id) = task_projects.task_sys_id
)

select * from final
{%- endmacro %}
