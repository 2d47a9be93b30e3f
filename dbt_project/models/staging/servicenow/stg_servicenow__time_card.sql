with

source as (
    {{ latest_versions(source('servicenow', 'time_card')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as time_card_sys_id,
        {{ sn_id('user') }} as user_sys_id,
        {{ sn_id('task') }} as task_sys_id,
        ---------- attributes
        {{ sn_text('state') }} as state,
        {{ sn_text('category') }} as category,
        ---------- numerics
        {{ sn_decimal('monday') }} as monday_hours,
        {{ sn_decimal('tuesday') }} as tuesday_hours,
        {{ sn_decimal('wednesday') }} as wednesday_hours,
        {{ sn_decimal('thursday') }} as thursday_hours,
        {{ sn_decimal('friday') }} as friday_hours,
        {{ sn_decimal('saturday') }} as saturday_hours,
        {{ sn_decimal('sunday') }} as sunday_hours,
        {{ sn_decimal('total') }} as total_hours,
        ---------- dates and timestamps
        {{ sn_date('week_starts_on') }} as week_starts_on,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
    from source
)

select * from renamed
