with

history as (
    select * from {{ ref('int_project_history') }}
),

delivery as (
    select * from {{ ref('int_project_delivery') }}
),

identities as (
    select * from {{ ref('int_projects_identity_mapped') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

programs as (
    select * from {{ ref('dim_program') }}
),

users as (
    select * from {{ ref('stg_servicenow__sys_user') }}
),

departments as (
    select * from {{ ref('stg_servicenow__cmn_department') }}
),

versions as (
    select
        history.project_key,
        history.source_instance,
        history.project_sys_id,
        history.project_number as project_id,
        history.project_name,
        coalesce(portfolios.portfolio_key, {{ unknown_key() }}) as portfolio_key,
        portfolios.portfolio_name,
        coalesce(programs.program_key, {{ unknown_key() }}) as program_key,
        programs.program_name,
        users.full_name as project_manager_name,
        departments.department_name,
        history.state,
        history.state_code,
        history.is_active_state,
        history.phase,
        history.priority,
        history.execution_type,
        history.approval,
        history.jira_project_key,
        history.wbs_code,
        cast(history.planned_start_at as date) as planned_start_date,
        cast(history.planned_end_at as date) as planned_end_date,
        cast(history.work_start_at as date) as actual_start_date,
        cast(history.work_end_at as date) as actual_end_date,
        history.percent_complete,
        history.planned_cost as servicenow_planned_cost_amount,
        history.strategic_alignment,
        history.business_value,
        history.time_criticality,
        history.risk_reduction,
        history.job_size,
        -- delivery measures belong to the project, not to a version: the same on every row
        delivery.baseline_start_date,
        delivery.baseline_end_date,
        delivery.baseline_source,
        delivery.is_on_time,
        coalesce(identities.has_jira_project, false) as has_jira_project,
        coalesce(identities.has_gl_lines, false) as has_gl_lines,
        history.version_number,
        history.valid_from,
        history.valid_to,
        history.is_current,
        history.is_deleted
    from history
    left join delivery
        on history.project_sys_id = delivery.project_sys_id
    left join identities
        on history.project_sys_id = identities.project_sys_id
    left join portfolios
        on history.portfolio_sys_id = portfolios.portfolio_sys_id
    left join programs
        on history.program_sys_id = programs.program_sys_id
    left join users
        on history.project_manager_sys_id = users.user_sys_id
    left join departments
        on history.department_sys_id = departments.department_sys_id
),

unknown_member as (
    select
        {{ unknown_key() }}, null, null, '-1', 'Unknown',
        {{ unknown_key() }}, 'Unknown', {{ unknown_key() }}, 'Unknown',
        null, null, null, null, false, null, null, null, null, null, null,
        cast(null as date), cast(null as date), cast(null as date), cast(null as date),
        null, null, null, null, null, null, null,
        cast(null as date), cast(null as date), null, null, false, false,
        1, timestamp '1900-01-01', cast(null as timestamp), true, false
),

final as (
    select * from versions
    union all
    select * from unknown_member
)

select * from final
