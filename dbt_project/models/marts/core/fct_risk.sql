with

risks as (
    select * from {{ ref('stg_servicenow__risk') }}
),

task_projects as (
    select * from {{ ref('int_task_projects') }}
),

risk_states as (
    select * from {{ ref('risk_states') }}
),

probabilities as (
    select * from {{ ref('risk_probability_map') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

final as (
    select
        {{ surrogate_key(["'servicenow'", "'risk'", 'risks.risk_sys_id']) }} as risk_key,
        risks.source_instance,
        risks.risk_number as risk_id,
        -- risks have no history: the project as it is now
        coalesce(current_projects.project_key, {{ unknown_key() }}) as project_key,
        coalesce(portfolios.portfolio_key, {{ unknown_key() }}) as portfolio_key,
        current_projects.project_number as project_id,
        risks.risk_name,
        risks.state,
        coalesce(risk_states.is_open, true) as is_open,
        risks.probability_code,
        risks.impact_code,
        probabilities.probability,
        -- heat-map buckets run 1 (lowest) to 5 (highest); ServiceNow codes run the other way
        6 - risks.probability_code as probability_bucket,
        6 - risks.impact_code as impact_bucket,
        risks.estimated_cost as estimated_cost_amount,
        -- exposure = probability × money at stake, for open risks; a closed risk exposes nothing
        case
            when coalesce(risk_states.is_open, true) then probabilities.probability * risks.estimated_cost
            else 0
        end as exposure_amount,
        risks.created_at,
        risks.updated_at
    from risks
    left join task_projects
        on risks.project_sys_id = task_projects.task_sys_id
    {{ current_project_join('current_projects', 'task_projects.project_sys_id') }}
    left join portfolios
        on current_projects.portfolio_sys_id = portfolios.portfolio_sys_id
    left join risk_states
        on risks.state = risk_states.state
    left join probabilities
        on risks.probability_code = probabilities.probability_code
)

select * from final
