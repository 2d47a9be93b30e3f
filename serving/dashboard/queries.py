"""The mart rows each dashboard page shows, chosen but never computed.

Every query here selects columns of published marts, filters and orders rows, and joins a
dimension only to learn a row's portfolio. None adds, divides or averages: every number on the
dashboard is a value of a mart row (docs/dashboard.md "Where every number comes from"). Where a
page would need a figure no mart has, the page says so instead of computing it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb

# kpi_portfolio_summary months shown as trends: the as-of month and the eleven before it.
TREND_MONTHS = 12
# kpi_delivery_flow weeks shown per Jira project.
FLOW_WEEKS = 26
# Risks listed per portfolio, biggest exposure first.
TOP_RISKS = 15
# kpi_timesheet_compliance_by_department months shown on the governance page.
GOVERNANCE_MONTHS = 3


@dataclass(frozen=True)
class Rows:
    """A query's result as columns + rows: compact in the page, turned into objects by its script."""

    columns: list[str]
    rows: list[list[Any]]

    def as_json(self) -> dict[str, Any]:
        return {"columns": self.columns, "rows": [[_json_value(v) for v in row] for row in self.rows]}


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def select(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Rows:
    cursor = conn.execute(sql, params or [])
    return Rows([d[0] for d in cursor.description], [list(r) for r in cursor.fetchall()])


# --- shared by every page -----------------------------------------------------------------------

PORTFOLIOS = """
select portfolio_name from marts.kpi_headline where not is_total order by portfolio_name
"""

FRESHNESS = """
select source_name, entity, last_attempt_at, last_attempt_status, last_success_at, records_last_run,
       hours_since_last_success, is_stale, last_failure_reason
from marts.kpi_source_freshness
order by is_stale desc, source_name, entity
"""

LATEST_RUN = """
select run_id, run_started_at, last_checked_at, check_count, passed_count, blocking_failure_count, warning_count,
       info_count, failed_entity_count, failed_sources
from marts.kpi_run_health
where is_latest_run
"""

# --- overview ------------------------------------------------------------------------------------

HEADLINE = """
select is_total, portfolio_name, month_start_date, period_end_date, is_partial_month, active_project_count,
       on_time_window_start_date, projects_closed_count, projects_closed_on_time_count, on_time_delivery_rate,
       planned_cost_to_date_amount, actual_cost_to_date_amount, budget_variance_amount, budget_variance_ratio,
       benefit_realization_ratio, risk_exposure_amount, red_project_count, amber_project_count,
       green_project_count, capacity_hours, actual_hours, capacity_utilization, as_of_date
from marts.kpi_headline
order by is_total, portfolio_name
"""

# The last month that is not the month in progress: "the last complete month".
LAST_COMPLETE_MONTH = """
select max(month_start_date) as month_start_date from marts.kpi_portfolio_summary where not is_partial_month
"""

PORTFOLIO_MONTHS = """
select portfolio_name, month_start_date, is_partial_month, active_project_count, projects_closed_count,
       projects_closed_on_time_count, on_time_delivery_rate, planned_cost_to_date_amount,
       actual_cost_to_date_amount, budget_variance_amount, budget_variance_ratio, planned_benefit_to_date_amount,
       actual_benefit_to_date_amount, benefit_realization_ratio, allocated_hours, actual_hours,
       hours_vs_allocation_ratio, risk_exposure_amount, red_project_count, amber_project_count, green_project_count
from marts.kpi_portfolio_summary
where month_start_date > (select max(month_start_date) from marts.kpi_portfolio_summary) - to_months(?)
order by portfolio_name, month_start_date
"""

# --- financials, benefits ------------------------------------------------------------------------

SCORECARD = """
select project_id, project_name, portfolio_name, program_name, state, phase, overall_health, planned_end_date,
       baseline_end_date, percent_complete, bac_amount, pv_amount, ev_amount, ac_amount, cpi, spi, eac_amount,
       etc_amount, vac_amount, planned_cost_to_date_amount, actual_cost_to_date_amount, budget_variance_amount,
       budget_variance_ratio, forecast_at_completion_amount, forecast_variance_amount, capex_actual_amount,
       opex_actual_amount, planned_benefit_to_date_amount, actual_benefit_to_date_amount,
       benefit_realization_ratio, open_risk_count, risk_exposure_amount, priority_rank
from marts.kpi_project_scorecard
order by portfolio_name, project_id
"""

BUDGET_MONTHS = """
select b.project_id, b.month_start_date, b.expense_type, b.planned_amount, b.forecast_amount, b.actual_amount,
       b.cumulative_planned_amount, b.cumulative_actual_amount, b.is_partial_month
from marts.kpi_budget_vs_actual b
order by b.project_id, b.expense_type, b.month_start_date
"""

BENEFIT_MONTHS = """
select project_id, month_start_date, planned_benefit_amount, actual_benefit_amount, cumulative_planned_amount,
       cumulative_actual_amount, benefit_realization_ratio, is_partial_month
from marts.kpi_benefits_realization
order by project_id, month_start_date
"""

# --- schedule ------------------------------------------------------------------------------------

# Milestones not closed whose current planned end lies after their baseline end.
SLIPPING_MILESTONES = """
select p.portfolio_name, m.project_id, p.project_name, m.milestone_id, m.milestone_name, m.state,
       m.percent_complete, m.baseline_end_date, m.planned_end_date
from marts.fct_milestone m
join marts.dim_project p on p.project_key = m.project_key
where m.state not in ('closed complete', 'closed incomplete', 'closed skipped')
  and m.planned_end_date > m.baseline_end_date
order by m.planned_end_date, m.milestone_id
"""

# --- risk ----------------------------------------------------------------------------------------

HEATMAP = """
select portfolio_name, probability_bucket, impact_bucket, open_risk_count, exposure_amount
from marts.kpi_risk_heatmap
order by portfolio_name, probability_bucket, impact_bucket
"""

TOP_RISKS_SQL = """
select coalesce(f.portfolio_name, 'Unknown') as portfolio_name, r.risk_id, r.risk_name, r.project_id, r.state,
       r.probability_bucket, r.impact_bucket, r.estimated_cost_amount, r.exposure_amount
from marts.fct_risk r
left join marts.dim_portfolio f on f.portfolio_key = r.portfolio_key
where r.is_open
qualify row_number() over (partition by coalesce(f.portfolio_name, 'Unknown')
                           order by r.exposure_amount desc nulls last, r.risk_id) <= ?
order by r.exposure_amount desc nulls last, r.risk_id
"""

# --- capacity ------------------------------------------------------------------------------------

CAPACITY = """
select resource_id, resource_name, department, month_start_date, capacity_hours, allocated_hours, actual_hours,
       capacity_utilization, allocation_ratio, is_partial_month
from marts.kpi_capacity_utilization
where month_start_date > (select max(month_start_date) from marts.kpi_capacity_utilization) - to_months(?)
order by department nulls last, resource_name, month_start_date
"""

# People whose allocation or booked hours exceed their capacity, in the last complete month and the
# month in progress.
OVER_ALLOCATED = """
select resource_id, resource_name, department, month_start_date, is_partial_month, capacity_hours,
       allocated_hours, actual_hours, allocation_ratio, capacity_utilization
from marts.kpi_capacity_utilization
where month_start_date >= (select max(month_start_date) from marts.kpi_capacity_utilization) - interval 1 month
  -- rounded for the comparison only, so that floating-point noise on exactly 100 % does not count
  and (round(allocation_ratio, 6) > 1 or round(capacity_utilization, 6) > 1)
order by month_start_date desc, allocation_ratio desc nulls last, resource_id
"""

# --- delivery flow -------------------------------------------------------------------------------

FLOW = """
select coalesce(p.portfolio_name, 'Unknown') as portfolio_name, f.jira_project_key, j.jira_project_name,
       f.week_start_date, f.throughput, f.wip, f.cycle_time_p50_days, f.cycle_time_p85_days, f.lead_time_p50_days
from marts.kpi_delivery_flow f
left join marts.dim_jira_project j on j.jira_project_key = f.jira_project_key
left join marts.dim_project p on p.project_key = j.project_key
where f.week_start_date > (select max(week_start_date) from marts.kpi_delivery_flow) - to_weeks(?)
order by f.jira_project_key, f.week_start_date
"""

# --- prioritisation ------------------------------------------------------------------------------

SLATE = """
select portfolio_name, priority_rank, item_type, item_id, item_name, priority_score, wsjf, npv_amount,
       strategic_alignment, business_value, time_criticality, risk_reduction, job_size
from marts.kpi_prioritization
order by portfolio_name, priority_rank nulls last, item_id
"""

# --- scenarios (the planner's marts; docs/scenarios.md) ------------------------------------------

SCENARIO_SUMMARY = """
select scenario_name, is_total, period_label, description, objective, status, status_message, candidate_count,
       funded_count, greedy_funded_count, objective_value, greedy_objective_value, objective_gain, mip_gap,
       solve_seconds, npv_amount, risk_exposure_amount, budget_amount, cost_amount, budget_used_ratio,
       capacity_hours, effort_hours, capacity_used_ratio
from marts.scenario_summary
order by scenario_name, is_total, period_start_date
"""

SCENARIO_FRONTIER = """
select scenario_name, level_number, budget_ratio, budget_amount, status, objective_value, funded_count
from marts.scenario_frontier
order by scenario_name, level_number
"""

SCENARIO_SELECTION = """
select scenario_name, portfolio_name, item_type, item_id, item_name, priority_score, item_value, cost_amount,
       effort_hours, is_funded, is_funded_greedy, not_funded_reason, not_funded_detail
from marts.scenario_selection
order by scenario_name, is_funded desc, item_value desc, item_id
"""

SCENARIO_SENSITIVITY = """
select scenario_name, change_name, movement, portfolio_name, item_id, item_name, item_value, cost_amount
from marts.scenario_sensitivity
order by scenario_name, change_name, movement, item_id
"""

SCENARIO_MARTS = ("scenario_summary", "scenario_frontier", "scenario_selection", "scenario_sensitivity")


def _scenario_data(conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The scenario page's rows; empty where a published file predates the scenario marts."""
    present = {
        r[0] for r in conn.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
    }
    if not set(SCENARIO_MARTS) <= present:
        return {"summary": None, "frontier": None, "selection": None, "sensitivity": None}
    return {
        "summary": select(conn, SCENARIO_SUMMARY).as_json(),
        "frontier": select(conn, SCENARIO_FRONTIER).as_json(),
        "selection": select(conn, SCENARIO_SELECTION).as_json(),
        "sensitivity": select(conn, SCENARIO_SENSITIVITY).as_json(),
    }


# --- governance (docs/kpis.md "Governance") ------------------------------------------------------

GOVERNANCE_HEADLINE = """
select topic_order, topic, headline, primary_count, scope_count, amount, ratio, as_of_date
from marts.kpi_governance_headline
order by topic_order
"""

# the as-of month's gates per portfolio × phase
GATE_MONTH = """
select portfolio_name, phase, month_start_date, gates_due_count, gates_passed_count, gates_passed_late_count,
       on_time_gate_ratio, gates_overdue_count, median_days_in_phase, p85_days_in_phase, is_partial_month
from marts.kpi_stage_gates
where is_partial_month
order by portfolio_name, phase
"""

# the gates overdue now; dim_portfolio only names the gate's portfolio
OVERDUE_GATES = """
select g.phase_task_id, g.project_id, p.portfolio_name, g.phase, g.planned_gate_date, g.days_overdue,
       g.project_phase, g.state
from marts.fct_stage_gate g
left join marts.dim_portfolio p on g.portfolio_key = p.portfolio_key
where g.is_overdue
order by g.days_overdue desc, g.phase_task_id
"""

DEMAND_MONTHS = """
select portfolio_name, month_start_date, submitted_count, approved_count, rejected_count, deferred_count,
       converted_count, approval_ratio, median_days_to_decision, open_backlog_count,
       open_backlog_estimated_cost_amount, median_open_age_days, uncommitted_capacity_hours,
       backlog_capacity_ratio, is_partial_month
from marts.kpi_demand_pipeline
where month_start_date > (select max(month_start_date) from marts.kpi_demand_pipeline) - to_months(?)
order by portfolio_name, month_start_date
"""

TIMESHEET_MONTHS = """
select department, month_start_date, expected_count, due_count, submitted_on_time_count, submitted_late_count,
       missing_count, on_time_ratio, missing_ratio, hours_vs_capacity_ratio, is_partial_month
from marts.kpi_timesheet_compliance_by_department
where month_start_date > (select max(month_start_date) from marts.kpi_timesheet_compliance_by_department) - to_months(?)
order by department, month_start_date
"""

VENDOR_MONTH = """
select vendor_id, vendor_name, month_start_date, spend_amount, capex_amount, opex_amount, project_count,
       portfolio_count, share_of_month_spend_ratio, cumulative_spend_amount, red_amber_project_spend_amount
from marts.kpi_vendor_performance
where is_partial_month
order by spend_amount desc, vendor_id
"""

VENDOR_CONCENTRATION = """
select portfolio_name, month_start_date, vendor_count, spend_amount, top_5_vendor_share_ratio,
       largest_vendor_share_ratio
from marts.kpi_vendor_concentration
where is_partial_month
order by portfolio_name
"""

# a dependency shows under the blocked project's portfolio
DEPENDENCIES = """
select blocked_project_id, blocked_project_name, blocked_portfolio_name as portfolio_name, blocking_project_id,
       blocking_project_name, blocking_portfolio_name, open_dependency_count, blocker_overall_health,
       blocker_schedule_slip_days, blocker_planned_end_date, blocked_work_planned_start_date, is_at_risk
from marts.kpi_dependency_risk
order by is_at_risk desc, blocked_project_id, blocking_project_id
"""

# --- data health ---------------------------------------------------------------------------------

LATEST_CHECKS = """
select checked_at, layer, table_name, check_name, severity, passed, failing_rows, detail
from marts.kpi_data_quality
where run_id = (select run_id from marts.kpi_run_health where is_latest_run)
order by passed, case severity when 'error' then 0 when 'warn' then 1 else 2 end, layer, table_name, check_name
"""

REJECTS = """
select reject_stage, file_name, file_line, reason, raw_text, loaded_at
from marts.finance_rejects
order by loaded_at desc, file_name, file_line
"""


def page_data(conn: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Every page's rows, keyed by page then by dataset name (a JSON-ready dict)."""
    last_complete = conn.execute(LAST_COMPLETE_MONTH).fetchone()[0]
    portfolio_months = select(conn, PORTFOLIO_MONTHS, [TREND_MONTHS]).as_json()
    headline = select(conn, HEADLINE).as_json()
    scorecard = select(conn, SCORECARD).as_json()
    freshness = select(conn, FRESHNESS).as_json()
    latest_run = select(conn, LATEST_RUN).as_json()
    return {
        "overview": {
            "headline": headline,
            "months": portfolio_months,
            "last_complete_month": _json_value(last_complete),
        },
        "financials": {
            "headline": headline,
            "months": portfolio_months,
            "scorecard": scorecard,
            "budget": select(conn, BUDGET_MONTHS).as_json(),
        },
        "schedule": {
            "months": portfolio_months,
            "scorecard": scorecard,
            "milestones": select(conn, SLIPPING_MILESTONES).as_json(),
        },
        "risk": {
            "heatmap": select(conn, HEATMAP).as_json(),
            "risks": select(conn, TOP_RISKS_SQL, [TOP_RISKS]).as_json(),
        },
        "benefits": {
            "months": portfolio_months,
            "scorecard": scorecard,
            "benefits": select(conn, BENEFIT_MONTHS).as_json(),
        },
        "capacity": {
            "capacity": select(conn, CAPACITY, [TREND_MONTHS]).as_json(),
            "over_allocated": select(conn, OVER_ALLOCATED).as_json(),
            "headline": headline,
        },
        "delivery": {
            "flow": select(conn, FLOW, [FLOW_WEEKS]).as_json(),
        },
        "prioritisation": {
            "slate": select(conn, SLATE).as_json(),
        },
        "scenarios": _scenario_data(conn),
        "governance": {
            "headline": select(conn, GOVERNANCE_HEADLINE).as_json(),
            "gates": select(conn, GATE_MONTH).as_json(),
            "overdue_gates": select(conn, OVERDUE_GATES).as_json(),
            "demand": select(conn, DEMAND_MONTHS, [TREND_MONTHS]).as_json(),
            "time_sheets": select(conn, TIMESHEET_MONTHS, [GOVERNANCE_MONTHS]).as_json(),
            "vendors": select(conn, VENDOR_MONTH).as_json(),
            "concentration": select(conn, VENDOR_CONCENTRATION).as_json(),
            "dependencies": select(conn, DEPENDENCIES).as_json(),
        },
        "data_health": {
            "freshness": freshness,
            "latest_run": latest_run,
            "checks": select(conn, LATEST_CHECKS).as_json(),
            "rejects": select(conn, REJECTS).as_json(),
        },
        "_banner": {
            "freshness": freshness,
            "latest_run": latest_run,
        },
    }
