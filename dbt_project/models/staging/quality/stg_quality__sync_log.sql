with

source as (
    select * from {{ source('quality', 'sync_log') }}
),

renamed as (
    select
        ---------- ids
        cast(run_id as varchar) as run_id,
        cast(source as varchar) as source_name,
        cast(entity as varchar) as entity,
        -- the raw entity as asset keys and check results name it
        cast(source as varchar) || '/' || cast(entity as varchar) as raw_entity,
        ---------- attributes
        cast(status as varchar) as status,
        cast(detail as varchar) as detail,
        cast(warnings as varchar []) as warnings,
        ---------- numerics
        cast(records as bigint) as records,
        cast(tombstones as bigint) as tombstones,
        cast(rejects as bigint) as rejects,
        ---------- timestamps (UTC)
        cast(timezone('UTC', started_at) as timestamp) as started_at,
        cast(timezone('UTC', finished_at) as timestamp) as finished_at
    from source
)

select * from renamed
