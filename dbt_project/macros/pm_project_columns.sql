{#- The typed columns of one pm_project record. Shared by stg_servicenow__pm_project (the current
    version) and int_project_history (every landed version, for the SCD2 dimension), so both read
    the record exactly the same way. -#}
{% macro pm_project_columns() %}
        ---------- ids
        source_instance,
        {{ sn_id('sys_id') }} as project_sys_id,
        {{ sn_id('portfolio') }} as portfolio_sys_id,
        {{ sn_id('program') }} as program_sys_id,
        {{ sn_id('project_manager') }} as project_manager_sys_id,
        {{ sn_id('department') }} as department_sys_id,
        ---------- attributes
        {{ sn_id('number') }} as project_number,
        {{ sn_text('short_description') }} as project_name,
        {{ sn_text('state') }} as state_code,
        {{ sn_text('phase') }} as phase,
        {{ sn_integer('priority') }} as priority,
        {{ sn_text('execution_type') }} as execution_type,
        {{ sn_text('approval') }} as approval,
        -- the custom fields that tie the three systems together (docs/contract.md §3.2)
        {{ sn_text('u_jira_project_key') }} as jira_project_key,
        {{ sn_text('u_wbs_code') }} as wbs_code,
        ---------- numerics
        {{ sn_decimal('percent_complete') }} as percent_complete,
        {{ sn_decimal('cost') }} as planned_cost,
        {{ sn_decimal('work_cost') }} as servicenow_work_cost,
        {{ sn_integer('u_strategic_alignment') }} as strategic_alignment,
        {{ sn_integer('u_business_value') }} as business_value,
        {{ sn_integer('u_time_criticality') }} as time_criticality,
        {{ sn_integer('u_risk_reduction') }} as risk_reduction,
        {{ sn_integer('u_job_size') }} as job_size,
        ---------- dates and timestamps
        {{ sn_timestamp('start_date') }} as planned_start_at,
        {{ sn_timestamp('end_date') }} as planned_end_at,
        {{ sn_timestamp('work_start') }} as work_start_at,
        {{ sn_timestamp('work_end') }} as work_end_at,
        ---------- lineage
        {{ sn_timestamp('sys_created_on') }} as created_at,
        {{ sn_timestamp('sys_updated_on') }} as updated_at,
        loaded_at
{% endmacro %}
