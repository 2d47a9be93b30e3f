with

breakdowns as (
    select * from {{ ref('int_benefit_plan_breakdowns_placed') }}
),

-- breakdowns on month periods only, already placed on their project by int_benefit_plan_breakdowns_placed
monthly as (
    select
        project_sys_id,
        month_start_date,
        fiscal_year,
        -- a project's breakdowns are its instance's; breakdowns on no project of two instances are
        -- one row, under the first instance
        min(source_instance) as source_instance,
        -- money only from monetary plans; non-monetary benefits are reported beside, never summed in
        sum(case when benefit_type = 'monetary' then planned_benefit end) as planned_benefit_amount,
        sum(case when benefit_type = 'monetary' then actual_benefit end) as actual_benefit_amount,
        sum(case when benefit_type <> 'monetary' then planned_benefit end) as planned_non_monetary_benefit,
        sum(case when benefit_type <> 'monetary' then actual_benefit end) as actual_non_monetary_benefit
    from breakdowns
    group by 1, 2, 3
),

final as (
    select
        {{ surrogate_key(["'benefit'", 'monthly.project_sys_id', 'monthly.month_start_date']) }} as benefit_key,
        monthly.source_instance,
        coalesce(project_versions.project_key, {{ unknown_key() }}) as project_key,
        monthly.month_start_date,
        monthly.fiscal_year,
        project_versions.project_number as project_id,
        coalesce(monthly.planned_benefit_amount, 0) as planned_benefit_amount,
        coalesce(monthly.actual_benefit_amount, 0) as actual_benefit_amount,
        monthly.planned_non_monetary_benefit,
        monthly.actual_non_monetary_benefit
    from monthly
    {{ project_version_join('project_versions', 'monthly.project_sys_id', 'monthly.month_start_date') }}
)

select * from final
