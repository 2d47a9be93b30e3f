"""KPI mart suites on hand-made frames and on a real DuckDB file with dimensions beside the mart."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from mart_rows import (
    capacity_row,
    delivery_flow_row,
    frame,
    portfolio_summary_row,
    risk_cell_row,
    scorecard_row,
)

from quality import DuckDBTable, run_suite


def failed(result) -> dict[str, int]:
    return {o.name: o.failing_rows for o in result.outcomes if not o.passed}


def outcome(result, name: str):
    return next(o for o in result.outcomes if o.name == name)


def test_plausible_scorecard_passes_and_records_its_row_count():
    result = run_suite("marts_kpi_project_scorecard", frame([scorecard_row(n) for n in range(1, 4)]))

    assert result.error is None
    assert failed(result) == {}
    assert result.passed and result.evaluated_rows == 3
    assert outcome(result, "row_count_vs_previous_run").detail == "3 rows; row count (no previous run to compare)"


def test_scorecard_bounds_ids_and_grain():
    rows = [
        scorecard_row(1, cpi=-0.2),
        scorecard_row(2, priority_score=1.3, spi=None),
        scorecard_row(3, project_id=None),
        scorecard_row(4, project_key="pk1", overall_health="yellow"),
        scorecard_row(5, state="closed complete", is_on_time=True, cpi=None),
    ]

    result = run_suite("marts_kpi_project_scorecard", frame(rows))

    assert failed(result) == {
        "project_id_not_null": 1,
        "grain_unique": 2,
        "overall_health_known_value": 1,
        "cpi_in_range": 1,
        "priority_score_in_range": 1,
    }
    assert result.failing_rows == 4  # rows 1-4; pk1 is row 1 and row 4
    assert [row["project_key"] for row in result.sample] == ["pk1", "pk2", "pk3", "pk1"]


def test_portfolio_summary_rate_and_counts():
    rows = [
        portfolio_summary_row(4),
        portfolio_summary_row(5, on_time_delivery_rate=1.5),
        portfolio_summary_row(6, projects_closed_count=1, projects_closed_on_time_count=2, on_time_delivery_rate=None),
    ]

    result = run_suite("marts_kpi_portfolio_summary", frame(rows))

    assert failed(result) == {
        "on_time_delivery_rate_in_range": 1,
        "projects_closed_count_at_least_projects_closed_on_time_count": 1,
    }
    assert result.failing_rows == 2


def test_capacity_utilization_above_three_is_implausible():
    rows = [capacity_row(1, capacity_utilization=2.9), capacity_row(2, capacity_utilization=3.5), capacity_row(3)]

    result = run_suite("marts_kpi_capacity_utilization", frame(rows))

    assert failed(result) == {"capacity_utilization_in_range": 1}
    assert result.sample == [result.sample[0]] and result.sample[0]["resource_id"] == "user2"


def test_risk_buckets_run_one_to_five():
    rows = [risk_cell_row(1, 5), risk_cell_row(0, 3), risk_cell_row(4, 6)]

    result = run_suite("marts_kpi_risk_heatmap", frame(rows))

    assert failed(result) == {"probability_bucket_in_range": 1, "impact_bucket_in_range": 1}
    assert result.failing_rows == 2


def test_cycle_time_p85_below_p50_fails():
    rows = [
        delivery_flow_row(0),
        delivery_flow_row(1, cycle_time_p85_days=1.0),
        delivery_flow_row(2, cycle_time_p50_days=None),
    ]

    result = run_suite("marts_kpi_delivery_flow", frame(rows))

    assert failed(result) == {"cycle_time_p85_days_at_least_cycle_time_p50_days": 1}


@pytest.mark.parametrize(
    ("previous", "tolerance", "passes"),
    [(10, None, False), (6, None, True), (5, 0.1, False), (4, 0.0, True)],
)
def test_row_count_against_the_previous_run(previous, tolerance, passes):
    params = {"previous_row_count": previous} | ({} if tolerance is None else {"tolerance": tolerance})

    result = run_suite("marts_kpi_capacity_utilization", frame([capacity_row(n) for n in range(4)]), params=params)

    row_count = outcome(result, "row_count_vs_previous_run")
    assert row_count.passed is passes
    assert row_count.failing_rows == 0
    assert row_count.detail.startswith("4 rows; row count within")
    assert result.passed is passes


def test_orphans_and_missing_active_projects_from_params():
    rows = [scorecard_row(1), scorecard_row(2, project_key="ghost")]
    params = {
        "known_keys": {"project_key": ["pk1", "pk2", "pk3"]},
        "active_project_ids": ["PRJ0000001", "PRJ0000002", "PRJ0000003", "PRJ0000004"],
    }

    result = run_suite("marts_kpi_project_scorecard", frame(rows), params=params)

    assert failed(result) == {"project_key_in_dim_project": 1, "every_active_project_present": 2}
    assert result.failing_rows == 3  # one orphan row + two projects missing
    assert "2 missing, e.g. 'PRJ0000003', 'PRJ0000004'" in outcome(result, "every_active_project_present").detail


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    """A real DuckDB file: dims and a scorecard in schema marts, as dbt leaves them."""
    path = tmp_path / "portfolio.duckdb"
    dim_project = pd.DataFrame(
        {
            "project_key": ["pk1", "pk2", "pk3", "pk3-old", "pk4", "unknown"],
            "project_id": ["PRJ0000001", "PRJ0000002", "PRJ0000003", "PRJ0000003", "PRJ0000004", None],
            "is_current": [True, True, True, False, True, True],
            "state": ["work in progress", "open", "open", "pending", "closed complete", None],
            "is_active_state": [True, True, True, False, False, False],
        }
    )
    scorecard = frame(
        [
            scorecard_row(1),
            scorecard_row(2),
            scorecard_row(5, project_key="pk-gone"),
            scorecard_row(4, state="closed complete", is_on_time=True),
        ]
    )
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        conn.register("dim_project_df", dim_project)
        conn.register("scorecard_df", scorecard)
        conn.execute("create table marts.dim_project as select * from dim_project_df")
        conn.execute("create table marts.kpi_project_scorecard as select * from scorecard_df")
    return path


def test_scorecard_in_duckdb_checks_keys_and_active_projects_against_the_dims(warehouse: Path):
    table = DuckDBTable(warehouse, "marts", "kpi_project_scorecard")

    result = run_suite("marts_kpi_project_scorecard", table)

    # pk-gone is no key of dim_project; PRJ0000003 is active (current version open) but absent.
    assert failed(result) == {"project_key_in_dim_project": 1, "every_active_project_present": 1}
    assert result.failing_rows == 2
    assert result.sample[0]["project_key"] == "pk-gone"
    assert result.evaluated_rows == 4


def test_params_take_precedence_over_the_dims(warehouse: Path):
    table = DuckDBTable(warehouse, "marts", "kpi_project_scorecard")
    params = {"known_keys": {"project_key": ["pk1", "pk2", "pk4", "pk-gone"]}, "active_project_ids": ["PRJ0000001"]}

    assert run_suite("marts_kpi_project_scorecard", table, params=params).passed


def test_missing_dimension_is_an_error(warehouse: Path):
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("create table marts.kpi_risk_heatmap as select 'pf1' as portfolio_key")

    result = run_suite("marts_kpi_risk_heatmap", DuckDBTable(warehouse, "marts", "kpi_risk_heatmap"))

    assert not result.passed
    assert "dim_portfolio" in result.error


def test_an_error_inside_great_expectations_fails_the_suite_with_the_error():
    # Text among numbers: the range metric raises inside GX, which reports it rather than raising.
    rows = [scorecard_row(1), scorecard_row(2, cpi="n/a")]

    result = run_suite("marts_kpi_project_scorecard", frame(rows))

    assert not result.passed
    assert result.error is not None and result.error.startswith("cpi_in_range: ")
    assert "must either be None or of the same type" in result.error
    cpi = outcome(result, "cpi_in_range")
    assert not cpi.passed and "GX error" in cpi.detail
    assert outcome(result, "spi_in_range").passed


def test_a_column_the_mart_lost_is_an_error_naming_it():
    rows = [{k: v for k, v in scorecard_row(1).items() if k != "priority_rank"}]

    result = run_suite("marts_kpi_project_scorecard", frame(rows))

    assert not result.passed
    assert (
        "priority_rank_in_range" in result.error and "priority_rank" in outcome(result, "priority_rank_in_range").detail
    )


def _gate_month(n: int, **overrides):
    row = {
        "portfolio_key": "pf1",
        "portfolio_name": "Digital",
        "phase": "Build",
        "month_start_date": f"2026-0{n}-01",
        "gates_due_count": 2,
        "gates_passed_count": 2,
        "gates_passed_late_count": 1,
        "on_time_gate_ratio": 0.5,
        "gates_overdue_count": 0,
        "median_days_in_phase": 20.0,
        "p85_days_in_phase": 30.0,
        "is_partial_month": False,
        "as_of_date": "2026-06-30",
    }
    return {**row, **overrides}


def test_stage_gates_ratios_in_bounds_and_grain_unique():
    rows = [
        _gate_month(1),
        _gate_month(2, on_time_gate_ratio=1.5),  # a share above 1
        _gate_month(3, gates_passed_late_count=3),  # more late than passed
        _gate_month(3),  # the same portfolio × phase × month twice
    ]

    result = run_suite("marts_kpi_stage_gates", frame(rows))

    problems = failed(result)
    assert problems["on_time_gate_ratio_in_range"] == 1
    assert problems["gates_passed_count_at_least_gates_passed_late_count"] == 1
    assert problems["grain_unique"] >= 2


def test_dependency_risk_pairs_need_an_open_dependency():
    base = {
        "blocked_project_key": "a",
        "blocked_project_id": "A",
        "blocking_project_key": "b",
        "blocking_project_id": "B",
        "open_jira_link_count": 0,
        "open_task_dependency_count": 1,
        "open_dependency_count": 1,
        "blocker_overall_health": "green",
    }
    rows = [
        base,
        {**base, "blocking_project_key": "c", "open_task_dependency_count": 0, "open_dependency_count": 0},
        {**base, "blocking_project_key": "d", "blocker_overall_health": "yellow"},
    ]

    result = run_suite("marts_kpi_dependency_risk", frame(rows))

    assert failed(result) == {"open_dependency_count_in_range": 1, "blocker_overall_health_known_value": 1}
