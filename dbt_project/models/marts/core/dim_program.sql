with

programs as (
    select * from {{ ref('stg_servicenow__pm_program') }}
),

portfolios as (
    select * from {{ ref('dim_portfolio') }}
),

users as (
    select * from {{ ref('stg_servicenow__sys_user') }}
),

state_labels as (
    select * from {{ ref('project_state_labels') }}
),

members as (
    select
        {{ surrogate_key(["'servicenow'", "'pm_program'", 'programs.program_sys_id']) }} as program_key,
        programs.source_instance,
        programs.program_sys_id,
        programs.program_number,
        programs.program_name,
        coalesce(portfolios.portfolio_key, {{ unknown_key() }}) as portfolio_key,
        portfolios.portfolio_name,
        users.full_name as program_manager_name,
        -- programs are planned tasks too: the same state codes, kept raw when unknown
        coalesce(state_labels.state, programs.state_code) as state
    from programs
    left join portfolios
        on programs.portfolio_sys_id = portfolios.portfolio_sys_id
    left join users
        on programs.program_manager_sys_id = users.user_sys_id
    left join state_labels
        on programs.state_code = state_labels.state_code
),

unknown_member as (
    select {{ unknown_key() }}, null, null, null, 'Unknown', {{ unknown_key() }}, 'Unknown', null, null
),

final as (
    select * from members
    union all
    select * from unknown_member
)

select * from final
