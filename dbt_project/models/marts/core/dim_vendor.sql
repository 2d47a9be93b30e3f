with

gl_lines as (
    select * from {{ ref('stg_finance__gl_actuals') }}
),

-- vendors exist only on GL lines; the name on the latest posting wins
vendors as (
    select
        vendor_id,
        vendor_name,
        row_number() over (partition by vendor_id order by posting_date desc, gl_line_key desc) as name_rank
    from gl_lines
    where vendor_id is not null
),

members as (
    select
        {{ surrogate_key(["'finance'", "'vendor'", 'vendor_id']) }} as vendor_key,
        vendor_id,
        vendor_name
    from vendors
    where name_rank = 1
),

unknown_member as (
    select {{ unknown_key() }}, '-1', 'Unknown'
),

final as (
    select * from members
    union all
    select * from unknown_member
)

select * from final
