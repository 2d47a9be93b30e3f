-- The placing rules (project, month, fallback to the plan's task): macros/plan_breakdowns.sql.
{{ plan_breakdowns_placed('cost', ['expense_type'], ['planned_cost', 'servicenow_actual_cost']) }}
