with

demands as (
    select * from {{ ref('stg_servicenow__dmn_demand') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

final as (
    select
        {{ surrogate_key(["'servicenow'", "'dmn_demand'", 'demands.demand_sys_id']) }} as demand_key,
        demands.source_instance,
        demands.demand_number as demand_id,
        coalesce(portfolios.portfolio_key, {{ unknown_key() }}) as portfolio_key,
        coalesce(converted_projects.project_key, {{ unknown_key() }}) as project_key,
        converted_projects.project_number as project_id,
        demands.demand_name,
        demands.state,
        demands.submitted_date,
        demands.project_sys_id is not null as is_converted,
        demands.estimated_cost as estimated_cost_amount,
        demands.estimated_benefit as estimated_benefit_amount,
        demands.strategic_alignment,
        demands.business_value,
        demands.time_criticality,
        demands.risk_reduction,
        demands.job_size,
        {{ ratio('demands.business_value + demands.time_criticality + demands.risk_reduction', 'demands.job_size') }}
            as wsjf
    from demands
    left join portfolios
        on demands.portfolio_sys_id = portfolios.portfolio_sys_id
    {{ current_project_join('converted_projects', 'demands.project_sys_id') }}
)

select * from final
