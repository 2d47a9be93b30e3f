"""The governance oracle's rules on hand-built tiny cases (docs/kpis.md "Governance").

The same rules are pinned in dbt by the unit tests beside the marts (fct_stage_gate.yml,
kpi_timesheet_compliance.yml, kpi_demand_pipeline.yml, int_demand_events.yml,
kpi_vendor_performance.yml, kpi_dependency_risk.yml): the two sides are written apart, and the
oracle comparison (tests/warehouse/test_governance_match_oracle.py) holds them to each other on the
small world.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from oracle.governance_oracle import (
    demand_events,
    is_dependency_at_risk,
    is_gate_late,
    is_gate_overdue,
    is_sheet_late,
    kpi_stage_gates,
    phase_name,
    sheet_deadline,
    timesheet_by_department,
    top_vendor_share,
)

# --- stage gates ----------------------------------------------------------------------------------


def test_a_gate_passed_on_the_planned_day_is_not_late() -> None:
    assert is_gate_late(date(2026, 3, 10), date(2026, 3, 10)) is False
    assert is_gate_late(date(2026, 3, 10), date(2026, 3, 11)) is True
    assert is_gate_late(date(2026, 3, 10), date(2026, 3, 1)) is False  # early is on time
    assert is_gate_late(date(2026, 3, 10), None) is None  # not passed: neither


def test_a_gate_is_overdue_from_the_day_after_its_planned_day() -> None:
    planned = date(2026, 3, 18)
    assert not is_gate_overdue(planned, None, date(2026, 3, 18))  # its own day is still on time
    assert is_gate_overdue(planned, None, date(2026, 3, 19))
    assert is_gate_overdue(planned, date(2026, 3, 25), date(2026, 3, 20))  # closed later than the day judged
    assert not is_gate_overdue(planned, date(2026, 3, 19), date(2026, 3, 20))
    assert not is_gate_overdue(None, None, date(2026, 3, 20))


def test_phase_names_drop_a_trailing_phase() -> None:
    assert phase_name("Design phase") == "Design"
    assert phase_name("Build PHASE ") == "Build"
    assert phase_name("Phase") == "Phase"  # nothing would be left
    assert phase_name("Phase two") == "Phase two"


def _gate(**values):
    base = {
        "portfolio_name": "Growth",
        "phase": "Build",
        "planned_gate_date": None,
        "actual_gate_date": None,
        "closed_date": None,
        "is_passed_late": None,
        "days_in_phase": None,
    }
    return {**base, **values}


def test_kpi_stage_gates_counts_passed_late_and_overdue_per_month() -> None:
    gates = pd.DataFrame(
        [
            # passed on the day in January: passed, not late
            _gate(
                planned_gate_date=date(2026, 1, 20),
                actual_gate_date=date(2026, 1, 20),
                closed_date=date(2026, 1, 20),
                is_passed_late=False,
                days_in_phase=10,
            ),
            # planned in January, passed late in February: overdue at the end of January
            _gate(
                planned_gate_date=date(2026, 1, 25),
                actual_gate_date=date(2026, 2, 3),
                closed_date=date(2026, 2, 3),
                is_passed_late=True,
                days_in_phase=30,
            ),
            # planned in February, still open on the as-of date: overdue at February's end and now
            _gate(planned_gate_date=date(2026, 2, 14), days_in_phase=None),
            # planned for the as-of date itself: not overdue yet
            _gate(planned_gate_date=date(2026, 3, 18)),
        ],
        dtype=object,
    )
    rows = {r["month_start_date"]: r for r in kpi_stage_gates(gates, date(2026, 3, 18)).to_dict("records")}
    assert list(rows) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    jan, feb, mar = rows[date(2026, 1, 1)], rows[date(2026, 2, 1)], rows[date(2026, 3, 1)]
    assert (
        jan["gates_due_count"],
        jan["gates_passed_count"],
        jan["gates_passed_late_count"],
        jan["gates_overdue_count"],
    ) == (2, 1, 0, 1)
    assert jan["on_time_gate_ratio"] == 1.0 and jan["median_days_in_phase"] == 10
    assert (
        feb["gates_due_count"],
        feb["gates_passed_count"],
        feb["gates_passed_late_count"],
        feb["gates_overdue_count"],
    ) == (1, 1, 1, 1)
    assert feb["on_time_gate_ratio"] == 0.0
    assert (mar["gates_due_count"], mar["gates_passed_count"], mar["gates_overdue_count"]) == (1, 0, 1)
    assert mar["on_time_gate_ratio"] is None and mar["median_days_in_phase"] is None and mar["is_partial_month"]


# --- time sheets ----------------------------------------------------------------------------------


def test_the_deadline_is_tuesday_midnight_after_the_week_with_the_default_grace() -> None:
    assert sheet_deadline(date(2026, 3, 2)) == datetime(2026, 3, 11, 0, 0)
    assert sheet_deadline(date(2026, 3, 2), grace_days=0) == datetime(2026, 3, 9, 0, 0)


def test_a_sheet_submitted_one_minute_after_the_grace_deadline_is_late() -> None:
    week = date(2026, 3, 2)
    assert is_sheet_late(datetime(2026, 3, 11, 0, 0), week) is False  # at the deadline: on time
    assert is_sheet_late(datetime(2026, 3, 11, 0, 1), week) is True
    assert is_sheet_late(datetime(2026, 3, 10, 23, 59), week) is False
    assert is_sheet_late(datetime(2026, 3, 11, 0, 1), week, grace_days=3) is False  # the var moves it
    assert is_sheet_late(None, week) is None


def test_the_department_rollup_counts_expected_weeks_and_divides_by_the_due_ones() -> None:
    def row(**values):
        base = {
            "department": "IT",
            "week_start_date": date(2026, 3, 2),
            "is_expected": True,
            "is_due": True,
            "is_on_time": False,
            "is_late": False,
            "is_missing": False,
            "is_rejected": False,
            "is_recalled": False,
            "hours_logged": 0.0,
            "capacity_hours": 40.0,
        }
        return {**base, **values}

    weeks = pd.DataFrame(
        [
            row(is_on_time=True, hours_logged=40.0),
            row(is_late=True, hours_logged=20.0),
            row(is_missing=True),
            row(is_expected=False, is_on_time=True, hours_logged=8.0, capacity_hours=None),  # counts hours only
            row(week_start_date=date(2026, 3, 16), is_due=False, is_on_time=True, capacity_hours=24.0),  # not due yet
        ],
        dtype=object,
    )
    (rollup,) = timesheet_by_department(weeks, date(2026, 3, 18)).to_dict("records")
    assert (rollup["expected_count"], rollup["due_count"]) == (4, 3)
    assert (rollup["submitted_on_time_count"], rollup["submitted_late_count"], rollup["missing_count"]) == (1, 1, 1)
    assert rollup["on_time_ratio"] == pytest.approx(1 / 3) and rollup["missing_ratio"] == pytest.approx(1 / 3)
    assert rollup["hours_logged"] == 68.0 and rollup["capacity_hours"] == 144.0


# --- demand intake --------------------------------------------------------------------------------


def test_a_demand_approved_and_converted_in_the_same_month_counts_once_in_each() -> None:
    versions = [
        (date(2026, 2, 3), "approved", ""),
        (date(2026, 2, 5), "approved", ""),
        (date(2026, 2, 20), "approved", "PRJ-sys-id"),
    ]
    events = demand_events(date(2026, 1, 10), versions)
    assert sorted(events) == sorted(
        [
            ("submitted", date(2026, 1, 10)),
            ("screened", date(2026, 2, 3)),
            ("qualified", date(2026, 2, 3)),
            ("approved", date(2026, 2, 3)),
            ("converted", date(2026, 2, 20)),
        ]
    )
    february = [e for e, day in events if day.month == 2]
    assert february.count("approved") == 1 and february.count("converted") == 1


def test_rejections_and_deferrals_are_dated_by_their_first_version() -> None:
    events = dict(
        demand_events(
            None,
            [
                (date(2026, 1, 5), "screening", ""),
                (date(2026, 1, 9), "deferred", ""),
                (date(2026, 1, 20), "deferred", ""),
            ],
        )
    )
    assert events == {"screened": date(2026, 1, 5), "deferred": date(2026, 1, 9)}  # no submitted_date: no submission


def test_a_completed_demand_is_converted() -> None:
    assert dict(demand_events(date(2025, 11, 1), [(date(2026, 1, 2), "completed", "")]))["converted"] == date(
        2026, 1, 2
    )


# --- vendors --------------------------------------------------------------------------------------


def test_top_five_vendors_rank_by_spend_with_ties_to_the_lower_id() -> None:
    spend = {"V1": 10.0, "V2": 50.0, "V3": 10.0, "-1": 20.0, "V4": 5.0, "V5": 3.0, "V6": 2.0}
    top, share, largest = top_vendor_share(spend)
    assert top == 50 + 20 + 10 + 10 + 5  # the unknown vendor (-1) is one vendor among the others
    assert share == pytest.approx(95 / 100) and largest == pytest.approx(0.5)
    assert top_vendor_share({"V9": 5.0, "V1": 5.0}, top=1)[0] == 5.0
    assert top_vendor_share({}) == (0, None, None)


# --- dependencies ---------------------------------------------------------------------------------


def test_a_dependency_is_at_risk_when_the_blocker_is_red_or_ends_after_the_work_starts() -> None:
    assert is_dependency_at_risk("red", date(2026, 1, 1), date(2026, 6, 1))
    assert is_dependency_at_risk("green", date(2026, 6, 2), date(2026, 6, 1))
    assert not is_dependency_at_risk("green", date(2026, 6, 1), date(2026, 6, 1))  # ends the day it starts
    assert not is_dependency_at_risk("amber", date(2026, 5, 1), date(2026, 6, 1))
    assert not is_dependency_at_risk(None, None, date(2026, 6, 1))  # unknown end: not judged at risk
