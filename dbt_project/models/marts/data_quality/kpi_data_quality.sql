with

-- straight from the check-results log: this model depends on nothing else, so it is rebuilt
-- even when a blocking check held the other KPI marts back
source as (
    select * from {{ source('quality', 'check_results') }}
),

renamed as (
    select
        -- UTC without a zone, like every timestamp in the warehouse
        cast(timezone('UTC', checked_at) as timestamp) as checked_at,
        cast(layer as varchar) as layer,
        cast(table_name as varchar) as table_name,
        cast(check_name as varchar) as check_name,
        cast(severity as varchar) as severity,
        cast(passed as boolean) as passed,
        cast(failing_rows as bigint) as failing_rows,
        cast(detail as varchar) as detail
    from source
)

select * from renamed
