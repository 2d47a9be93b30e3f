"""KPI mart rows with every column of docs/kpis.md, plausible by default, overridable per test."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

AS_OF = date(2026, 6, 30)


def scorecard_row(n: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "project_key": f"pk{n}",
        "project_id": f"PRJ{n:07d}",
        "project_name": f"Project {n}",
        "portfolio_name": "Digital",
        "program_name": None,
        "state": "work in progress",
        "phase": "executing",
        "overall_health": "green",
        "planned_start_date": date(2025, 2, 1),
        "planned_end_date": date(2026, 12, 31),
        "baseline_end_date": date(2026, 12, 31),
        "actual_end_date": None,
        "is_on_time": None,
        "percent_complete": 40.0,
        "bac_amount": 250000.0,
        "pv_amount": 120000.0,
        "ev_amount": 100000.0,
        "ac_amount": 110000.0,
        "cv_amount": -10000.0,
        "sv_amount": -20000.0,
        "cpi": 0.91,
        "spi": 0.83,
        "eac_amount": 275000.0,
        "etc_amount": 165000.0,
        "vac_amount": -25000.0,
        "tcpi": 1.07,
        "planned_cost_to_date_amount": 120000.0,
        "actual_cost_to_date_amount": 110000.0,
        "budget_variance_amount": -10000.0,
        "budget_variance_ratio": -0.083,
        "forecast_at_completion_amount": 260000.0,
        "forecast_variance_amount": -10000.0,
        "capex_actual_amount": 60000.0,
        "opex_actual_amount": 50000.0,
        "planned_benefit_to_date_amount": 10000.0,
        "actual_benefit_to_date_amount": 8000.0,
        "benefit_realization_ratio": 0.8,
        "open_risk_count": 2,
        "risk_exposure_amount": 35000.0,
        "npv_amount": 120000.0,
        "roi_ratio": 0.6,
        "payback_months": 14,
        "priority_score": 0.7,
        "priority_rank": n,
        "blocking_dependency_count": 0,
        "as_of_date": AS_OF,
        "at_risk_dependency_count": 0,
    }
    row.update(overrides)
    return row


def portfolio_summary_row(month: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "portfolio_key": "pf1",
        "portfolio_name": "Digital",
        "month_start_date": date(2026, month, 1),
        "active_project_count": 5,
        "projects_closed_count": 2,
        "projects_closed_on_time_count": 1,
        "on_time_delivery_rate": 0.5,
        "planned_cost_to_date_amount": 1e6,
        "actual_cost_to_date_amount": 9e5,
        "budget_variance_amount": -1e5,
        "budget_variance_ratio": -0.1,
        "planned_benefit_to_date_amount": 2e5,
        "actual_benefit_to_date_amount": 1e5,
        "benefit_realization_ratio": 0.5,
        "allocated_hours": 800.0,
        "actual_hours": 760.0,
        "hours_vs_allocation_ratio": 0.95,
        "risk_exposure_amount": 5e4,
        "red_project_count": 1,
        "amber_project_count": 1,
        "green_project_count": 3,
        "as_of_date": AS_OF,
    }
    row.update(overrides)
    return row


def capacity_row(n: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "resource_key": f"rk{n}",
        "resource_id": f"user{n}",
        "resource_name": f"Person {n}",
        "department": "IT",
        "month_start_date": date(2026, 6, 1),
        "capacity_hours": 168.0,
        "allocated_hours": 120.0,
        "actual_hours": 150.0,
        "capacity_utilization": 150 / 168,
        "allocation_ratio": 120 / 168,
        "as_of_date": AS_OF,
    }
    row.update(overrides)
    return row


def risk_cell_row(probability: int, impact: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "portfolio_key": "pf1",
        "portfolio_name": "Digital",
        "probability_bucket": probability,
        "impact_bucket": impact,
        "open_risk_count": 1,
        "exposure_amount": 5000.0,
    }
    row.update(overrides)
    return row


def delivery_flow_row(week: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "jira_project_key": "MOB",
        "week_start_date": date(2026, 6, 1 + 7 * week),
        "throughput": 5,
        "wip": 3,
        "cycle_time_p50_days": 2.5,
        "cycle_time_p85_days": 6.0,
        "lead_time_p50_days": 9.0,
    }
    row.update(overrides)
    return row


def frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows)
