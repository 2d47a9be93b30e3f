"""Unit tests of the KPI oracle on hand-made values and a tiny hand-built world file.

Every expected number here is worked out by hand from docs/kpis.md, so the oracle that the marts are
held to is itself held to the document.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from oracle.kpi_oracle import (
    FxRates,
    KpiVars,
    active_month_span,
    baseline_end_date,
    benefits_realization_rows,
    budget_vs_actual_rows,
    capacity_hours,
    compute_all,
    cost_reconciliation,
    cumulative,
    dense_rank_descending,
    earned_value,
    first_in_progress_ms,
    headline,
    is_active_at,
    is_on_time,
    latest_forecast_version,
    load_world,
    min_max_normalise,
    npv,
    payback_months,
    quantile_cont,
    ratio,
    risk_bucket,
    risk_exposure,
    risk_heatmap_cells,
    score_ranked_items,
    spread_plan_hours,
    status_at,
    to_date_share,
    total,
    weekdays_between,
    wsjf,
)

AS_OF = date(2026, 6, 30)


# --------------------------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------------------------


def test_ratio_is_null_for_zero_or_missing_denominator():
    assert ratio(1.0, 0) is None
    assert ratio(1.0, 0.0) is None
    assert ratio(1.0, None) is None
    assert ratio(None, 2.0) is None
    assert ratio(1.0, float("nan")) is None
    assert ratio(0.0, 4.0) == 0.0
    assert ratio(-3.0, 4.0) == -0.75


def test_total_skips_missing_and_is_zero_over_nothing():
    assert total([]) == 0.0
    assert total([None, float("nan")]) == 0.0
    assert total([1.5, None, 2.5]) == 4.0


def test_weekdays_between():
    assert weekdays_between(date(2026, 6, 1), date(2026, 6, 30)) == 22  # June 2026: Mon 1st
    assert weekdays_between(date(2026, 6, 6), date(2026, 6, 7)) == 0  # a weekend
    assert weekdays_between(date(2026, 6, 5), date(2026, 6, 8)) == 2  # Fri + Mon
    assert weekdays_between(date(2026, 6, 8), date(2026, 6, 5)) == 0  # reversed
    assert weekdays_between(date(2026, 2, 1), date(2026, 2, 28)) == 20
    # Agrees with counting day by day over a long irregular range.
    first, last = date(2025, 3, 13), date(2026, 11, 2)
    by_hand = sum(1 for n in range((last - first).days + 1) if (first + pd.Timedelta(days=n)).weekday() < 5)
    assert weekdays_between(first, last) == by_hand


def test_spread_plan_hours_over_weekdays_across_months():
    # Fri 2026-05-29 .. Tue 2026-06-02: weekdays Fri 29, Mon 1, Tue 2 → 3 days, 10 h each.
    assert spread_plan_hours(date(2026, 5, 29), date(2026, 6, 2), 30.0) == {
        date(2026, 5, 1): 10.0,
        date(2026, 6, 1): 20.0,
    }
    # Weekend-only plan: no day to put the hours on.
    assert spread_plan_hours(date(2026, 6, 6), date(2026, 6, 7), 16.0) == {}
    # Start on a Saturday: the weekend day does not dilute the spread.
    assert spread_plan_hours(date(2026, 6, 6), date(2026, 6, 12), 50.0) == {date(2026, 6, 1): 50.0}


def test_capacity_hours_uses_weekdays_of_the_whole_month():
    assert capacity_hours(40.0, date(2026, 6, 1)) == 8 * 22
    assert capacity_hours(20.0, date(2026, 2, 1)) == 4 * 20
    assert capacity_hours(None, date(2026, 6, 1)) is None


def test_the_month_in_progress_counts_to_the_as_of_day():
    as_of = date(2026, 6, 10)  # a Wednesday: June 1-10 holds 8 weekdays
    assert to_date_share(date(2026, 6, 1), as_of) == pytest.approx(10 / 30)
    assert to_date_share(date(2026, 5, 1), as_of) == 1.0
    assert to_date_share(date(2026, 6, 1), date(2026, 6, 30)) == 1.0  # the last day counts in full
    assert capacity_hours(40.0, date(2026, 6, 1), as_of) == 8 * 8
    assert capacity_hours(40.0, date(2026, 5, 1), as_of) == 8 * 21
    # Mon 2026-06-08 .. Fri 2026-06-19, 100 h: 10 h a weekday; to 10 June only the 8th-10th count.
    assert spread_plan_hours(date(2026, 6, 8), date(2026, 6, 19), 100.0, through=as_of) == {
        date(2026, 6, 1): pytest.approx(30.0)
    }
    # A plan that starts after as_of counts nothing to date.
    assert spread_plan_hours(date(2026, 6, 15), date(2026, 6, 19), 50.0, through=as_of) == {}


def test_headline_rolls_up_the_as_of_month_and_the_twelve_months_to_it():
    as_of = date(2026, 6, 10)
    base = {
        "active_project_count": 1,
        "planned_cost_to_date_amount": 100.0,
        "actual_cost_to_date_amount": 90.0,
        "planned_benefit_to_date_amount": 0.0,
        "actual_benefit_to_date_amount": 0.0,
        "risk_exposure_amount": 5.0,
        "red_project_count": 0,
        "amber_project_count": 0,
        "green_project_count": 1,
    }
    summary = pd.DataFrame(
        [
            {
                **base,
                "portfolio_name": "A",
                "month_start_date": date(2025, 6, 1),
                "projects_closed_count": 4,
                "projects_closed_on_time_count": 4,
            },  # outside the window
            {
                **base,
                "portfolio_name": "A",
                "month_start_date": date(2025, 7, 1),
                "projects_closed_count": 2,
                "projects_closed_on_time_count": 1,
            },
            {
                **base,
                "portfolio_name": "A",
                "month_start_date": date(2026, 6, 1),
                "projects_closed_count": 1,
                "projects_closed_on_time_count": 1,
            },
            {
                **base,
                "portfolio_name": "B",
                "month_start_date": date(2026, 6, 1),
                "projects_closed_count": 0,
                "projects_closed_on_time_count": 0,
                "actual_cost_to_date_amount": 130.0,
            },
        ]
    )
    capacity = pd.DataFrame(
        [
            {"month_start_date": date(2026, 6, 1), "capacity_hours": 64.0, "actual_hours": 48.0},
            {"month_start_date": date(2026, 5, 1), "capacity_hours": 168.0, "actual_hours": 10.0},
        ]
    )
    rows = headline(summary, capacity, as_of).set_index("portfolio_name")
    assert rows.loc["A", "on_time_delivery_rate"] == pytest.approx(2 / 3)
    assert rows.loc["B", "on_time_delivery_rate"] is None
    assert rows.loc["A", "capacity_utilization"] is None  # capacity belongs to people
    total_row = rows.loc["All portfolios"]
    assert total_row["is_total"] and total_row["budget_variance_ratio"] == pytest.approx(20 / 200)
    assert total_row["capacity_utilization"] == pytest.approx(0.75)
    assert total_row["on_time_window_start_date"] == date(2025, 7, 1)


def test_cost_reconciliation_tolerance_and_unknown_project():
    as_of = date(2026, 3, 31)
    facts = SimpleNamespace(
        kpi_vars=KpiVars(as_of=as_of),
        projects=pd.DataFrame({"sys_id": ["p1"], "project_id": ["PRJ1"]}),
        plan=pd.DataFrame(
            [
                {
                    "project": "p1",
                    "month": date(2026, 2, 1),
                    "expense_type": "capex",
                    "cost": 10000.0,
                    "servicenow_actual": 10050.0,
                },
                {
                    "project": "p1",
                    "month": date(2026, 3, 1),
                    "expense_type": "capex",
                    "cost": 15000.0,
                    "servicenow_actual": 20000.0,
                },
                {
                    "project": "p1",
                    "month": date(2026, 4, 1),
                    "expense_type": "capex",
                    "cost": 5000.0,
                    "servicenow_actual": 0.0,
                },
            ]
        ),
        gl=pd.DataFrame(
            [
                {"project": "p1", "month": date(2026, 2, 1), "expense_type": "capex", "amount": 10000.0},
                {"project": "p1", "month": date(2026, 3, 1), "expense_type": "capex", "amount": 18000.0},
                {"project": None, "month": date(2026, 3, 1), "expense_type": "opex", "amount": 700.0},
            ]
        ),
    )
    rows = cost_reconciliation(facts).set_index(["project_id", "month_start_date", "expense_type"])
    assert len(rows) == 3  # April is after the as-of month
    february = rows.loc[("PRJ1", date(2026, 2, 1), "capex")]
    assert february["tolerance_amount"] == 100.0 and february["is_reconciled"]  # 50 apart, within the floor
    march = rows.loc[("PRJ1", date(2026, 3, 1), "capex")]
    assert march["tolerance_amount"] == pytest.approx(180.0) and not march["is_reconciled"]  # 1 % of the GL
    unknown = rows.loc[(None, date(2026, 3, 1), "opex")]
    assert unknown["gl_actual_amount"] == 700.0 and unknown["servicenow_vs_gl_amount"] == -700.0


def test_risk_exposure_probability_map():
    assert risk_exposure("1", 1000.0) == pytest.approx(900.0)
    assert risk_exposure("3", 1000.0) == pytest.approx(500.0)
    assert risk_exposure("5", 1000.0) == pytest.approx(100.0)
    assert risk_exposure("", 1000.0) is None
    assert risk_exposure("2", None) is None


def test_quantile_cont_interpolates_linearly_like_duckdb():
    assert quantile_cont([], 0.5) is None
    assert quantile_cont([7.0], 0.85) == 7.0
    assert quantile_cont([4.0, 1.0, 3.0, 2.0], 0.5) == pytest.approx(2.5)
    assert quantile_cont([1.0, 2.0, 3.0, 4.0], 0.85) == pytest.approx(3.55)
    assert quantile_cont([1.0, 2.0, 10.0], 0.5) == 2.0


def test_earned_value_block():
    evm = earned_value(bac=1000.0, pv=500.0, ac=600.0, percent_complete=40.0)
    assert evm["ev_amount"] == pytest.approx(400.0)
    assert evm["cv_amount"] == pytest.approx(-200.0)
    assert evm["sv_amount"] == pytest.approx(-100.0)
    assert evm["cpi"] == pytest.approx(400 / 600)
    assert evm["spi"] == pytest.approx(0.8)
    assert evm["eac_amount"] == pytest.approx(1500.0)
    assert evm["etc_amount"] == pytest.approx(900.0)
    assert evm["vac_amount"] == pytest.approx(-500.0)
    assert evm["tcpi"] == pytest.approx(600 / 400)


def test_earned_value_zero_denominators_are_null():
    # No actual cost yet: cpi NULL, so eac, etc and vac are NULL too.
    evm = earned_value(bac=1000.0, pv=0.0, ac=0.0, percent_complete=0.0)
    assert evm["ev_amount"] == 0.0
    assert evm["cpi"] is None and evm["spi"] is None
    assert evm["eac_amount"] is None and evm["etc_amount"] is None and evm["vac_amount"] is None
    assert evm["tcpi"] == pytest.approx(1.0)
    # Nothing earned yet but money spent: cpi = 0, and bac / 0 is NULL, never infinity.
    evm = earned_value(bac=1000.0, pv=100.0, ac=100.0, percent_complete=0.0)
    assert evm["cpi"] == 0.0
    assert evm["eac_amount"] is None
    # Spent exactly the budget: tcpi's denominator is 0.
    evm = earned_value(bac=1000.0, pv=1000.0, ac=1000.0, percent_complete=90.0)
    assert evm["tcpi"] is None
    # Unknown percent complete: everything that needs ev is NULL.
    evm = earned_value(bac=1000.0, pv=100.0, ac=100.0, percent_complete=None)
    assert evm["ev_amount"] is None and evm["cv_amount"] is None and evm["tcpi"] is None


def test_npv_discounts_from_the_start_year():
    cost = {date(2026, 3, 1): 100.0, date(2027, 1, 1): 50.0}
    benefit = {date(2027, 6, 1): 80.0, date(2028, 6, 1): 108.0}
    expected = -100.0 + (80.0 - 50.0) / 1.08 + 108.0 / 1.08**2
    assert npv(cost, benefit, 2026, 0.08) == pytest.approx(expected)
    # A later start year shifts every exponent (and drops earlier years).
    assert npv(cost, benefit, 2027, 0.08) == pytest.approx(30.0 + 108.0 / 1.08)
    assert npv({}, {}, 2026, 0.08) == 0.0
    assert npv(cost, benefit, None, 0.08) is None


def test_payback_months():
    cost = {date(2026, 1, 1): 100.0, date(2026, 2, 1): 100.0}
    # Cumulative benefit reaches 200 in 2026-06: 5 months after the first cost month.
    benefit = {date(2026, 4, 1): 120.0, date(2026, 6, 1): 80.0}
    assert payback_months(cost, benefit) == 5
    assert payback_months(cost, {date(2026, 4, 1): 10.0}) is None  # never
    assert payback_months({}, benefit) is None  # no planned cost
    # Benefit before any cost does not make the months before F count (0 ≥ 0 is not payback).
    assert payback_months({date(2026, 3, 1): 50.0}, {date(2026, 1, 1): 60.0}) == 0


def test_latest_forecast_version_is_the_greatest_label_not_after_the_as_of_month():
    versions = ["2026-03", "2026-06", "2026-07", "2025-12", "2026-06"]
    assert latest_forecast_version(versions, date(2026, 6, 1)) == "2026-06"
    assert latest_forecast_version(versions, date(2026, 5, 1)) == "2026-03"
    assert latest_forecast_version(versions, date(2025, 1, 1)) is None


def test_is_active_at_month_end():
    end = date(2026, 3, 31)
    assert is_active_at("2", date(2026, 1, 5), None, end)
    assert is_active_at("3", date(2026, 1, 5), date(2026, 4, 1), end)
    assert not is_active_at("3", date(2026, 1, 5), date(2026, 3, 31), end)  # ended on the last day
    assert not is_active_at("2", date(2026, 4, 1), None, end)  # not started yet
    assert not is_active_at("1", None, None, end)  # never started
    assert not is_active_at("-5", date(2026, 1, 5), None, end)  # pending


def test_is_on_time():
    assert is_on_time("3", date(2026, 3, 15), date(2026, 3, 15), 0) is True
    assert is_on_time("3", date(2026, 3, 16), date(2026, 3, 15), 0) is False
    assert is_on_time("3", date(2026, 3, 16), date(2026, 3, 15), 1) is True
    assert is_on_time("4", date(2026, 3, 1), date(2026, 3, 15), 0) is None  # closed incomplete
    assert is_on_time("3", date(2026, 3, 1), None, 0) is None  # no baseline


def test_baseline_end_date_takes_the_oldest_baseline_ties_by_sys_id():
    baselines = pd.DataFrame(
        {
            "sys_id": ["b2", "b1", "b3", "bx"],
            "task": ["p", "p", "p", "other"],
            "sys_created_on": [
                "2026-01-01 00:00:00",
                "2026-01-01 00:00:00",
                "2025-12-31 00:00:00",
                "2020-01-01 00:00:00",
            ],
        }
    )
    items = pd.DataFrame(
        {
            "sys_id": ["i1", "i2", "i3", "i4"],
            "baseline": ["b1", "b2", "b3", "b3"],
            "task": ["p", "p", "p", "task-of-p"],
            "end_date": ["2026-05-01 17:00:00", "2026-06-01 17:00:00", "2026-04-01 23:30:00", "2026-01-01 00:00:00"],
        }
    )
    assert baseline_end_date("p", "approved", date(2027, 1, 1), baselines, items) == date(2026, 4, 1)
    # Without b3 the tie on sys_created_on goes to the smaller sys_id, b1.
    assert baseline_end_date("p", "approved", None, baselines[baselines.sys_id != "b3"], items) == date(2026, 5, 1)
    # No baseline: the plan as approved; never approved: NULL.
    assert baseline_end_date("q", "approved", date(2027, 1, 1), baselines, items) == date(2027, 1, 1)
    assert baseline_end_date("q", "requested", date(2027, 1, 1), baselines, items) is None


def test_status_at_and_first_in_progress():
    changes = [(100, "1", "3"), (200, "3", "10001"), (300, "10001", "3")]
    assert status_at("3", changes, 50) == "1"  # before the first change: its "from"
    assert status_at("3", changes, 100) == "1"  # a change at the moment itself is not yet in
    assert status_at("3", changes, 150) == "3"
    assert status_at("3", changes, 250) == "10001"
    assert status_at("7", [], 250) == "7"
    category = {"1": "new", "3": "indeterminate", "10001": "done"}
    assert first_in_progress_ms(changes, category) == 100
    assert first_in_progress_ms([(5, "1", "10001")], category) is None


def test_min_max_and_dense_rank():
    assert min_max_normalise({"a": 2.0, "b": 6.0, "c": 4.0}) == {"a": 0.0, "b": 1.0, "c": 0.5}
    assert min_max_normalise({"a": 5.0, "b": 5.0}) == {"a": 1.0, "b": 1.0}
    assert dense_rank_descending({"a": 0.5, "b": 0.9, "c": 0.5, "d": None}) == {"a": 2, "b": 1, "c": 2, "d": None}


def test_fx_rates_fall_back_only_when_asked():
    fx = FxRates(
        pd.DataFrame(
            {"period": ["2026-05", "2026-06"], "currency": ["EUR", "EUR"], "rate_to_reporting": ["1.10", "1.20"]}
        ),
        "USD",
    )
    assert fx.rate("EUR", date(2026, 6, 1)) == 1.2
    assert fx.rate("EUR", date(2026, 8, 1)) is None
    assert fx.rate("EUR", date(2026, 8, 1), latest_earlier=True) == 1.2
    assert fx.rate("EUR", date(2026, 4, 1), latest_earlier=True) is None
    assert fx.rate("USD", date(2026, 8, 1)) == 1.0


def test_cumulative_and_month_span():
    assert active_month_span([]) == []
    assert active_month_span([date(2026, 3, 1), date(2025, 12, 1), date(2026, 3, 1)]) == [
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]
    # Months before the first asked-for month still count ("to date" from the beginning).
    by_month = {date(2026, 1, 1): 5.0, date(2026, 3, 1): 2.0, date(2026, 9, 1): 100.0}
    assert cumulative(by_month, [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)]) == {
        date(2026, 2, 1): 5.0,
        date(2026, 3, 1): 7.0,
        date(2026, 4, 1): 7.0,
    }


JAN, FEB, MAR, APR, MAY, JUN = (date(2026, m, 1) for m in range(1, 7))


def test_budget_vs_actual_rows_row_set_and_nulls_after_the_as_of_month():
    planned = {(FEB, "capex"): 100.0, (APR, "capex"): 100.0, (FEB, "opex"): 10.0}
    forecast = {(MAY, "opex"): 30.0, (JUN, "capex"): 0.0}  # a zero figure does not open June
    actual = {(JAN, "capex"): 0.0, (FEB, "capex"): 120.0, (MAR, "opex"): 5.0}  # a zero month does not open January
    rows = budget_vs_actual_rows("PRJ1", planned, forecast, actual, as_of_month=MAR)
    # February (first non-zero) through May (last: the opex forecast), × both types, gap month included.
    assert [(r["month_start_date"], r["expense_type"]) for r in rows] == [
        (m, t) for m in (FEB, MAR, APR, MAY) for t in ("capex", "opex")
    ]
    by = {(r["month_start_date"], r["expense_type"]): r for r in rows}
    feb = by[(FEB, "capex")]
    assert (feb["planned_amount"], feb["actual_amount"], feb["variance_amount"]) == (100.0, 120.0, 20.0)
    assert feb["forecast_amount"] == 0.0  # no figure in the version: a sum over nothing
    mar = by[(MAR, "capex")]  # nothing planned or spent: zeros, monthly variance 0, cumulatives carried
    assert (mar["planned_amount"], mar["actual_amount"], mar["variance_amount"]) == (0.0, 0.0, 0.0)
    assert (mar["cumulative_planned_amount"], mar["cumulative_actual_amount"]) == (100.0, 120.0)
    assert by[(MAR, "opex")]["variance_amount"] == 5.0  # monthly, not cumulative (10 planned in Feb)
    assert by[(MAR, "opex")]["cumulative_actual_amount"] == 5.0
    apr = by[(APR, "capex")]  # after the as-of month
    assert apr["planned_amount"] == 100.0 and apr["cumulative_planned_amount"] == 200.0
    assert apr["actual_amount"] is None and apr["cumulative_actual_amount"] is None and apr["variance_amount"] is None
    assert by[(MAY, "opex")]["forecast_amount"] == 30.0 and by[(MAY, "opex")]["actual_amount"] is None
    # Nothing non-zero at all: no rows.
    assert budget_vs_actual_rows("PRJ2", {(JAN, "capex"): 0.0}, {}, {}, as_of_month=MAR) == []


def test_budget_vs_actual_rows_ignore_actuals_after_the_as_of_month():
    rows = budget_vs_actual_rows("PRJ1", {(JAN, "opex"): 1.0}, {}, {(MAR, "opex"): 50.0}, as_of_month=FEB)
    assert [r["month_start_date"] for r in rows] == [JAN, JAN]


def test_benefits_realization_rows_ratio_of_cumulative_sums():
    planned = {FEB: 100.0, MAR: 300.0, JUN: 600.0}
    actual = {FEB: 50.0, MAR: 300.0, MAY: 0.0}
    rows = {r["month_start_date"]: r for r in benefits_realization_rows("PRJ1", planned, actual, as_of_month=APR)}
    assert list(rows) == [FEB, MAR, APR, MAY, JUN]
    assert rows[FEB]["benefit_realization_ratio"] == pytest.approx(0.5)
    # Cumulative: 350 / 400, not the average of the monthly ratios (0.5 and 1.0).
    assert rows[MAR]["benefit_realization_ratio"] == pytest.approx(350.0 / 400.0)
    assert rows[MAR]["benefit_realization_ratio"] != pytest.approx((0.5 + 1.0) / 2)
    assert rows[APR]["planned_benefit_amount"] == 0.0 and rows[APR]["actual_benefit_amount"] == 0.0
    assert rows[APR]["cumulative_actual_amount"] == 350.0
    for month in (MAY, JUN):  # after the as-of month
        assert rows[month]["actual_benefit_amount"] is None
        assert rows[month]["cumulative_actual_amount"] is None
        assert rows[month]["benefit_realization_ratio"] is None
    assert rows[JUN]["cumulative_planned_amount"] == 1000.0


def test_benefits_realization_rows_zero_denominator_is_null():
    # Actual benefit before any is planned: the cumulative planned benefit is 0 → NULL, never inf.
    rows = benefits_realization_rows("PRJ1", {MAR: 100.0}, {FEB: 20.0}, as_of_month=APR)
    by = {r["month_start_date"]: r for r in rows}
    assert list(by) == [FEB, MAR]
    assert by[FEB]["cumulative_planned_amount"] == 0.0 and by[FEB]["benefit_realization_ratio"] is None
    assert by[MAR]["benefit_realization_ratio"] == pytest.approx(0.2)
    # An actual after the as-of month is not a fact yet: it does not open a month.
    assert [
        r["month_start_date"] for r in benefits_realization_rows("PRJ1", {FEB: 1.0}, {MAY: 9.0}, as_of_month=MAR)
    ] == [FEB]


def test_risk_buckets_and_heatmap_cells():
    assert [risk_bucket(c) for c in ("1", "2", "3", "4", "5")] == [5, 4, 3, 2, 1]
    assert risk_bucket("") is None and risk_bucket(None) is None and risk_bucket("9") is None
    risks = [
        {"portfolio_name": "A", "probability": "1", "impact": "2", "exposure": 900.0},
        {"portfolio_name": "A", "probability": "1", "impact": "2", "exposure": 90.0},
        {"portfolio_name": "A", "probability": "5", "impact": "5", "exposure": None},  # no estimated cost
        {"portfolio_name": "B", "probability": "1", "impact": "2", "exposure": 1.0},
    ]
    cells = {
        (r["portfolio_name"], r["probability_bucket"], r["impact_bucket"]): (r["open_risk_count"], r["exposure_amount"])
        for r in risk_heatmap_cells(risks).to_dict("records")
    }
    assert cells == {("A", 5, 4): (2, 990.0), ("A", 1, 1): (1, 0.0), ("B", 5, 4): (1, 1.0)}
    assert risk_heatmap_cells([]).empty


def test_wsjf():
    assert wsjf(6.0, 5.0, 5.0, 4.0) == pytest.approx(4.0)
    assert wsjf(6.0, 5.0, 5.0, 0.0) is None  # zero job size: NULL, never infinity
    assert wsjf(6.0, 5.0, 5.0, None) is None
    assert wsjf(None, 5.0, 5.0, 4.0) is None


def _item(item_id: str, portfolio: str, sa: float | None, bv: float, tc: float, rr: float) -> dict:
    return {
        "id": item_id,
        "portfolio": portfolio,
        "u_strategic_alignment": sa,
        "u_business_value": bv,
        "u_time_criticality": tc,
        "u_risk_reduction": rr,
    }


def test_score_ranked_items_normalises_within_the_portfolio():
    items = [
        _item("a", "P", 8, 2, 5, 5),
        _item("b", "P", 4, 6, 5, 5),
        _item("c", "P", 8, 2, 5, 5),  # ties with a
        _item("d", "P", 6, 4, 5, 5),
        _item("x", "Q", 1, 1, 1, 1),  # alone in its portfolio: max = min everywhere → 1
    ]
    scored = {i["id"]: (i["priority_score"], i["priority_rank"]) for i in score_ranked_items(items)}
    # sa: 8,4,8,6 → 1,0,1,0.5; bv: 2,6,2,4 → 0,1,0,0.5; tc and rr all equal → 1.
    assert scored["a"][0] == pytest.approx(0.4 + 0.2 + 0.1)
    assert scored["b"][0] == pytest.approx(0.3 + 0.2 + 0.1)
    assert scored["d"][0] == pytest.approx(0.2 + 0.15 + 0.2 + 0.1)
    assert scored["c"] == scored["a"]
    # Dense ranks with ties: a and c first, then d (0.65), then b (0.6) — no gap after the tie.
    assert (scored["a"][1], scored["c"][1], scored["d"][1], scored["b"][1]) == (1, 1, 2, 3)
    assert scored["x"] == (pytest.approx(1.0), 1)


def test_score_ranked_items_missing_criterion():
    scored = {i["id"]: i for i in score_ranked_items([_item("a", "P", None, 2, 5, 5), _item("b", "P", 3, 6, 5, 5)])}
    assert scored["a"]["priority_score"] is None and scored["a"]["priority_rank"] is None
    # b is alone on strategic alignment (max = min → 1) and highest on business value.
    assert scored["b"]["priority_score"] == pytest.approx(1.0) and scored["b"]["priority_rank"] == 1


# --------------------------------------------------------------------------------------------
# A tiny world file, built by hand
# --------------------------------------------------------------------------------------------

TINY_DDL = """
create table meta (key text primary key, value text not null);
create table sn_record (tbl text, sys_id text, sys_created_on text, sys_updated_on text, body text,
                        primary key (tbl, sys_id));
