with

source as (
    {{ latest_versions(source('jira', 'users')) }}
),

renamed as (
    select
        ---------- ids
        source_instance,
        -- Atlassian account ids are global: the same person has the same id on every Cloud site, so
        -- they are not qualified by site (macros/source_instance_id.sql)
        {{ json_text('$.accountId') }} as account_id,
        ---------- attributes
        {{ json_text('$.displayName') }} as display_name,
        -- often hidden by privacy settings; people match ServiceNow on it when present
        nullif({{ json_text('$.emailAddress') }}, '') as email,
        {{ json_text('$.accountType') }} as account_type,
        cast({{ json_text('$.active') }} as boolean) as is_active,
        ---------- lineage
        loaded_at
    from source
)

select * from renamed
