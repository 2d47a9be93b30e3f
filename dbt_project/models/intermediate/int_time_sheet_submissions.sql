{#- When each time sheet was submitted (docs/kpis.md "Timesheet compliance"). The instance's own
    stamp of the latest submission (u_submitted_on) where it keeps one; otherwise the warehouse's
    history of the sheet: the sys_updated_on of the first landed version that was no longer pending
    (late by up to one sync, and by whatever else happened to the sheet before the sync saw it). A
    sheet that is pending or recalled now is with its owner: it is not submitted. -#}
with

sheets as (
    select * from {{ ref('stg_servicenow__time_sheet') }}
),

people as (
    select * from {{ ref('int_servicenow_people') }}
),

landed as (
    select
        {{ sn_id('sys_id') }} as time_sheet_sys_id,
        {{ sn_text('state') }} as state,
        {{ sn_timestamp('sys_updated_on') }} as updated_at
    from {{ source('servicenow', 'time_sheet') }}
    where not is_deleted
),

first_seen_submitted as (
    select time_sheet_sys_id, min(updated_at) as first_seen_submitted_at
    from landed
    where state in ('submitted', 'approved', 'processed', 'rejected')
    group by 1
),

final as (
    select
        sheets.time_sheet_sys_id,
        sheets.source_instance,
        -- the person, as for time cards (int_servicenow_people)
        coalesce(people.person_user_sys_id, sheets.user_sys_id) as user_sys_id,
        sheets.week_starts_on as week_start_date,
        sheets.state,
        sheets.total_hours,
        case
            when sheets.state in ('submitted', 'approved', 'processed', 'rejected')
                then coalesce(sheets.submitted_at, first_seen_submitted.first_seen_submitted_at)
        end as submitted_at,
        case
            when sheets.state not in ('submitted', 'approved', 'processed', 'rejected') then null
            when sheets.submitted_at is not null then 'u_submitted_on'
            when first_seen_submitted.first_seen_submitted_at is not null then 'history'
        end as submitted_at_source
    from sheets
    left join first_seen_submitted
        on sheets.time_sheet_sys_id = first_seen_submitted.time_sheet_sys_id
    left join people
        on sheets.user_sys_id = people.user_sys_id
)

select * from final
