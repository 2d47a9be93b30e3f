with

projects as (
    select * from {{ ref('dim_project') }}
),

demands as (
    select * from {{ ref('stg_servicenow__dmn_demand') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

project_value as (
    select * from {{ ref('int_project_value') }}
),

weights as (
    select
        sum(case when criterion = 'u_strategic_alignment' then weight else 0 end) as strategic_alignment_weight,
        sum(case when criterion = 'u_business_value' then weight else 0 end) as business_value_weight,
        sum(case when criterion = 'u_time_criticality' then weight else 0 end) as time_criticality_weight,
        sum(case when criterion = 'u_risk_reduction' then weight else 0 end) as risk_reduction_weight
    from {{ ref('prioritization_weights') }}
),

-- the ranked items (docs/kpis.md "Value and prioritisation"): projects whose current state is open or
-- work in progress, and open demands not yet converted to a project
ranked_projects as (
    select
        'project' as item_type,
        projects.project_id as item_id,
        projects.project_name as item_name,
        projects.portfolio_key,
        coalesce(projects.portfolio_name, 'Unknown') as portfolio_name,
        projects.strategic_alignment,
        projects.business_value,
        projects.time_criticality,
        projects.risk_reduction,
        projects.job_size,
        project_value.npv_amount
    from projects
    left join project_value
        on projects.project_sys_id = project_value.project_sys_id
    where projects.is_current
        and projects.project_sys_id is not null
        and projects.state in ('open', 'work in progress')
),

ranked_demands as (
    select
        'demand',
        demands.demand_number,
        demands.demand_name,
        coalesce(portfolios.portfolio_key, {{ unknown_key() }}),
        coalesce(portfolios.portfolio_name, 'Unknown'),
        demands.strategic_alignment,
        demands.business_value,
        demands.time_criticality,
        demands.risk_reduction,
        demands.job_size,
        cast(null as decimal(38, 6))
    from demands
    left join portfolios
        on demands.portfolio_sys_id = portfolios.portfolio_sys_id
    where demands.state in ('submitted', 'screening', 'qualified')
        and demands.project_sys_id is null
),

items as (
    select * from ranked_projects
    union all
    select * from ranked_demands
),

-- min-max normalised within the portfolio over the ranked items; where max = min every item
-- gets 1. A missing score is left out of its criterion's min and max.
normalised as (
    select
        items.*,
    {% for criterion in ['strategic_alignment', 'business_value', 'time_criticality', 'risk_reduction'] %}
        case
            when items.{{ criterion }} is null then null
            when max(items.{{ criterion }}) over portfolio_items = min(items.{{ criterion }}) over portfolio_items
                then 1.0
            else cast(items.{{ criterion }} - min(items.{{ criterion }}) over portfolio_items as double)
                / (max(items.{{ criterion }}) over portfolio_items - min(items.{{ criterion }}) over portfolio_items)
        end as {{ criterion }}_normalised{{ ',' if not loop.last }} -- noqa: LT02
    {% endfor %}
    from items
    -- by key: two portfolios may share a name
    window portfolio_items as (partition by items.portfolio_key)
),

scored as (
    select
        normalised.*,
        -- a weighted sum with a missing term is unknown: NULL, and the item gets no rank. Rounded
        -- to 10 decimals so equal scores reached through a different order of floating-point
        -- additions rank as equal.
        round(
            weights.strategic_alignment_weight * normalised.strategic_alignment_normalised
            + weights.business_value_weight * normalised.business_value_normalised
            + weights.time_criticality_weight * normalised.time_criticality_normalised
            + weights.risk_reduction_weight * normalised.risk_reduction_normalised,
            10
        ) as priority_score,
        {{ ratio('normalised.business_value + normalised.time_criticality + normalised.risk_reduction',
                 'normalised.job_size') }} as wsjf
    from normalised
    cross join weights
),

final as (
    select
        cast(item_type as varchar) as item_type,
        cast(item_id as varchar) as item_id,
        cast(item_name as varchar) as item_name,
        cast(portfolio_name as varchar) as portfolio_name,
        cast(strategic_alignment as integer) as strategic_alignment,
        cast(business_value as integer) as business_value,
        cast(time_criticality as integer) as time_criticality,
        cast(risk_reduction as integer) as risk_reduction,
        cast(job_size as integer) as job_size,
        cast(npv_amount as decimal(38, 6)) as npv_amount,
        cast(priority_score as double) as priority_score,
        cast(wsjf as double) as wsjf,
        cast(case
            when priority_score is not null
                then dense_rank() over (partition by portfolio_key, priority_score is null order by priority_score desc)
        end as bigint) as priority_rank
    from scored
)

select * from final
