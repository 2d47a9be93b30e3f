with

portfolios as (
    select * from {{ ref('stg_servicenow__pm_portfolio') }}
),

users as (
    select * from {{ ref('stg_servicenow__sys_user') }}
),

members as (
    select
        {{ surrogate_key(["'servicenow'", "'pm_portfolio'", 'portfolios.portfolio_sys_id']) }} as portfolio_key,
        portfolios.source_instance,
        portfolios.portfolio_sys_id,
        portfolios.portfolio_name,
        users.full_name as portfolio_manager_name,
        portfolios.is_active
    from portfolios
    left join users
        on portfolios.portfolio_manager_sys_id = users.user_sys_id
),

unknown_member as (
    select {{ unknown_key() }}, null, null, 'Unknown', null, null
),

final as (
    select * from members
    union all
    select * from unknown_member
)

select * from final
