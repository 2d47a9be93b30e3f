with

source as (
    select * from {{ source('quality', 'check_results') }}
),

renamed as (
    select
        ---------- ids
        cast(run_id as varchar) as run_id,
        ---------- attributes
        cast(layer as varchar) as layer,
        cast(table_name as varchar) as table_name,
        cast(check_name as varchar) as check_name,
        cast(severity as varchar) as severity,
        cast(passed as boolean) as passed,
        cast(detail as varchar) as detail,
        ---------- numerics
        cast(failing_rows as bigint) as failing_rows,
        ---------- timestamps (UTC without a zone, like every timestamp in the warehouse)
        cast(timezone('UTC', checked_at) as timestamp) as checked_at,
        cast(timezone('UTC', run_started_at) as timestamp) as run_started_at
    from source
)

select * from renamed
