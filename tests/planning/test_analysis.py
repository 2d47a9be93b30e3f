"""One scenario end to end on hand-built portfolios: the frontier and the sensitivities.

The frontier must be monotone and every level a real slate of its budget; a change that moves
nothing must show nothing moving, even when its solve stops within a looser gap than the slate's.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from planning.analysis import FRONTIER_LEVELS, keep_if_as_good, run_scenario
from planning.inputs import Horizon, Period, PlanningInputs
from planning.portfolio import BUDGET, CAPACITY, ResourceRow, build_problem, meets_every_rule
from planning.scenario import parse_scenario
from planning.solver import INFEASIBLE, OPTIMAL, TIME_LIMIT, Slate

FY27 = ResourceRow(BUDGET, period="FY2027", budget_kind="total")
ENG = ResourceRow(CAPACITY, period="FY2027", department="Engineering", month=date(2027, 1, 1))


def inputs_of(values, costs, hours, budget, capacity, **rules) -> PlanningInputs:
    ids = [f"I{k}" for k in range(len(values))]
    problem = build_problem(
        ids, values, np.array([costs, hours], dtype=float), [budget, capacity], [FY27, ENG], **rules
    )
    scenario = parse_scenario({"budget": {"total": budget}}, source="t.yml", default_name="t")
    items = pd.DataFrame(
        {
            "item_type": "project",
            "item_id": ids,
            "item_name": ids,
            "portfolio_name": "P",
            "priority_score": values,
            "priority_rank": range(1, len(ids) + 1),
            "npv_amount": 0.0,
            "risk_exposure_amount": 0.0,
            "value": values,
            "capex_cost_amount": 0.0,
            "opex_cost_amount": costs,
            "cost_amount": costs,
            "effort_hours": hours,
        }
    )
    horizon = Horizon((Period("FY2027", date(2027, 1, 1), date(2027, 12, 1)),))
    return PlanningInputs(
        scenario,
        horizon,
        problem,
        items,
        {("FY2027", "total"): float(sum(costs))},
        {("FY2027", k): np.asarray(costs, float) * (k != "capex") for k in ("capex", "opex", "total")},
        np.array([budget, capacity], dtype=float),
    )


def test_the_frontier_is_monotone_and_each_level_a_slate_of_its_budget() -> None:
    rng = np.random.default_rng(3)
    values, costs = rng.uniform(1, 10, 14).round(2), rng.uniform(5, 30, 14).round(1)
    result = run_scenario(inputs_of(values, costs, rng.uniform(1, 5, 14), 0.5 * costs.sum(), 1e6))
    assert [p.level for p in result.frontier] == list(FRONTIER_LEVELS)
    objectives = [p.slate.objective for p in result.frontier]
    assert all(b >= a for a, b in zip(objectives, objectives[1:], strict=False)), objectives
    assert objectives[-1] > objectives[0], "the budget binds at 25 % of the full cost"
    assert result.frontier[7].slate.objective == result.slate.objective
    for point in result.frontier:
        assert meets_every_rule(result.inputs.problem.scaled(budget=point.level), point.slate.funded)
        assert point.slate.objective == np.float64(values[point.slate.funded].sum())


def test_when_capacity_binds_a_budget_change_moves_nothing_and_a_capacity_cut_does() -> None:
    # Money for everything (budget 100 of 30), hours for two of the three: only capacity binds. I1 and
    # I2 tie, so a re-solve may pick the other one: that is not a move the budget made.
    result = run_scenario(inputs_of([5.0, 4.0, 4.0], [10.0, 10.0, 10.0], [10.0, 10.0, 10.0], 100.0, 20.0))
    assert result.slate.count == 2 and result.slate.objective == 9.0
    by_name = {c.name: c for c in result.sensitivities}
    assert by_name["budget -10%"].entering == () and by_name["budget -10%"].leaving == ()
    assert by_name["budget +10%"].entering == () and by_name["budget +10%"].leaving == ()
    cut = by_name["capacity -10%"]  # 18 h: one item of 10 h fits
    assert cut.slate.objective == 5.0 and cut.entering == () and len(cut.leaving) == 1
    assert result.slate.funded[cut.leaving[0]] and cut.leaving[0] in (1, 2)


def test_a_change_the_mandatory_items_do_not_survive_is_infeasible() -> None:
    result = run_scenario(inputs_of([1.0, 1.0], [50.0, 45.0], [1.0, 1.0], 100.0, 100.0, mandatory=["I0", "I1"]))
    by_name = {c.name: c for c in result.sensitivities}
    assert by_name["budget -10%"].slate.status == INFEASIBLE
    assert by_name["budget +10%"].slate.status != INFEASIBLE
    levels = [p.level for p in result.frontier if p.slate.status == INFEASIBLE]
    assert levels == [lvl for lvl in FRONTIER_LEVELS if lvl * 100 < 95 - 1e-9]


def test_a_re_solve_no_better_than_the_slate_keeps_the_slate_so_nothing_moves() -> None:
    problem = inputs_of([5.0, 4.0, 4.0], [10.0, 10.0, 10.0], [10.0, 10.0, 10.0], 100.0, 20.0).problem
    base = Slate(np.array([True, True, False]), 9.0, OPTIMAL, 0.0)
    # a solve stopped within its gap at an equal slate (or a worse one) is not a move
    for other in (
        Slate(np.array([True, False, True]), 9.0, OPTIMAL, 0.01),
        Slate(np.array([False, True, True]), 8.0, TIME_LIMIT, 0.02),
    ):
        kept = keep_if_as_good(problem.scaled(budget=1.1), other, base)
        assert list(kept.funded) == [True, True, False] and kept.objective == 9.0 and kept.mip_gap == other.mip_gap
    # a better slate under the change is the change's; so is any slate when the scenario's no longer fits
    better = Slate(np.array([True, True, True]), 13.0, OPTIMAL, 0.0)
    assert keep_if_as_good(problem.scaled(capacity=1.5), better, base) is better
    smaller = Slate(np.array([True, False, False]), 5.0, OPTIMAL, 0.0)
    assert keep_if_as_good(problem.scaled(capacity=0.9), smaller, base) is smaller
