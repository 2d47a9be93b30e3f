with

projects as (
    select * from {{ ref('dim_project') }}
),

breakdowns as (
    select * from {{ ref('int_cost_plan_breakdowns_placed') }}
),

gl_lines as (
    select * from {{ ref('int_gl_lines_converted') }}
),

current_projects as (
    select * from projects
    where is_current and project_sys_id is not null
),

-- ServiceNow's side: the approved plan and ServiceNow's own actual of each month breakdown
servicenow_amounts as (
    select
        project_sys_id,
        month_start_date,
        expense_type,
        planned_cost as planned_amount,
        servicenow_actual_cost as servicenow_actual_amount,
        cast(null as decimal(38, 16)) as gl_actual_amount,
        0 as gl_line
    from breakdowns
    where month_start_date <= date_trunc('month', {{ as_of_date() }})
),

-- the GL's side: every line in force that converts, including lines whose WBS maps to no
-- project: they stay, under the unknown project, so the totals tie to the GL
gl_amounts as (
    select
        project_sys_id,
        month_start_date,
        expense_type,
        cast(null as decimal(38, 16)),
        cast(null as decimal(38, 16)),
        amount,
        1
    from gl_lines
    where has_fx_rate
        and month_start_date <= date_trunc('month', {{ as_of_date() }})
),

amounts as (
    select * from servicenow_amounts
    union all
    select * from gl_amounts
),

-- a project that is not a current ServiceNow project is the unknown project, on both sides
summed as (
    select
        coalesce(current_projects.project_key, {{ unknown_key() }}) as project_key,
        current_projects.project_id,
        amounts.month_start_date,
        amounts.expense_type,
        coalesce(sum(amounts.planned_amount), 0) as planned_amount,
        coalesce(sum(amounts.servicenow_actual_amount), 0) as servicenow_actual_amount,
        coalesce(sum(amounts.gl_actual_amount), 0) as gl_actual_amount,
        sum(amounts.gl_line) as gl_line_count
    from amounts
    left join current_projects
        on amounts.project_sys_id = current_projects.project_sys_id
    group by 1, 2, 3, 4
),

measured as (
    select
        *,
        servicenow_actual_amount - gl_actual_amount as servicenow_vs_gl_amount,
        -- the larger of a share of the GL actual (the system of record) and a fixed amount
        greatest(
            {{ var('reconciliation_tolerance_ratio') }} * abs(gl_actual_amount),
            {{ var('reconciliation_tolerance_amount') }}
        ) as tolerance_amount
    from summed
),

final as (
    select
        cast(project_key as varchar) as project_key,
        cast(project_id as varchar) as project_id,
        cast(month_start_date as date) as month_start_date,
        cast(expense_type as varchar) as expense_type,
        cast(planned_amount as decimal(38, 6)) as planned_amount,
        cast(servicenow_actual_amount as decimal(38, 6)) as servicenow_actual_amount,
        cast(gl_actual_amount as decimal(38, 6)) as gl_actual_amount,
        cast(gl_line_count as bigint) as gl_line_count,
        cast(gl_actual_amount - planned_amount as decimal(38, 6)) as gl_vs_plan_amount,
        cast(servicenow_vs_gl_amount as decimal(38, 6)) as servicenow_vs_gl_amount,
        cast({{ ratio('servicenow_vs_gl_amount', 'gl_actual_amount') }} as double) as servicenow_vs_gl_ratio,
        cast(tolerance_amount as decimal(38, 6)) as tolerance_amount,
        cast(abs(servicenow_vs_gl_amount) <= tolerance_amount as boolean) as is_reconciled,
        cast({{ is_as_of_month('month_start_date') }} as boolean) as is_partial_month,
        cast({{ as_of_date() }} as date) as as_of_date
    from measured
)

select * from final
