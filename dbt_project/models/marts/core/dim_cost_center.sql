with

cost_centers as (
    select * from {{ ref('stg_servicenow__cmn_cost_center') }}
),

members as (
    select
        {{ surrogate_key(["'servicenow'", "'cmn_cost_center'", 'cost_center_sys_id']) }} as cost_center_key,
        source_instance,
        cost_center_code as cost_center_id,
        cost_center_name,
        cost_center_sys_id
    from cost_centers
),

unknown_member as (
    select {{ unknown_key() }}, null, '-1', 'Unknown', null
),

final as (
    select * from members
    union all
    select * from unknown_member
)

select * from final
