with

projects as (
    select * from {{ ref('stg_servicenow__pm_project') }}
),

costs as (
    select * from {{ ref('int_project_monthly_costs') }}
),

benefits as (
    select * from {{ ref('int_project_monthly_benefits') }}
),

monthly as (
    select
        project_sys_id,
        month_start_date,
        sum(planned_amount) as planned_cost,
        cast(0 as decimal(38, 6)) as planned_benefit
    from costs
    where project_sys_id is not null
    group by 1, 2
    union all
    select project_sys_id, month_start_date, cast(0 as decimal(38, 6)), planned_benefit_amount
    from benefits
    where project_sys_id is not null
),

project_months as (
    select
        project_sys_id,
        month_start_date,
        sum(planned_cost) as planned_cost,
        sum(planned_benefit) as planned_benefit
    from monthly
    group by 1, 2
),

cumulative as (
    select
        *,
        sum(planned_cost) over (partition by project_sys_id order by month_start_date) as cumulative_cost,
        sum(planned_benefit) over (partition by project_sys_id order by month_start_date) as cumulative_benefit
    from project_months
),

-- F: the first month with planned cost
first_cost_months as (
    select project_sys_id, min(month_start_date) as first_cost_month
    from project_months
    where planned_cost <> 0
    group by 1
),

-- M: the first month (from F on) in which cumulative planned benefit covers cumulative cost
payback_months as (
    select
        cumulative.project_sys_id,
        min(cumulative.month_start_date) as payback_month
    from cumulative
    inner join first_cost_months
        on cumulative.project_sys_id = first_cost_months.project_sys_id
        and cumulative.month_start_date >= first_cost_months.first_cost_month
    where cumulative.cumulative_benefit >= cumulative.cumulative_cost
    group by 1
),

-- NPV over fiscal years counted from the year of the planned start: t = 0 for that year. Each
-- month's discounted amount is fixed to 10 decimals before the sum: a sum of doubles depends on
-- the order DuckDB's threads add them, and the NPV must not change between two builds.
discounted as (
    select
        project_months.project_sys_id,
        sum(
            cast(
                cast(project_months.planned_benefit - project_months.planned_cost as double)
                / pow(
                    1 + cast({{ var('discount_rate') }} as double),
                    {{ fiscal_year_of('project_months.month_start_date') }}
                    - {{ fiscal_year_of('cast(projects.planned_start_at as date)') }}
                )
                as decimal(38, 10)
            )
        ) as npv
    from project_months
    inner join projects
        on project_months.project_sys_id = projects.project_sys_id
    where projects.planned_start_at is not null
        -- "years before the start year do not occur": a plan month before it is left out
        and {{ fiscal_year_of('project_months.month_start_date') }}
        >= {{ fiscal_year_of('cast(projects.planned_start_at as date)') }}
    group by 1
),

totals as (
    select
        project_sys_id,
        sum(planned_cost) as bac,
        sum(planned_benefit) as total_planned_benefit
    from project_months
    group by 1
),

final as (
    select
        projects.project_sys_id,
        coalesce(totals.bac, 0) as bac_amount,
        coalesce(totals.total_planned_benefit, 0) as total_planned_benefit_amount,
        -- a project with a planned start but no plans has an NPV of 0 (a sum over nothing)
        case when projects.planned_start_at is not null then cast(coalesce(discounted.npv, 0) as decimal(38, 6)) end
            as npv_amount,
        {{ ratio('coalesce(totals.total_planned_benefit, 0) - coalesce(totals.bac, 0)', 'totals.bac') }} as roi_ratio,
        first_cost_months.first_cost_month,
        payback_months.payback_month,
        cast(datediff('month', first_cost_months.first_cost_month, payback_months.payback_month) as integer)
            as payback_months
    from projects
    left join totals
        on projects.project_sys_id = totals.project_sys_id
    left join discounted
        on projects.project_sys_id = discounted.project_sys_id
    left join first_cost_months
        on projects.project_sys_id = first_cost_months.project_sys_id
    left join payback_months
        on projects.project_sys_id = payback_months.project_sys_id
)

select * from final
