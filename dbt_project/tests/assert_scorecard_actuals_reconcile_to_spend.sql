-- The scorecard's actual cost to date must be exactly the GL lines of fct_spend up to the as-of
-- month on the project's versions: the KPI and the star schema are two views of one truth.
-- Returns the projects where they disagree by more than a cent's millionth.
with

scorecard as (
    select project_id, actual_cost_to_date_amount from {{ ref('kpi_project_scorecard') }}
),

projects as (
    select * from {{ ref('dim_project') }}
),

spend as (
    select
        current_versions.project_id,
        coalesce(sum(spend.spend_amount), 0) as spend_to_date
    from projects as current_versions
    left join projects as versions
        on versions.project_sys_id = current_versions.project_sys_id
    left join {{ ref('fct_spend') }} as spend
        on spend.project_key = versions.project_key
        and spend.month_start_date <= date_trunc('month', {{ as_of_date() }})
    where current_versions.is_current and current_versions.project_sys_id is not null
    group by 1
)

select scorecard.project_id, scorecard.actual_cost_to_date_amount, spend.spend_to_date
from scorecard
full outer join spend
    on scorecard.project_id = spend.project_id
where scorecard.project_id is null
    or spend.project_id is null
    or abs(scorecard.actual_cost_to_date_amount - spend.spend_to_date) > 0.000001
