"""`dbt build` on the small simulated world: green from an empty PWH_HOME, and the BI contract holds.

Everything is real: the world is landed by the connectors from the simulators, and dbt-duckdb
builds it into a fresh DuckDB file. A plain `dbt build`, unit tests included, as of mid-March
(``mid_month_build``) must be green; the contract is read from the pipeline's build as of the
world's anchor date (``small_build``, the demo warehouse's build file). The column lists below are copied
from docs/contract.md §5 and docs/kpis.md ("KPI mart columns") — they are the promise to BI users, so a
renamed, reordered, missing or extra column fails here.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

KPI_COLUMNS: dict[str, list[str]] = {
    "kpi_project_scorecard": [
        "project_key",
        "project_id",
        "project_name",
        "portfolio_name",
        "program_name",
        "state",
        "phase",
        "overall_health",
        "planned_start_date",
        "planned_end_date",
        "baseline_end_date",
        "actual_end_date",
        "is_on_time",
        "percent_complete",
        "bac_amount",
        "pv_amount",
        "ev_amount",
        "ac_amount",
        "cv_amount",
        "sv_amount",
        "cpi",
        "spi",
        "eac_amount",
        "etc_amount",
        "vac_amount",
        "tcpi",
        "planned_cost_to_date_amount",
        "actual_cost_to_date_amount",
        "budget_variance_amount",
        "budget_variance_ratio",
        "forecast_at_completion_amount",
        "forecast_variance_amount",
        "capex_actual_amount",
        "opex_actual_amount",
        "planned_benefit_to_date_amount",
        "actual_benefit_to_date_amount",
        "benefit_realization_ratio",
        "open_risk_count",
        "risk_exposure_amount",
        "npv_amount",
        "roi_ratio",
        "payback_months",
        "priority_score",
        "priority_rank",
        "blocking_dependency_count",
        "as_of_date",
        "at_risk_dependency_count",
    ],
    "kpi_portfolio_summary": [
        "portfolio_key",
        "portfolio_name",
        "month_start_date",
        "active_project_count",
        "projects_closed_count",
        "projects_closed_on_time_count",
        "on_time_delivery_rate",
        "planned_cost_to_date_amount",
        "actual_cost_to_date_amount",
        "budget_variance_amount",
        "budget_variance_ratio",
        "planned_benefit_to_date_amount",
        "actual_benefit_to_date_amount",
        "benefit_realization_ratio",
        "allocated_hours",
        "actual_hours",
        "hours_vs_allocation_ratio",
        "risk_exposure_amount",
        "red_project_count",
        "amber_project_count",
        "green_project_count",
        "is_partial_month",
        "as_of_date",
    ],
    "kpi_capacity_utilization": [
        "resource_key",
        "resource_id",
        "resource_name",
        "department",
        "month_start_date",
        "capacity_hours",
        "allocated_hours",
        "actual_hours",
        "capacity_utilization",
        "allocation_ratio",
        "is_partial_month",
        "as_of_date",
    ],
    "kpi_budget_vs_actual": [
        "project_key",
        "project_id",
        "month_start_date",
        "expense_type",
        "planned_amount",
        "forecast_amount",
        "actual_amount",
        "cumulative_planned_amount",
        "cumulative_actual_amount",
        "variance_amount",
        "is_partial_month",
    ],
    "kpi_benefits_realization": [
        "project_key",
        "project_id",
        "month_start_date",
        "planned_benefit_amount",
        "actual_benefit_amount",
        "cumulative_planned_amount",
        "cumulative_actual_amount",
        "benefit_realization_ratio",
        "is_partial_month",
    ],
    "kpi_risk_heatmap": [
        "portfolio_key",
        "portfolio_name",
        "probability_bucket",
        "impact_bucket",
        "open_risk_count",
        "exposure_amount",
    ],
    "kpi_delivery_flow": [
        "jira_project_key",
        "week_start_date",
        "throughput",
        "wip",
        "cycle_time_p50_days",
        "cycle_time_p85_days",
        "lead_time_p50_days",
    ],
    "kpi_prioritization": [
        "item_type",
        "item_id",
        "item_name",
        "portfolio_name",
        "strategic_alignment",
        "business_value",
        "time_criticality",
        "risk_reduction",
        "job_size",
        "npv_amount",
        "priority_score",
        "wsjf",
        "priority_rank",
    ],
    "kpi_data_quality": [
        "checked_at",
        "layer",
        "table_name",
        "check_name",
        "severity",
        "passed",
        "failing_rows",
        "detail",
        "run_id",
        "run_started_at",
    ],
    "kpi_source_freshness": [
        "source_name",
        "entity",
        "last_attempt_at",
        "last_attempt_status",
        "last_run_id",
        "last_success_at",
        "records_last_run",
        "last_failure_at",
        "last_failure_reason",
        "hours_since_last_success",
        "is_stale",
        "checked_at",
    ],
    "kpi_run_health": [
        "run_id",
        "run_started_at",
        "last_checked_at",
        "check_count",
        "passed_count",
        "blocking_failure_count",
        "warning_count",
        "info_count",
        "failed_entity_count",
        "failed_sources",
        "is_latest_run",
    ],
    "kpi_headline": [
        "is_total",
        "portfolio_key",
        "portfolio_name",
        "month_start_date",
        "period_end_date",
        "is_partial_month",
        "active_project_count",
        "on_time_window_start_date",
        "projects_closed_count",
        "projects_closed_on_time_count",
        "on_time_delivery_rate",
        "planned_cost_to_date_amount",
        "actual_cost_to_date_amount",
        "budget_variance_amount",
        "budget_variance_ratio",
        "benefit_realization_ratio",
        "risk_exposure_amount",
        "red_project_count",
        "amber_project_count",
        "green_project_count",
        "capacity_hours",
        "actual_hours",
        "capacity_utilization",
        "as_of_date",
    ],
    "kpi_cost_reconciliation": [
        "project_key",
        "project_id",
        "month_start_date",
        "expense_type",
        "planned_amount",
        "servicenow_actual_amount",
        "gl_actual_amount",
        "gl_line_count",
        "gl_vs_plan_amount",
        "servicenow_vs_gl_amount",
        "servicenow_vs_gl_ratio",
        "tolerance_amount",
        "is_reconciled",
        "is_partial_month",
        "as_of_date",
    ],
    # docs/kpis.md "Governance row sets and columns"
    "kpi_stage_gates": [
        "portfolio_key",
        "portfolio_name",
        "phase",
        "month_start_date",
        "gates_due_count",
        "gates_passed_count",
        "gates_passed_late_count",
        "on_time_gate_ratio",
        "gates_overdue_count",
        "median_days_in_phase",
        "p85_days_in_phase",
        "is_partial_month",
        "as_of_date",
    ],
    "kpi_demand_pipeline": [
        "portfolio_key",
        "portfolio_name",
        "month_start_date",
        "submitted_count",
        "screened_count",
        "qualified_count",
        "approved_count",
        "rejected_count",
        "deferred_count",
        "converted_count",
        "decided_count",
        "approval_ratio",
        "median_days_to_decision",
        "open_backlog_count",
        "open_backlog_estimated_cost_amount",
        "open_backlog_effort_hours",
        "median_open_age_days",
        "p85_open_age_days",
        "uncommitted_capacity_hours",
        "backlog_capacity_ratio",
        "is_partial_month",
        "as_of_date",
    ],
    "kpi_timesheet_compliance": [
        "resource_key",
        "resource_id",
        "resource_name",
        "department",
        "week_start_date",
        "deadline_at",
        "time_sheet_state",
        "submitted_at",
        "is_expected",
        "has_time_sheet",
        "is_due",
        "is_submitted",
        "is_on_time",
        "is_late",
        "is_missing",
        "is_rejected",
        "is_recalled",
        "hours_logged",
        "capacity_hours",
        "hours_vs_capacity_ratio",
        "is_partial_week",
        "as_of_date",
    ],
    "kpi_timesheet_compliance_by_department": [
        "department",
        "month_start_date",
        "expected_count",
        "due_count",
        "submitted_on_time_count",
        "submitted_late_count",
        "missing_count",
        "rejected_count",
        "recalled_count",
        "on_time_ratio",
        "missing_ratio",
        "hours_logged",
        "capacity_hours",
        "hours_vs_capacity_ratio",
        "is_partial_month",
        "as_of_date",
    ],
    "kpi_vendor_performance": [
        "vendor_key",
        "vendor_id",
        "vendor_name",
        "month_start_date",
        "capex_amount",
        "opex_amount",
        "spend_amount",
        "line_count",
        "project_count",
        "portfolio_count",
        "share_of_month_spend_ratio",
        "cumulative_spend_amount",
        "red_amber_project_spend_amount",
        "is_partial_month",
        "as_of_date",
    ],
    "kpi_vendor_concentration": [
        "portfolio_key",
        "portfolio_name",
        "month_start_date",
        "vendor_count",
        "spend_amount",
        "top_5_vendor_spend_amount",
        "top_5_vendor_share_ratio",
        "largest_vendor_share_ratio",
        "is_partial_month",
        "as_of_date",
    ],
    "kpi_dependency_risk": [
        "blocked_project_key",
        "blocked_project_id",
        "blocked_project_name",
        "blocked_portfolio_name",
        "blocking_project_key",
        "blocking_project_id",
        "blocking_project_name",
        "blocking_portfolio_name",
        "open_jira_link_count",
        "open_task_dependency_count",
        "open_dependency_count",
        "blocker_overall_health",
        "blocker_planned_end_date",
        "blocker_baseline_end_date",
        "blocker_schedule_slip_days",
        "blocked_planned_start_date",
        "blocked_work_planned_start_date",
        "is_at_risk",
        "as_of_date",
    ],
    "kpi_governance_headline": [
        "topic_order",
        "topic",
        "headline",
        "primary_count",
        "scope_count",
        "amount",
        "ratio",
        "as_of_date",
    ],
    # docs/kpis.md "Releases" and "Sprints"
    "kpi_release_plan": [
        "release_key",
        "version_id",
        "source_instance",
        "release_name",
        "jira_project_key",
        "start_date",
        "release_date",
        "is_released",
        "is_archived",
        "scope_issue_count",
        "scope_points",
        "done_issue_count",
        "done_points",
        "remaining_points",
        "done_issue_ratio",
        "done_points_ratio",
        "days_late",
        "days_to_go",
        "throughput_points_per_day",
        "is_at_risk",
        "as_of_date",
    ],
    "kpi_sprint_predictability": [
        "source_instance",
        "jira_project_key",
        "board_id",
        "board_name",
        "sprint_id",
        "sprint_name",
        "started_at",
        "ended_at",
        "completed_at",
        "is_complete",
        "committed_issue_count",
        "committed_points",
        "added_issue_count",
        "added_points",
        "removed_issue_count",
        "removed_points",
        "completed_issue_count",
        "completed_points",
        "completed_committed_points",
        "say_do_ratio",
        "as_of_date",
    ],
    "kpi_sprint_predictability_by_quarter": [
        "source_instance",
        "jira_project_key",
        "quarter_start_date",
        "completed_sprint_count",
        "committed_points",
        "added_points",
        "removed_points",
        "completed_points",
        "completed_committed_points",
        "say_do_ratio",
        "as_of_date",
    ],
}

# docs/contract.md §5: every dimension with its surrogate key, every fact with the columns its grain
# and description promise.
DIMENSIONS: dict[str, list[str]] = {
    "dim_date": ["date_key", "date_day"],
    "dim_portfolio": ["portfolio_key", "portfolio_name"],
    "dim_program": ["program_key", "program_name", "portfolio_key"],
    "dim_project": ["project_key", "project_id", "valid_from", "valid_to", "is_current"],
    "dim_resource": ["resource_key", "resource_id"],
    "dim_cost_center": ["cost_center_key", "cost_center_id"],
    "dim_vendor": ["vendor_key", "vendor_id"],
    "dim_jira_project": ["jira_project_key"],
    "dim_release": ["release_key", "version_id", "jira_project_key", "release_date", "is_released", "is_archived"],
}
FACTS: dict[str, list[str]] = {
    "fct_timesheet_hours": ["resource_key", "project_key", "work_date", "hours", "state"],
    "fct_resource_allocation": ["resource_key", "project_key", "week_start_date", "allocated_hours"],
    "fct_spend": ["project_key", "spend_amount", "spend_amount_local", "currency", "expense_type"],
    "fct_cost_plan": ["project_key", "month_start_date", "expense_type", "planned_cost_amount"],
    "fct_forecast": ["project_key", "month_start_date", "expense_type", "version", "forecast_amount"],
    "fct_benefit": ["project_key", "month_start_date", "planned_benefit_amount", "actual_benefit_amount"],
    "fct_risk": ["risk_key", "project_key", "exposure_amount"],
    "fct_project_status": [
        "project_key",
        "status_date",
        "overall_health",
        "schedule_health",
        "cost_health",
        "scope_health",
        "resources_health",
    ],
    "fct_milestone": ["milestone_key", "project_key", "planned_end_date", "actual_end_date", "baseline_end_date"],
    "fct_issue": [
        "issue_key",
        "created_at",
        "first_in_progress_at",
        "resolved_at",
        "cycle_time_days",
        "lead_time_days",
        "story_points",
    ],
    "fct_issue_dependency": ["issue_dependency_key", "blocker_issue_key", "blocked_issue_key"],
    "fct_worklog": ["worklog_key", "issue_key", "resource_key", "time_spent_seconds"],
    "fct_demand": ["demand_key", "demand_id", "portfolio_key"],
    "fct_stage_gate": ["stage_gate_key", "project_key", "portfolio_key", "planned_gate_date", "actual_gate_date"],
    "fct_release_scope": ["release_key", "issue_key", "story_points", "status_category_key", "is_done"],
    "fct_sprint_scope": ["sprint_id", "board_id", "issue_key", "story_points", "is_committed", "is_completed"],
}
UNKNOWN_KEY = "md5('-1')"


def _columns(build, table: str) -> list[str]:
    with build.connect() as con:
        rows = con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()
    return [name for (name,) in rows]


def _scalar(build, sql: str):
    with build.connect() as con:
        return con.execute(sql).fetchone()[0]


def test_build_is_green_from_an_empty_home(mid_month_build) -> None:
    assert mid_month_build.returncode == 0, mid_month_build.output[-6000:]
    by_status = mid_month_build.results_by_status()
    failed = {
        status: ids
        for status, ids in by_status.items()
        if status not in ("success", "pass")
        # the Power BI exposure is a node dbt lists but never executes
        and not (status == "no-op" and all(i.startswith("exposure.") for i in ids))
        # the simulated finance team books one line in CHF, for which no FX file has a rate: the
        # warning that counts it is the only one expected
        and not (status == "warn" and all(".gl_lines_have_an_fx_rate_for_their_month." in i for i in ids))
    }
    assert not failed, f"not green: {failed}"
    assert len(by_status.get("warn", [])) == 1
    assert by_status.get("no-op") == ["exposure.portfolio_warehouse.powerbi_portfolio_report"]
    results = mid_month_build.run_results["results"]
    kinds = {result["unique_id"].split(".")[0] for result in results}
    # models, seeds, data tests and unit tests all ran (an exposure is not executed)
    assert {"model", "seed", "test", "unit_test"} <= kinds
    unit_tests = [r for r in results if r["unique_id"].startswith("unit_test.")]
    assert len(unit_tests) >= 15


def test_schemas_are_exactly_the_layers(small_build) -> None:
    with small_build.connect() as con:
        schemas = {
            name for (name,) in con.execute("select distinct table_schema from information_schema.tables").fetchall()
        }
    assert schemas == {"staging", "intermediate", "marts"}


@pytest.mark.parametrize("mart", sorted(KPI_COLUMNS))
def test_kpi_mart_has_exactly_the_contract_columns(small_build, mart: str) -> None:
    assert _columns(small_build, mart) == KPI_COLUMNS[mart]


@pytest.mark.parametrize("table", sorted({**DIMENSIONS, **FACTS}))
def test_star_schema_table_has_its_contract_columns(small_build, table: str) -> None:
    columns = _columns(small_build, table)
    missing = [c for c in {**DIMENSIONS, **FACTS}[table] if c not in columns]
    assert not missing, f"{table} lacks {missing}; has {columns}"


@pytest.mark.parametrize("dimension", sorted(DIMENSIONS))
def test_every_dimension_has_an_unknown_member(small_build, dimension: str) -> None:
    key = DIMENSIONS[dimension][0]
    if dimension == "dim_date":
        condition = "date_key = -1"
    elif dimension == "dim_jira_project":
        condition = "jira_project_key = '-1'"
    else:
        condition = f"{key} = {UNKNOWN_KEY}"
    assert _scalar(small_build, f"select count(*) from marts.{dimension} where {condition}") == 1


def test_facts_hold_the_small_world(small_build) -> None:
    counts = {table: _scalar(small_build, f"select count(*) from marts.{table}") for table in FACTS}
    empty = [table for table, count in counts.items() if count == 0]
    assert not empty, f"empty facts: {empty} ({counts})"


def test_gl_lines_without_a_project_are_kept_and_counted(small_build) -> None:
    landed = _scalar(small_build, "select count(*) from staging.stg_finance__gl_actuals")
    in_force = _scalar(small_build, "select count(*) from intermediate.int_gl_lines_converted")
    convertible = _scalar(small_build, "select count(*) from intermediate.int_gl_lines_converted where has_fx_rate")
    assert landed > in_force > convertible  # older copies replaced by re-exports; the CHF line rejected
    assert _scalar(small_build, "select count(*) from marts.fct_spend") == convertible
    unknown = _scalar(small_build, f"select count(*) from marts.fct_spend where project_key = {UNKNOWN_KEY}")
    unmatched = _scalar(small_build, "select count(*) from marts.fct_spend where not is_wbs_matched")
    assert unknown == unmatched
    counted = _scalar(
        small_build,
        "select coalesce(sum(gl_line_count), 0) from intermediate.int_wbs_codes_mapped where not is_matched",
    )
    assert counted == unmatched


def test_finance_rejects_are_published(small_build) -> None:
    landed = _scalar(small_build, "select count(*) from staging.stg_finance__finance_rejects")
    published = _scalar(small_build, "select count(*) from marts.finance_rejects where reject_stage = 'parse'")
    assert published == landed == 8
    conversion = _scalar(
        small_build,
        "select string_agg(reason, ' | ') from marts.finance_rejects where reject_stage = 'conversion'",
    )
    assert conversion.startswith("no FX rate for CHF in ") and " | " not in conversion


def test_scorecard_has_every_current_project_once(small_build) -> None:
    current = _scalar(
        small_build, "select count(*) from marts.dim_project where is_current and project_sys_id is not null"
    )
    assert current == _scalar(small_build, "select count(*) from staging.stg_servicenow__pm_project")
    assert _scalar(small_build, "select count(distinct project_id) from marts.kpi_project_scorecard") == current
    assert _scalar(small_build, "select count(*) from marts.kpi_project_scorecard") == current


def test_capacity_grid_is_every_user_by_every_month(small_build) -> None:
    users = _scalar(small_build, "select count(*) from staging.stg_servicenow__sys_user")
    months = _scalar(small_build, "select count(distinct month_start_date) from marts.kpi_capacity_utilization")
    assert months > 1
    assert _scalar(small_build, "select count(*) from marts.kpi_capacity_utilization") == users * months
    assert (
        _scalar(small_build, "select max(month_start_date) from marts.kpi_capacity_utilization").isoformat()
        == "2026-06-01"
    )
