with

projects as (
    select * from {{ ref('dim_project') }}
),

monthly_costs as (
    select * from {{ ref('int_project_monthly_costs') }}
),

monthly_benefits as (
    select * from {{ ref('int_project_monthly_benefits') }}
),

project_value as (
    select * from {{ ref('int_project_value') }}
),

risks as (
    select * from {{ ref('fct_risk') }}
),

status_reports as (
    select * from {{ ref('fct_project_status') }}
),

prioritization as (
    select * from {{ ref('kpi_prioritization') }}
),

issues as (
    select * from {{ ref('fct_issue') }}
),

issue_links as (
    select * from {{ ref('int_jira_issue_links') }}
),

status_intervals as (
    select * from {{ ref('int_jira_status_intervals') }}
),

-- upstream dependencies at risk: blocking projects (kpi_dependency_risk pairs) that put this
-- project's work at risk as of the as-of date
at_risk_dependencies as (
    select blocked_project_key, count(*) as at_risk_dependency_count
    from {{ ref('kpi_dependency_risk') }}
    where is_at_risk
    group by 1
),

-- every current project (docs/kpis.md "Row sets"), with its fields as they are now
current_projects as (
    select *
    from projects
    where is_current and project_sys_id is not null
),

-- "to date" on a row without a month = through the as-of date: months before the as-of month in
-- full, the as-of month's plan pro rata day(as_of) / days in the month (docs/kpis.md "To date").
-- GL lines after the as-of month are already left out upstream.
costs as (
    select
        project_sys_id,
        sum(planned_amount) as bac,
        sum(case
            when month_start_date <= date_trunc('month', {{ as_of_date() }})
                then {{ to_date_amount('planned_amount', 'month_start_date') }}
            else 0
        end) as pv,
        sum(actual_amount) as ac,
        sum(case when expense_type = 'capex' then actual_amount else 0 end) as capex_actual,
        sum(case when expense_type = 'opex' then actual_amount else 0 end) as opex_actual,
        -- forecast at completion = actual to date + the latest version's months after the as-of month
        sum(
            case when month_start_date > date_trunc('month', {{ as_of_date() }}) then forecast_amount else 0 end
        ) as forecast_to_come
    from monthly_costs
    where project_sys_id is not null
    group by 1
),

benefits as (
    select
        project_sys_id,
        sum(case
            when month_start_date <= date_trunc('month', {{ as_of_date() }})
                then {{ to_date_amount('planned_benefit_amount', 'month_start_date') }}
            else 0
        end) as planned_benefit_to_date,
        sum(
            case when month_start_date <= date_trunc('month', {{ as_of_date() }}) then actual_benefit_amount else 0 end
        ) as actual_benefit_to_date
    from monthly_benefits
    where project_sys_id is not null
    group by 1
),

open_risks as (
    select
        project_key,
        count(*) as open_risk_count,
        sum(exposure_amount) as risk_exposure
    from risks
    where is_open
    group by 1
),

