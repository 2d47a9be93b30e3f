{#- Stage gates: the end of each phase of each current project (docs/kpis.md "Stage gates").
    A phase is a project task with a phase type; its planned end is the gate's planned date and the
    day it closed complete the gate's actual date. Dated facts are cut at the as-of date: a phase
    that closed after it is still open here. -#}
with

tasks as (
    select * from {{ ref('stg_servicenow__pm_project_task') }}
),

state_labels as (
    select * from {{ ref('project_state_labels') }}
),

projects as (
    select * from {{ ref('dim_project') }}
    where is_current and project_sys_id is not null
),

phases as (
    select
        tasks.task_sys_id,
        tasks.source_instance,
        tasks.task_number,
        tasks.project_sys_id,
        -- a phase is named by its task, without a trailing "phase" ("Design phase" is Design)
        trim(regexp_replace(tasks.task_name, '(?i)\s+phase\s*$', '')) as phase,
        tasks.phase_type,
        tasks.state,
        coalesce(state_labels.is_closed, false) as is_closed_state,
        cast(tasks.planned_start_at as date) as planned_start_date,
        cast(tasks.planned_end_at as date) as planned_gate_date,
        cast(tasks.work_start_at as date) as actual_start_date,
        cast(tasks.work_end_at as date) as work_end_date
    from tasks
    left join state_labels
        on tasks.state_code = state_labels.state_code
    where tasks.phase_type is not null
        and tasks.project_sys_id is not null
),

-- the day a closed phase closed: its own work_end, else (a phase closed incomplete or skipped with
-- its project, without a date of its own) its project's actual end
closures as (
    select
        phases.*,
        projects.project_key,
        projects.project_id,
        projects.portfolio_key,
        projects.portfolio_name,
        projects.phase as project_phase,
        projects.state as project_state,
        case
            when phases.is_closed_state then coalesce(phases.work_end_date, projects.actual_end_date)
        end as closed_date,
        row_number() over (
            partition by phases.project_sys_id
            order by phases.planned_start_date nulls last, phases.planned_gate_date nulls last, phases.task_number
        ) as phase_order
    from phases
    inner join projects
        on phases.project_sys_id = projects.project_sys_id
),

as_of_cut as (
    select
        *,
        actual_start_date is not null and actual_start_date <= {{ as_of_date() }} as is_started,
        closed_date is not null and closed_date <= {{ as_of_date() }} as is_closed,
        state = 'closed complete' and closed_date is not null and closed_date <= {{ as_of_date() }} as is_passed
    from closures
),

final as (
    select
        {{ surrogate_key(["'servicenow'", "'pm_project_task'", 'task_sys_id']) }} as stage_gate_key,
        source_instance,
        project_key,
        portfolio_key,
        project_id,
        task_number as phase_task_id,
        phase,
        phase_type,
        cast(phase_order as integer) as phase_order,
        state,
        project_phase,
        project_state,
        planned_start_date,
        planned_gate_date,
        case when is_started then actual_start_date end as actual_start_date,
        case when is_passed then closed_date end as actual_gate_date,
        case when is_closed then closed_date end as closed_date,
        is_started,
        is_closed,
        is_passed,
        case when is_passed then date_diff('day', planned_gate_date, closed_date) end as slip_days,
        case when is_passed then closed_date > planned_gate_date end as is_passed_late,
        case
            when is_closed and is_started then date_diff('day', actual_start_date, closed_date)
            when is_started and not is_closed then date_diff('day', actual_start_date, {{ as_of_date() }})
        end as days_in_phase,
        -- the gate's planned day has gone by (it is over at its end) and the phase has not closed
        planned_gate_date is not null and planned_gate_date < {{ as_of_date() }} and not is_closed as is_overdue,
        case
            when planned_gate_date < {{ as_of_date() }} and not is_closed
                then date_diff('day', planned_gate_date, {{ as_of_date() }})
        end as days_overdue,
        {{ as_of_date() }} as as_of_date
    from as_of_cut
)

select * from final