create table jira_project (id text primary key, key text not null unique, body text not null);
create table jira_issue (id integer primary key, key text, project_key text, key_num integer,
                         created_ms integer, updated_ms integer, body text);
create table jira_changelog (id integer primary key, issue_id integer, created_ms integer, body text);
create table jira_static (name text primary key, body text not null);
create table fin_gl_line (company_code text, fiscal_year integer, fiscal_period integer, posting_date text,
    document_number text, line_number integer, gl_account text, cost_center text, wbs_code text,
    vendor_id text, vendor_name text, expense_type text, amount text, currency text, description text,
    export_file text, export_line integer);
create table fin_forecast (fiscal_year integer, version text, wbs_code text, cost_center text,
    expense_type text, currency text, month integer, amount text, export_file text);
create table fin_fx_rate (period text, currency text, rate_to_reporting text, export_file text);
"""


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def build_tiny_world(path: Path) -> Path:
    """Two projects in one portfolio, two people, a handful of facts (see the tests for the sums)."""
    conn = sqlite3.connect(path)
    conn.executescript(TINY_DDL)
    conn.executemany(
        "insert into meta values (?, ?)",
        [("anchor", AS_OF.isoformat()), ("now", "2026-06-30 18:00:00"), ("reporting_currency", "USD")],
    )
    created = "2025-01-01 00:00:00"

    def sn(tbl: str, sys_id: str, created_on: str = created, **fields: str) -> None:
        body = {"sys_id": sys_id, "sys_created_on": created_on, "sys_updated_on": created_on, **fields}
        conn.execute(
            "insert into sn_record values (?, ?, ?, ?, ?)", (tbl, sys_id, created_on, created_on, json.dumps(body))
        )

    for month in range(1, 13):
        sn(
            "fiscal_period",
            f"m{month:02d}",
            name=f"FY26: M{month:02d}",
            fiscal_type="month",
            fiscal_start_date=f"2026-{month:02d}-01",
            fiscal_end_date="",
        )
    sn(
        "fiscal_period",
        "q1",
        name="FY26: Q1",
        fiscal_type="quarter",
        fiscal_start_date="2026-01-01",
        fiscal_end_date="2026-03-31",
    )
    sn(
        "fiscal_period",
        "fy26",
        name="FY26",
        fiscal_type="year",
        fiscal_start_date="2026-01-01",
        fiscal_end_date="2026-12-31",
    )
    sn("pm_portfolio", "pf1", name="Alpha", active="true")
    sn("pm_portfolio", "pf2", name="Quiet", active="true")
    sn("pm_program", "pg1", number="PRGM1", short_description="Alpha programme 1", portfolio="pf1")
    sn("cmn_department", "d1", name="Dev", id="DEV", cost_center="")
    sn("sys_user", "u1", user_name="ann", name="Ann A", department="d1", u_weekly_capacity_hours="40")
    sn("sys_user", "u2", user_name="bob", name="Bob B", department="d1", u_weekly_capacity_hours="20")
    common = dict(
        portfolio="pf1",
        phase="executing",
        approval="approved",
        u_strategic_alignment="5",
        u_business_value="5",
        u_time_criticality="5",
        u_risk_reduction="5",
        u_job_size="5",
    )
    # A: closed complete, late against its oldest baseline.
    sn(
        "pm_project",
        "pa",
        number="PRJ001",
        short_description="Closed A",
        program="pg1",
        state="3",
        start_date="2026-01-01 08:00:00",
        end_date="2026-03-31 17:00:00",
        work_start="2026-01-05 09:00:00",
        work_end="2026-03-20 23:30:00",
        percent_complete="100",
        u_wbs_code="WBS-A",
        u_jira_project_key="MOB",
        **common,
    )
    sn("planned_task_baseline", "bl-new", created_on="2026-01-10 00:00:00", name="re-plan", task="pa")
    sn("planned_task_baseline", "bl-old", created_on="2025-12-01 00:00:00", name="original", task="pa")
    sn("planned_task_baseline_item", "bi1", baseline="bl-old", task="pa", start_date="", end_date="2026-03-15 17:00:00")
    sn("planned_task_baseline_item", "bi2", baseline="bl-new", task="pa", start_date="", end_date="2026-04-30 17:00:00")
    # B: in progress, 40 %, no baseline, over budget with a EUR line.
    sn(
        "pm_project",
        "pb",
        number="PRJ002",
        short_description="Running B",
        program="",
        state="2",
        start_date="2026-01-01 08:00:00",
        end_date="2026-12-31 17:00:00",
        work_start="2026-02-01 09:00:00",
        work_end="",
        percent_complete="40",
        u_wbs_code="WBS-B",
        u_jira_project_key="",
        **common,
    )
    sn("pm_project_task", "tb1", number="PRJTASK1", top_task="pb", parent="pb", milestone="false")

    sn("cost_plan", "cpa", name="A capex", task="pa", expense_type="capex")
    sn("cost_plan_breakdown", "cpa1", cost_plan="cpa", task="pa", fiscal_period="m01", cost="900")
    sn("cost_plan", "cpb", name="B capex", task="pb", expense_type="capex")
    for month in range(1, 11):  # Jan..Oct, 100 a month → bac 1000, pv(June) 600
        sn(
            "cost_plan_breakdown",
            f"cpb{month:02d}",
            cost_plan="cpb",
            task="pb",
            fiscal_period=f"m{month:02d}",
            cost="100",
        )
    sn("cost_plan_breakdown", "cpbq", cost_plan="cpb", task="pb", fiscal_period="q1", cost="9999")  # ignored

    gl = [
        # company, year, period, doc, wbs, type, amount, currency
        ("US01", 2026, 1, "D1", "WBS-A", "CAPEX", "900.00", "USD"),
        ("US01", 2026, 2, "D2", "WBS-B", "CAPEX", "550.00", "USD"),
        ("DE01", 2026, 3, "D3", "WBS-B", "OPEX", "100.00", "EUR"),
        ("US01", 2026, 7, "D4", "WBS-B", "CAPEX", "5000.00", "USD"),  # after the as-of month
        ("US01", 2026, 4, "D5", "WBS-UNKNOWN", "OPEX", "77.00", "USD"),  # maps to no project
    ]
    conn.executemany(
        "insert into fin_gl_line values "
        "(?, ?, ?, '2026-01-31', ?, 1, '6000', 'CC1', ?, 'V1', 'Vendor', ?, ?, ?, '', 'gl.csv', 2)",
        gl,
    )
    conn.executemany(
        "insert into fin_fx_rate values (?, ?, ?, 'fx.csv')",
        [("2026-03", "EUR", "1.10"), ("2026-07", "EUR", "1.20"), ("2026-07", "USD", "1")],
    )
    conn.executemany(
        "insert into fin_forecast values (2026, ?, 'WBS-B', 'CC1', 'CAPEX', ?, ?, ?, 'fc.csv')",
        [
            ("2026-05", "USD", 6, "111"),  # not after the as-of month
            ("2026-05", "USD", 7, "200"),
            ("2026-05", "EUR", 8, "100"),  # no August rate: July's 1.20
            ("2026-04", "USD", 9, "999"),  # an older version
            ("2026-07", "USD", 9, "999"),  # a version after the as-of month
        ],
    )

    sn("benefit_plan", "bp1", name="savings", task="pb", benefit_type="monetary")
    sn("benefit_plan", "bp2", name="morale", task="pb", benefit_type="non_monetary")
    sn(
        "benefit_plan_breakdown",
        "bb1",
        benefit_plan="bp1",
        task="pb",
        fiscal_period="m05",
        planned_benefit="400",
        actual_benefit="100",
    )
    sn(
        "benefit_plan_breakdown",
        "bb2",
        benefit_plan="bp1",
        task="pb",
        fiscal_period="m11",
        planned_benefit="1000",
        actual_benefit="0",
    )
    sn(
        "benefit_plan_breakdown",
        "bb3",
        benefit_plan="bp2",
        task="pb",
        fiscal_period="m05",
        planned_benefit="999",
        actual_benefit="999",
    )

    sn("risk", "r1", number="RSK1", task="pb", probability="1", impact="2", estimated_cost="1000", state="open")
    sn("risk", "r2", number="RSK2", task="pb", probability="5", impact="5", estimated_cost="100", state="monitoring")
    sn("risk", "r3", number="RSK3", task="pb", probability="1", impact="1", estimated_cost="5000", state="closed")
    sn("risk", "r4", number="RSK4", task="pa", probability="3", impact="1", estimated_cost="10", state="retired")

    # Demands, all in "Quiet" (no activity there, so no portfolio-summary rows and no effect on
    # PRJ002's rank in Alpha). D1 and D3 tie; time criticality and risk reduction are all equal.
    def demand(sys_id: str, state: str, scores: tuple[str, str, str, str, str], project: str = "") -> None:
        sa, bv, tc, rr, job = scores
        sn(
            "dmn_demand",
            sys_id,
            number=f"DMND{sys_id[1:]}",
            short_description=f"Demand {sys_id}",
            portfolio="pf2",
            state=state,
            project=project,
            u_strategic_alignment=sa,
            u_business_value=bv,
            u_time_criticality=tc,
            u_risk_reduction=rr,
            u_job_size=job,
        )

    demand("d1", "submitted", ("8", "2", "5", "5", "0"))
    demand("d2", "qualified", ("4", "6", "5", "5", "4"))
    demand("d3", "screening", ("8", "2", "5", "5", "3"))
    demand("d4", "approved", ("10", "10", "10", "10", "1"))  # not open
    demand("d5", "qualified", ("10", "10", "10", "10", "1"), project="pb")  # converted
    demand("d6", "draft", ("10", "10", "10", "10", "1"))  # not yet submitted

    sn("project_status", "s1", number="PRJSTAT1", project="pb", as_on="2026-06-01", overall_health="green")
    sn("project_status", "s2", number="PRJSTAT2", project="pb", as_on="2026-06-29", overall_health="yellow")
    sn("project_status", "s3", number="PRJSTAT3", project="pb", as_on="2026-07-01", overall_health="red")  # after as_of

    def card(sys_id: str, user: str, task: str, monday: str, state: str, hours: list[str]) -> None:
        days = dict(zip(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"), hours))
        sn("time_card", sys_id, user=user, task=task, week_starts_on=monday, state=state, category="task", **days)

    card("tc1", "u1", "tb1", "2026-06-29", "approved", ["8", "8", "8", "8", "8", "0", "0"])  # Jun 29, 30 count
    card(
        "tc2", "u1", "pb", "2026-03-30", "processed", ["8", "8", "8", "8", "8", "2", "0"]
    )  # 16 h in March, 26 h in April
    card("tc3", "u2", "pb", "2026-06-01", "rejected", ["8", "8", "8", "8", "8", "0", "0"])
    card("tc4", "u2", "pa", "2026-03-02", "submitted", ["8", "8", "8", "8", "8", "0", "0"])
    card("tc5", "u2", "pa", "2026-03-02", "approved", ["4", "0", "0", "0", "0", "0", "1"])  # 5 h in March
    sn(
        "resource_plan",
        "rp1",
        number="RPLN1",
        user="u1",
        task="pb",
        start_date="2026-06-01",
        end_date="2026-06-30",
        planned_hours="88",
        state="confirmed",
    )
    sn(
        "resource_plan",
        "rp2",
        number="RPLN2",
        user="u2",
        task="pb",
        start_date="2026-06-01",
        end_date="2026-06-30",
        planned_hours="500",
        state="cancelled",
    )
    sn(
        "resource_plan",
        "rp3",
        number="RPLN3",
        user="u2",
        task="pa",
        start_date="2026-03-30",
        end_date="2026-04-03",
        planned_hours="10",
        state="completed",
    )

    # Jira: MOB with three statuses and three issues.
    conn.execute(
        "insert into jira_static values ('statuses', ?)",
        (
            json.dumps(
                [
                    {"id": "1", "name": "To Do", "statusCategory": {"key": "new"}},
                    {"id": "3", "name": "In Progress", "statusCategory": {"key": "indeterminate"}},
                    {"id": "10001", "name": "Done", "statusCategory": {"key": "done"}},
                ]
            ),
        ),
    )
    conn.execute(
        "insert into jira_project values ('10000', 'MOB', ?)",
        (json.dumps({"id": "10000", "key": "MOB", "name": "Mobile"}),),
    )
    conn.execute(
        "insert into jira_project values ('10001', 'WEB', ?)",
        (json.dumps({"id": "10001", "key": "WEB", "name": "Web"}),),
    )

    def issue(
        issue_id: int, key: str, created: str, resolved: str | None, status: str, links: list | None = None
    ) -> None:
        category = {"1": "new", "3": "indeterminate", "10001": "done"}[status]
        fields = {
            "created": _ms(created),
            "resolutiondate": _ms(resolved) if resolved else None,
            "status": {"id": status, "statusCategory": {"key": category}},
            "issuelinks": links or [],
            "project": {"key": key.split("-")[0]},
        }
        conn.execute(
            "insert into jira_issue values (?, ?, ?, ?, ?, ?, ?)",
            (
                issue_id,
                key,
                key.split("-")[0],
                int(key.split("-")[1]),
                _ms(created),
                _ms(created),
                json.dumps({"id": str(issue_id), "key": key, "fields": fields}),
            ),
        )

    def change(history_id: int, issue_id: int, at: str, frm: str, to: str) -> None:
        body = {"id": str(history_id), "created": _ms(at), "items": [{"fieldId": "status", "from": frm, "to": to}]}
        conn.execute(
            "insert into jira_changelog values (?, ?, ?, ?)", (history_id, issue_id, _ms(at), json.dumps(body))
        )

    blocks = {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"}
    issue(
        1,
        "MOB-1",
        "2026-06-01T00:00:00",
        "2026-06-04T00:00:00",
        "10001",
        [{"id": "500", "type": blocks, "inwardIssue": {"id": "10", "key": "WEB-1"}}],
    )
    change(1, 1, "2026-06-02T00:00:00", "1", "3")
    change(2, 1, "2026-06-04T00:00:00", "3", "10001")
    issue(
        2,
        "MOB-2",
        "2026-06-01T12:00:00",
        None,
        "3",
        [
            {"id": "501", "type": blocks, "inwardIssue": {"id": "11", "key": "WEB-2"}},  # WEB-2 is done
            {"id": "502", "type": blocks, "outwardIssue": {"id": "10", "key": "WEB-1"}},
        ],
    )  # MOB-2 blocks
    change(3, 2, "2026-06-03T00:00:00", "1", "3")
    issue(3, "MOB-3", "2026-06-02T00:00:00", "2026-06-05T12:00:00", "10001")  # never in progress
    change(4, 3, "2026-06-05T12:00:00", "1", "10001")
    issue(4, "MOB-4", "2026-06-08T00:00:00", "2026-07-01T00:00:00", "10001")  # resolved after as_of
    change(5, 4, "2026-06-09T00:00:00", "1", "3")
    change(6, 4, "2026-07-01T00:00:00", "3", "10001")
    # Created after as_of: its link to the open WEB-1 is not a fact as of as_of.
    issue(
        5,
        "MOB-5",
        "2026-07-02T00:00:00",
        None,
        "1",
        [{"id": "503", "type": blocks, "inwardIssue": {"id": "10", "key": "WEB-1"}}],
    )
    issue(
        10,
        "WEB-1",
        "2026-05-01T00:00:00",
        None,
        "1",
        [{"id": "500", "type": blocks, "outwardIssue": {"id": "1", "key": "MOB-1"}}],
    )
    issue(11, "WEB-2", "2026-05-01T00:00:00", "2026-05-02T00:00:00", "10001")
    change(7, 11, "2026-05-02T00:00:00", "1", "10001")
    conn.commit()
    conn.close()
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory):
    path = build_tiny_world(tmp_path_factory.mktemp("tiny") / "tiny.sqlite")
    world = load_world(path)
    return world, compute_all(world, KpiVars(as_of=AS_OF))


def test_load_world_shapes(tiny):
    world, _ = tiny
    assert world.anchor == AS_OF
    assert set(world.table("pm_project")["number"]) == {"PRJ001", "PRJ002"}
    assert len(world.jira_issues) == 7
    assert world.jira_status_category["3"] == "indeterminate"
    assert len(world.gl) == 5


def test_tiny_scorecard_closed_project(tiny):
    _, result = tiny
    a = result.scorecard.loc["PRJ001"]
    assert a["state"] == "closed complete"
    assert a["baseline_end_date"] == date(2026, 3, 15)  # the oldest baseline, not the re-plan
    assert a["actual_end_date"] == date(2026, 3, 20)
    assert a["is_on_time"] is False
    assert a["bac_amount"] == 900.0 and a["ac_amount"] == 900.0
    assert a["cpi"] == pytest.approx(1.0)
    assert a["tcpi"] is None  # bac − ac = 0
    assert a["open_risk_count"] == 0 and a["risk_exposure_amount"] == 0.0
    assert a["benefit_realization_ratio"] is None  # no monetary plan: 0 / 0
    assert a["roi_ratio"] == pytest.approx(-1.0)
    assert a["payback_months"] is None
    assert a["priority_score"] is None and a["priority_rank"] is None  # closed: not ranked
    # MOB-1 is blocked by WEB-1 (open) → 1; WEB-2 is done; MOB-2 → WEB-1 is "blocks", not blocked by;
    # MOB-5 is blocked by WEB-1 but was created after as_of.
    assert a["blocking_dependency_count"] == 1


def test_tiny_scorecard_running_project(tiny):
    _, result = tiny
    b = result.scorecard.loc["PRJ002"]
    assert b["state"] == "work in progress"
    assert b["baseline_end_date"] == date(2026, 12, 31)  # approved, no baseline: the plan's end
    assert b["is_on_time"] is None
    ac = 550.0 + 100.0 * 1.10  # the July line is after the as-of month
    assert b["bac_amount"] == 1000.0  # the quarter breakdown is ignored
    assert b["pv_amount"] == 600.0
    assert b["ac_amount"] == pytest.approx(ac)
    assert b["capex_actual_amount"] == pytest.approx(550.0)
    assert b["opex_actual_amount"] == pytest.approx(110.0)
    assert b["ev_amount"] == pytest.approx(400.0)
    assert b["cpi"] == pytest.approx(400.0 / ac)
    assert b["eac_amount"] == pytest.approx(1000.0 / (400.0 / ac))
    assert b["budget_variance_amount"] == pytest.approx(ac - 600.0)
    assert b["budget_variance_ratio"] == pytest.approx((ac - 600.0) / 600.0)
    fac = ac + 200.0 + 100.0 * 1.20
    assert b["forecast_at_completion_amount"] == pytest.approx(fac)
    assert b["forecast_variance_amount"] == pytest.approx(1000.0 - fac)
    assert b["planned_benefit_to_date_amount"] == 400.0
    assert b["actual_benefit_to_date_amount"] == 100.0
    assert b["benefit_realization_ratio"] == pytest.approx(0.25)
    assert b["open_risk_count"] == 2
    assert b["risk_exposure_amount"] == pytest.approx(900.0 + 10.0)
    assert b["npv_amount"] == pytest.approx(1400.0 - 1000.0)  # all in year 0
    assert b["roi_ratio"] == pytest.approx(0.4)
    # Cost Jan..Oct 100/month; cumulative benefit 1400 ≥ 1000 first in November: 10 months after Jan.
    assert b["payback_months"] == 10
    assert b["overall_health"] == "amber"  # yellow on 06-29; the 07-01 report is after as_of
    assert b["priority_score"] == pytest.approx(1.0) and b["priority_rank"] == 1  # alone: max = min
    assert b["blocking_dependency_count"] == 0


def test_tiny_portfolio_summary(tiny):
    _, result = tiny
    summary = result.portfolio_summary
    assert set(summary["portfolio_name"]) == {"Alpha"}  # "Quiet" has no activity: no rows
    rows = summary.set_index("month_start_date")
    assert list(rows.index) == [date(2026, m, 1) for m in range(1, 7)]  # first plan/GL month is January
    march = rows.loc[date(2026, 3, 1)]
    assert march["active_project_count"] == 1  # B; A ended on 03-20
    assert march["projects_closed_count"] == 1 and march["projects_closed_on_time_count"] == 0
    assert march["on_time_delivery_rate"] == 0.0
    assert march["actual_hours"] == pytest.approx(16.0 + 5.0)  # u1 Mar 30-31 on B, u2 approved card on A
    assert march["allocated_hours"] == pytest.approx(4.0)  # rp3: 10 h over 5 weekdays, 2 in March
    assert march["hours_vs_allocation_ratio"] == pytest.approx(21.0 / 4.0)
    # Ratio of sums, not average of ratios: A is on plan (0 %), B over; the portfolio ratio weighs by plan.
    planned = 900.0 + 300.0
    actual = 900.0 + 550.0 + 110.0
    assert march["planned_cost_to_date_amount"] == pytest.approx(planned)
    assert march["actual_cost_to_date_amount"] == pytest.approx(actual)
    assert march["budget_variance_ratio"] == pytest.approx((actual - planned) / planned)
    per_project_average = ((900 - 900) / 900 + (660 - 300) / 300) / 2
    assert march["budget_variance_ratio"] != pytest.approx(per_project_average)
    assert march["on_time_delivery_rate"] is not None
    january = rows.loc[date(2026, 1, 1)]
    assert january["on_time_delivery_rate"] is None  # nothing closed: 0 / 0
    assert january["hours_vs_allocation_ratio"] is None
    assert january["benefit_realization_ratio"] is None
    june = rows.loc[date(2026, 6, 1)]
    assert june["actual_hours"] == pytest.approx(16.0)  # Jun 29 + 30 via the task's top_task; Jul 1 ignored
    assert june["allocated_hours"] == pytest.approx(88.0)
    assert june["amber_project_count"] == 1 and june["green_project_count"] == 0 and june["red_project_count"] == 0
    assert june["risk_exposure_amount"] == pytest.approx(910.0)
    assert june["benefit_realization_ratio"] == pytest.approx(0.25)


def test_tiny_capacity_grid(tiny):
    _, result = tiny
    grid = result.capacity_utilization.set_index(["resource_id", "month_start_date"])
    assert len(grid) == 2 * 4  # two people × March..June (first counted hour is in March)
    ann_june = grid.loc[("ann", date(2026, 6, 1))]
    assert ann_june["capacity_hours"] == pytest.approx(176.0)
    assert ann_june["actual_hours"] == pytest.approx(16.0)
    assert ann_june["allocated_hours"] == pytest.approx(88.0)
    assert ann_june["capacity_utilization"] == pytest.approx(16.0 / 176.0)
    assert ann_june["allocation_ratio"] == pytest.approx(0.5)
    bob_may = grid.loc[("bob", date(2026, 5, 1))]
    assert bob_may["actual_hours"] == 0.0 and bob_may["allocated_hours"] == 0.0  # sums over nothing
    assert bob_may["capacity_hours"] == pytest.approx(4.0 * 21)
    assert bob_may["capacity_utilization"] == 0.0
    assert grid.loc[("ann", date(2026, 4, 1))]["actual_hours"] == pytest.approx(26.0)  # Apr 1-3 + Saturday
    assert grid.loc[("bob", date(2026, 4, 1))]["allocated_hours"] == pytest.approx(6.0)


def test_tiny_delivery_flow(tiny):
    _, result = tiny
    flow = result.delivery_flow.set_index(["jira_project_key", "week_start_date"])
    mob = flow.loc["MOB"]
    assert list(mob.index) == [date(2026, 6, d) for d in (1, 8, 15, 22, 29)]
    week1 = mob.loc[date(2026, 6, 1)]
    assert week1["throughput"] == 2  # MOB-1 and MOB-3
    assert week1["wip"] == 1  # MOB-2
    assert week1["cycle_time_p50_days"] == pytest.approx(2.0)  # MOB-3 was never in progress
    assert week1["cycle_time_p85_days"] == pytest.approx(2.0)
    assert week1["lead_time_p50_days"] == pytest.approx((3.0 + 3.5) / 2)
    week2 = mob.loc[date(2026, 6, 8)]
    assert week2["throughput"] == 0 and week2["wip"] == 2  # MOB-4 entered progress on 06-09
    assert week2["cycle_time_p50_days"] is None
    last = mob.loc[date(2026, 6, 29)]
    assert last["throughput"] == 0  # MOB-4 resolved after as_of counts as unresolved
    assert last["wip"] == 2
    assert list(flow.loc["WEB"].index)[0] == date(2026, 4, 27)  # ISO week of WEB's first issue


def test_tiny_budget_vs_actual(tiny):
    _, result = tiny
    frame = result.budget_vs_actual
    a = frame[frame["project_id"] == "PRJ001"]
    assert [(r["month_start_date"], r["expense_type"]) for r in a.to_dict("records")] == [(JAN, "capex"), (JAN, "opex")]
    a_capex = a.iloc[0]
    assert (a_capex["planned_amount"], a_capex["actual_amount"], a_capex["variance_amount"]) == (900.0, 900.0, 0.0)
    b = frame[frame["project_id"] == "PRJ002"].set_index(["month_start_date", "expense_type"])
    # January (first plan month) through October (last plan month); August's forecast is inside it.
    assert len(b) == 10 * 2
    assert b.index[0] == (JAN, "capex") and b.index[-1] == (date(2026, 10, 1), "opex")
    assert b.loc[(FEB, "capex"), "actual_amount"] == pytest.approx(550.0)
    assert b.loc[(FEB, "capex"), "variance_amount"] == pytest.approx(450.0)
    assert b.loc[(MAR, "opex"), "actual_amount"] == pytest.approx(110.0)  # 100 EUR at March's 1.10
    assert b.loc[(MAR, "opex"), "planned_amount"] == 0.0
    june = b.loc[(JUN, "capex")]
    assert june["forecast_amount"] == pytest.approx(111.0)  # the version's figure for the as-of month itself
    assert june["cumulative_planned_amount"] == pytest.approx(600.0)  # the quarter breakdown is ignored
    assert june["cumulative_actual_amount"] == pytest.approx(550.0)
    assert june["variance_amount"] == pytest.approx(-100.0)
    july = b.loc[(date(2026, 7, 1), "capex")]  # after the as-of month: the 5000 GL line is cut
    assert july["forecast_amount"] == pytest.approx(200.0)
    assert (
        july["actual_amount"] is None and july["cumulative_actual_amount"] is None and july["variance_amount"] is None
    )
    assert b.loc[(date(2026, 8, 1), "capex"), "forecast_amount"] == pytest.approx(120.0)  # 100 EUR at July's 1.20
    assert b.loc[(date(2026, 9, 1), "capex"), "forecast_amount"] == 0.0  # only older and later versions have September


def test_tiny_benefits_realization(tiny):
    _, result = tiny
    rows = result.benefits_realization.set_index("month_start_date")
    assert set(result.benefits_realization["project_id"]) == {"PRJ002"}  # PRJ001 has no monetary plan
    assert list(rows.index) == [date(2026, m, 1) for m in range(5, 12)]  # May..November
    assert rows.loc[MAY, "actual_benefit_amount"] == 100.0  # the non-monetary plan is not money
    assert rows.loc[JUN, "benefit_realization_ratio"] == pytest.approx(0.25)
    assert rows.loc[date(2026, 7, 1), "benefit_realization_ratio"] is None
    assert rows.loc[date(2026, 11, 1), "cumulative_planned_amount"] == 1400.0


def test_tiny_risk_heatmap(tiny):
    _, result = tiny
    cells = {
        (r["portfolio_name"], r["probability_bucket"], r["impact_bucket"]): (r["open_risk_count"], r["exposure_amount"])
        for r in result.risk_heatmap.to_dict("records")
    }
    # RSK1 (probability 1 → bucket 5, impact 2 → 4), RSK2 monitoring counts as open; closed/retired do not.
    assert cells == {("Alpha", 5, 4): (1, pytest.approx(900.0)), ("Alpha", 1, 1): (1, pytest.approx(10.0))}


def test_tiny_prioritization(tiny):
    _, result = tiny
    rows = result.prioritization.set_index("item_id")
    assert set(rows.index) == {"PRJ002", "DMND1", "DMND2", "DMND3"}  # A is closed; d4–d6 are not open or converted
    b = rows.loc["PRJ002"]
    assert (b["item_type"], b["item_name"], b["portfolio_name"]) == ("project", "Running B", "Alpha")
    assert b["priority_score"] == pytest.approx(1.0) and b["priority_rank"] == 1
    assert b["npv_amount"] == pytest.approx(400.0) and b["wsjf"] == pytest.approx(3.0)
    assert (b["strategic_alignment"], b["job_size"]) == (5.0, 5.0)
    d1, d2, d3 = rows.loc["DMND1"], rows.loc["DMND2"], rows.loc["DMND3"]
    assert d1["item_type"] == "demand" and d1["portfolio_name"] == "Quiet" and d1["npv_amount"] is None
    assert d1["priority_score"] == pytest.approx(0.7) and d3["priority_score"] == pytest.approx(0.7)
    assert d2["priority_score"] == pytest.approx(0.6)
    assert (d1["priority_rank"], d3["priority_rank"], d2["priority_rank"]) == (1, 1, 2)
    assert d1["wsjf"] is None  # job size 0
    assert d2["wsjf"] == pytest.approx(4.0) and d3["wsjf"] == pytest.approx(4.0)
    # The scorecard carries the same score and rank for the ranked project.
    assert result.scorecard.loc["PRJ002"]["priority_rank"] == 1
