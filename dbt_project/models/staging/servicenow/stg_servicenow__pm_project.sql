with

source as (
    {{ latest_versions(source('servicenow', 'pm_project')) }}
),

renamed as (
    select
        {{ pm_project_columns() }}
    from source
),

state_labels as (
    select * from {{ ref('project_state_labels') }}
),

final as (
    select
        renamed.*,
        state_labels.state,
        coalesce(state_labels.is_active, false) as is_active_state
    from renamed
    left join state_labels
        on renamed.state_code = state_labels.state_code
)

select * from final
