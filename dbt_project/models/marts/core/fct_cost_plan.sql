with

breakdowns as (
    select * from {{ ref('int_cost_plan_breakdowns_placed') }}
),

-- breakdowns on month periods only, already placed on their project by int_cost_plan_breakdowns_placed
monthly as (
    select
        project_sys_id,
        month_start_date,
        fiscal_year,
        expense_type,
        -- a project's breakdowns are its instance's; breakdowns on no project of two instances are
        -- one row, under the first instance
        min(source_instance) as source_instance,
        sum(planned_cost) as planned_cost_amount,
        sum(servicenow_actual_cost) as servicenow_actual_amount,
        count(*) as breakdown_count
    from breakdowns
    group by 1, 2, 3, 4
),

final as (
    select
        {{ surrogate_key(["'cost_plan'", 'monthly.project_sys_id',
                          'monthly.month_start_date', 'monthly.expense_type']) }} as cost_plan_key,
        monthly.source_instance,
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        monthly.month_start_date,
        monthly.fiscal_year,
        project_versions.project_number as project_id,
        monthly.expense_type,
        monthly.planned_cost_amount,
        monthly.servicenow_actual_amount,
        monthly.breakdown_count
    from monthly
    {{ project_version_join('project_versions', 'monthly.project_sys_id', 'monthly.month_start_date') }}
)

select * from final
