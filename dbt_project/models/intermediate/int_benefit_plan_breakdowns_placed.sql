-- A breakdown whose benefit plan did not land keeps a NULL benefit_type: it is neither monetary
-- nor non-monetary, so no benefit figure counts it. The placing rules: macros/plan_breakdowns.sql.
{{ plan_breakdowns_placed('benefit', ['benefit_type'], ['planned_benefit', 'actual_benefit']) }}