-- the latest status report on or before the as-of date (reports point at the version of
-- their date, so they are gathered by the project's durable sys_id)
latest_reports as (
    select project_sys_id, overall_health
    from (
        select
            projects.project_sys_id,
            status_reports.overall_health,
            row_number() over (
                partition by projects.project_sys_id
                -- ties on the date go to the report created last, then the higher sys_id
                order by
                    status_reports.status_date desc,
                    status_reports.created_at desc nulls last,
                    status_reports.project_status_sys_id desc
            ) as report_rank
        from status_reports
        inner join projects
            on status_reports.project_key = projects.project_key
        where status_reports.status_date <= {{ as_of_date() }}
    ) as ranked
    where report_rank = 1
),

-- the status category of every issue at the end of the as-of date
issue_states_as_of as (
    select status_intervals.issue_id, status_intervals.status_category_key
    from status_intervals
    where status_intervals.valid_from < cast({{ as_of_date() }} + interval 1 day as timestamp)
        and status_intervals.valid_to >= cast({{ as_of_date() }} + interval 1 day as timestamp)
),

-- distinct Blocks links in which an issue of the project's Jira project is blocked by an issue
-- of another Jira project that is not done as of the as-of date (both issues existing by then)
blocking as (
    select
        upper(blocked.jira_project_key) as jira_project_key,
        count(distinct issue_links.link_id) as blocking_dependency_count
    from issue_links
    inner join issues as blocked
        on issue_links.blocked_issue_id = blocked.issue_id
    inner join issues as blockers
        on issue_links.blocker_issue_id = blockers.issue_id
    inner join issue_states_as_of as blocker_states
        on issue_links.blocker_issue_id = blocker_states.issue_id
    where lower(issue_links.link_type_name) = 'blocks'
        and blockers.jira_project_key <> blocked.jira_project_key
        and blocker_states.status_category_key <> 'done'
        and cast(blocked.created_at as date) <= {{ as_of_date() }}
    group by 1
),

measures as (
    select
        current_projects.*,
        coalesce(costs.bac, 0) as bac,
        coalesce(costs.pv, 0) as pv,
        coalesce(costs.ac, 0) as ac,
        coalesce(costs.capex_actual, 0) as capex_actual,
        coalesce(costs.opex_actual, 0) as opex_actual,
        coalesce(costs.forecast_to_come, 0) as forecast_to_come,
        -- EV uses pm_project.percent_complete, not the status report's
        current_projects.percent_complete / 100.0 * coalesce(costs.bac, 0) as ev,
        coalesce(benefits.planned_benefit_to_date, 0) as planned_benefit_to_date,
        coalesce(benefits.actual_benefit_to_date, 0) as actual_benefit_to_date,
        coalesce(open_risks.open_risk_count, 0) as open_risk_count,
        coalesce(open_risks.risk_exposure, 0) as risk_exposure,
        latest_reports.overall_health,
        project_value.npv_amount as npv,
        project_value.roi_ratio,
        project_value.payback_months,
        prioritization.priority_score,
        prioritization.priority_rank,
        coalesce(blocking.blocking_dependency_count, 0) as blocking_dependency_count,
        coalesce(at_risk_dependencies.at_risk_dependency_count, 0) as at_risk_dependency_count
    from current_projects
    left join costs
        on current_projects.project_sys_id = costs.project_sys_id
    left join benefits
        on current_projects.project_sys_id = benefits.project_sys_id
    left join open_risks
        on current_projects.project_key = open_risks.project_key
    left join latest_reports
        on current_projects.project_sys_id = latest_reports.project_sys_id
    left join project_value
        on current_projects.project_sys_id = project_value.project_sys_id
    left join prioritization
        on prioritization.item_type = 'project'
        and current_projects.project_id = prioritization.item_id
    left join blocking
        on upper(trim(current_projects.jira_project_key)) = blocking.jira_project_key
    left join at_risk_dependencies
        on current_projects.project_key = at_risk_dependencies.blocked_project_key
),

earned_value as (
    select
        *,
        {{ ratio('ev', 'ac') }} as cpi,
        {{ ratio('ev', 'pv') }} as spi
    from measures
),

at_completion as (
    select
        *,
        {{ ratio('bac', 'cpi') }} as eac
    from earned_value
),

final as (
    select
        cast(project_key as varchar) as project_key,
        cast(project_id as varchar) as project_id,
        cast(project_name as varchar) as project_name,
        cast(portfolio_name as varchar) as portfolio_name,
        cast(program_name as varchar) as program_name,
        cast(state as varchar) as state,
        cast(phase as varchar) as phase,
        cast(overall_health as varchar) as overall_health,
        cast(planned_start_date as date) as planned_start_date,
        cast(planned_end_date as date) as planned_end_date,
        cast(baseline_end_date as date) as baseline_end_date,
        cast(actual_end_date as date) as actual_end_date,
        cast(is_on_time as boolean) as is_on_time,
        cast(percent_complete as double) as percent_complete,
        cast(bac as decimal(38, 6)) as bac_amount,
        cast(pv as decimal(38, 6)) as pv_amount,
        cast(ev as decimal(38, 6)) as ev_amount,
        cast(ac as decimal(38, 6)) as ac_amount,
        cast(ev - ac as decimal(38, 6)) as cv_amount,
        cast(ev - pv as decimal(38, 6)) as sv_amount,
        cast(cpi as double) as cpi,
        cast(spi as double) as spi,
        cast(eac as decimal(38, 6)) as eac_amount,
        cast(eac - ac as decimal(38, 6)) as etc_amount,
        cast(bac - eac as decimal(38, 6)) as vac_amount,
        cast({{ ratio('bac - ev', 'bac - ac') }} as double) as tcpi,
        cast(pv as decimal(38, 6)) as planned_cost_to_date_amount,
        cast(ac as decimal(38, 6)) as actual_cost_to_date_amount,
        cast(ac - pv as decimal(38, 6)) as budget_variance_amount,
        cast({{ ratio('ac - pv', 'pv') }} as double) as budget_variance_ratio,
        cast(ac + forecast_to_come as decimal(38, 6)) as forecast_at_completion_amount,
        cast(bac - (ac + forecast_to_come) as decimal(38, 6)) as forecast_variance_amount,
        cast(capex_actual as decimal(38, 6)) as capex_actual_amount,
        cast(opex_actual as decimal(38, 6)) as opex_actual_amount,
        cast(planned_benefit_to_date as decimal(38, 6)) as planned_benefit_to_date_amount,
        cast(actual_benefit_to_date as decimal(38, 6)) as actual_benefit_to_date_amount,
        cast({{ ratio('actual_benefit_to_date', 'planned_benefit_to_date') }} as double) as benefit_realization_ratio,
        cast(open_risk_count as bigint) as open_risk_count,
        cast(risk_exposure as decimal(38, 6)) as risk_exposure_amount,
        cast(npv as decimal(38, 6)) as npv_amount,
        cast(roi_ratio as double) as roi_ratio,
        cast(payback_months as integer) as payback_months,
        cast(priority_score as double) as priority_score,
        cast(priority_rank as bigint) as priority_rank,
        cast(blocking_dependency_count as bigint) as blocking_dependency_count,
        cast({{ as_of_date() }} as date) as as_of_date,
        -- added after as_of_date: a new column goes at the end, so reports that read the columns
        -- by position keep working
        cast(at_risk_dependency_count as bigint) as at_risk_dependency_count
    from at_completion
)

select * from final
