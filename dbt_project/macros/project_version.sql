{#- Join the version of a project in effect at a fact's moment (dim_project is SCD2). The first
    and last versions are widened to all time (int_project_history.join_from / join_to), so a
    fact dated before the warehouse first saw the project still finds it; a fact whose project
    is unknown finds nothing and takes the unknown member (coalesce with unknown_key()). -#}
{% macro project_version_join(alias, project_sys_id, at) %}
    left join {{ ref('int_project_history') }} as {{ alias }}
        on {{ alias }}.project_sys_id = {{ project_sys_id }}
        and cast({{ at }} as timestamp) >= {{ alias }}.join_from
        and cast({{ at }} as timestamp) < {{ alias }}.join_to
{% endmacro %}

{#- The current version of a project, for facts that have no history of their own (risks,
    milestones, issues): their attributes are as they are now. -#}
{% macro current_project_join(alias, project_sys_id) %}
    left join {{ ref('int_project_history') }} as {{ alias }}
        on {{ alias }}.project_sys_id = {{ project_sys_id }}
        and {{ alias }}.join_to = timestamp '9999-12-31'
{% endmacro %}
