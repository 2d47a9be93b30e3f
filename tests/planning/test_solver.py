"""The solver against brute force on small hand-built portfolios (at most 16 items), and its parts.

Every subset of the items is tried; the best one that meets every rule must have the objective the
solver reports. Each rule is exercised on its own portfolio — budget, capacity, mandatory, excluded,
dependencies, minimum shares — and on random ones that mix them; and one case shows the greedy
baseline provably worse. The program's grouped columns change no optimum, and the local search that
builds the solver's starting slate keeps every rule.
"""

from __future__ import annotations

import itertools
from datetime import date

import numpy as np
import pytest
from scipy import sparse

from planning.portfolio import BUDGET, CAPACITY, Problem, ResourceRow, build_problem, meets_every_rule
from planning.program import build_program
from planning.scenario import ScenarioError
from planning.search import improve
from planning.solver import (
    DEPENDENCY,
    EXCLUDED,
    REASON_BUDGET,
    REASON_CAPACITY,
    forced_items,
    greedy,
    solve,
    why_not,
)

FY27 = ResourceRow(BUDGET, period="FY2027", budget_kind="total")
FY28 = ResourceRow(BUDGET, period="FY2028", budget_kind="total")
ENG_JAN = ResourceRow(CAPACITY, period="FY2027", department="Engineering", month=date(2027, 1, 1))
OPS_JAN = ResourceRow(CAPACITY, period="FY2027", department="Operations", month=date(2027, 1, 1))


def brute_force(problem: Problem) -> tuple[float, tuple[int, ...]] | None:
    """The best feasible subset by trying all 2ⁿ of them (n ≤ 16), or None when none is feasible."""
    n = problem.size
    assert n <= 16
    subsets = np.array(list(itertools.product((0, 1), repeat=n)), dtype=float)  # 2ⁿ × n
    usage = problem.usage.toarray()
    ok = ((subsets @ usage.T) <= problem.limits + 1e-7 * np.maximum(1, problem.limits)).all(axis=1)
    ok &= (subsets[:, problem.mandatory] == 1).all(axis=1)
    ok &= (subsets[:, problem.excluded] == 0).all(axis=1)
    for i, j in problem.requires:
        ok &= subsets[:, i] <= subsets[:, j]
    for rule in problem.shares:
        ok &= subsets @ np.where(rule.members, rule.weights, 0.0) >= rule.minimum - 1e-6
    if not ok.any():
        return None
    values = subsets @ problem.values
    values[~ok] = -np.inf
    best = int(np.argmax(values))
    return float(values[best]), tuple(np.flatnonzero(subsets[best]))


def exact(problem: Problem) -> float:
    slate = solve(problem, mip_gap=0.0)
    best = brute_force(problem)
    assert best is not None
    assert slate.objective == pytest.approx(best[0], abs=1e-9), (slate.funded, best)
    assert slate.status == "optimal"
    return slate.objective


def test_budget_alone_knapsack() -> None:
    ids = [f"P{i}" for i in range(12)]
    rng = np.random.default_rng(1)
    cost = rng.integers(10, 60, size=12).astype(float)
    value = rng.uniform(0.1, 1.0, size=12)
    problem = build_problem(ids, value, cost[np.newaxis, :], [200.0], [FY27])
    assert exact(problem) > 0


def test_budget_over_two_periods() -> None:
    ids = [f"P{i}" for i in range(10)]
    rng = np.random.default_rng(2)
    cost = rng.integers(0, 50, size=(2, 10)).astype(float)
    problem = build_problem(ids, rng.uniform(0, 1, 10), cost, [90.0, 80.0], [FY27, FY28])
    exact(problem)


def test_capacity_binds_where_the_budget_does_not() -> None:
    ids = [f"P{i}" for i in range(10)]
    rng = np.random.default_rng(3)
    money = np.full((1, 10), 1.0)
    hours = rng.integers(0, 400, size=(2, 10)).astype(float)
    problem = build_problem(
        ids, rng.uniform(0, 1, 10), np.vstack([money, hours]), [1e9, 800.0, 600.0], [FY27, ENG_JAN, OPS_JAN]
    )
    exact(problem)
    slate = solve(problem)
    reasons = why_not(problem, slate)
    assert {r.reason for r in reasons if r} == {REASON_CAPACITY}
    assert all(r.row.department in ("Engineering", "Operations") for r in reasons if r)


def test_mandatory_items_are_funded_even_when_they_are_poor_value() -> None:
    ids = [f"P{i}" for i in range(8)]
    cost = np.array([[50, 10, 10, 10, 10, 10, 10, 10]], dtype=float)
    value = np.array([0.01, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    free = build_problem(ids, value, cost, [70.0], [FY27])
    forced = build_problem(ids, value, cost, [70.0], [FY27], mandatory=["P0"])
    assert exact(free) == pytest.approx(3.5)
    assert exact(forced) == pytest.approx(0.01 + 1.0)
    assert solve(forced).funded[0]


def test_excluded_items_are_never_funded() -> None:
    ids = [f"P{i}" for i in range(8)]
    cost = np.ones((1, 8))
    value = np.arange(1, 9, dtype=float)
    problem = build_problem(ids, value, cost, [3.0], [FY27], excluded=["P7", "P6"])
    assert exact(problem) == pytest.approx(6 + 5 + 4)
    slate = solve(problem)
    assert why_not(problem, slate)[7].reason == EXCLUDED


def test_dependencies_pull_in_what_an_item_requires() -> None:
    # P0 is worth a lot but needs P1, which needs P2; both are poor value on their own.
    ids = [f"P{i}" for i in range(8)]
    cost = np.array([[30, 20, 20, 25, 25, 25, 25, 25]], dtype=float)
    value = np.array([5.0, 0.1, 0.1, 1.5, 1.5, 1.5, 1.5, 1.5])
    problem = build_problem(ids, value, cost, [75.0], [FY27], requires=[("P0", "P1"), ("P1", "P2")])
    assert exact(problem) == pytest.approx(5.2)
    tight = build_problem(ids, value, cost, [60.0], [FY27], requires=[("P0", "P1"), ("P1", "P2")])
    exact(tight)
    slate = solve(tight)
    assert not slate.funded[0]
    assert why_not(tight, slate)[0].reason in (DEPENDENCY, REASON_BUDGET)


def test_a_dependency_cycle_funds_both_or_neither() -> None:
    ids = ["A", "B", "C"]
    problem = build_problem(
        ids, [1.0, 1.0, 1.5], np.array([[10.0, 10.0, 15.0]]), [20.0], [FY27], requires=[("A", "B"), ("B", "A")]
    )
    assert exact(problem) == pytest.approx(2.0)


def test_minimum_share_moves_budget_to_a_portfolio() -> None:
    ids = [f"P{i}" for i in range(10)]
    cost = np.array([[10] * 10], dtype=float)
    value = np.array([1.0] * 5 + [0.5] * 5)
    group = ids[5:]
    problem = build_problem(ids, value, cost, [50.0], [FY27], shares=[("portfolio B", group, 20.0, 0.4)])
    assert exact(problem) == pytest.approx(3 * 1.0 + 2 * 0.5)


@pytest.mark.parametrize("seed", range(12))
def test_random_portfolios_with_every_rule_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(10, 17))
    ids = [f"I{i}" for i in range(n)]
    rows = [FY27, FY28, ENG_JAN, OPS_JAN]
    usage = np.vstack(
        [
            rng.integers(0, 40, size=(2, n)),
            rng.integers(0, 300, size=(2, n)) * (rng.random((2, n)) < 0.6),
        ]
    ).astype(float)
    limits = np.array([usage[0].sum() * 0.45, usage[1].sum() * 0.45, usage[2].sum() * 0.5, usage[3].sum() * 0.5])
    values = rng.uniform(-0.2, 1.0, n)
    order = rng.permutation(n)
    mandatory = [ids[order[0]]]
    excluded = [ids[order[1]]]
    requires = [(ids[order[k]], ids[order[k + 1]]) for k in range(2, 6, 2)]
    members = [ids[i] for i in order[6:10]]
    weights = usage[0] + usage[1]
    shares = [("theme T", members, 0.1 * (limits[0] + limits[1]), 0.1)]
    problem = build_problem(
        ids,
        values,
        usage,
        limits,
        rows,
        mandatory=mandatory,
        excluded=excluded,
        requires=requires,
        shares=shares,
        share_weights=weights,
    )
    best = brute_force(problem)
    if best is None:
        with pytest.raises(ScenarioError) as caught:
            solve(problem, mip_gap=0.0)
        assert caught.value.kind == "infeasible"
        return
    slate = solve(problem, mip_gap=0.0)
    assert slate.objective == pytest.approx(best[0], abs=1e-9)
    assert greedy(problem).objective <= slate.objective + 1e-9


def test_greedy_is_provably_worse_on_a_knapsack_trap() -> None:
    # Budget 10. Ranked first is A (value 6, cost 6); B and C (value 5, cost 5 each) no longer fit
    # beside it. Greedy funds A alone: 6. The optimum is B + C: 10.
    problem = build_problem(["A", "B", "C"], [6.0, 5.0, 5.0], np.array([[6.0, 5.0, 5.0]]), [10.0], [FY27])
    best = brute_force(problem)
    assert best == (10.0, (1, 2))
    slate, baseline = solve(problem, mip_gap=0.0), greedy(problem)
    assert baseline.objective == 6.0 and list(baseline.funded) == [True, False, False]
    assert slate.objective == 10.0 and slate.objective - baseline.objective == 4.0
    assert why_not(problem, slate)[0].reason == REASON_BUDGET


def test_mandatory_over_budget_is_infeasible_naming_the_period_and_shortfall() -> None:
    problem = build_problem(
        ["A", "B", "C"],
        [1.0, 1.0, 1.0],
        np.array([[0, 0, 0], [60.0, 50.0, 5.0]]),
        [200.0, 100.0],
        [FY27, FY28],
        mandatory=["A", "B"],
    )
    with pytest.raises(ScenarioError) as caught:
        solve(problem)
    message = str(caught.value)
    assert caught.value.kind == "infeasible"
    assert "\n" not in message
    assert "FY2028" in message and "short by 10" in message, message


def test_the_earliest_budget_period_is_named_not_the_largest_number() -> None:
    # FY2027 is short by 1, FY2028 by 50, and Engineering by 5,000 h: hours and money do not compare,
    # and a planner fixes the first period first, so the message names FY2027's budget.
    problem = build_problem(
        ["A", "B"],
        [1.0, 1.0],
        np.array([[60.0, 41.0], [100.0, 50.0], [9000.0, 0.0]]),
        [100.0, 100.0, 4000.0],
        [FY27, FY28, ENG_JAN],
        mandatory=["A", "B"],
    )
    with pytest.raises(ScenarioError) as caught:
        solve(problem)
    assert str(caught.value) == "mandatory items cost 101 in FY2027 against a total budget of 100: short by 1"


def test_mandatory_over_capacity_alone_names_the_department_and_month() -> None:
    problem = build_problem(
        ["A", "B"],
        [1.0, 1.0],
        np.array([[10.0, 10.0], [90.0, 30.0], [5.0, 5.0]]),
        [100.0, 100.0, 20.0],
        [FY27, ENG_JAN, OPS_JAN],
        mandatory=["A", "B"],
    )
    with pytest.raises(ScenarioError) as caught:
        solve(problem)
    assert str(caught.value) == (
        "mandatory items need 120 h of Engineering in 2027-01 against 100 h available: short by 20 h"
    )


def test_mandatory_requiring_an_excluded_item_is_named() -> None:
    problem = build_problem(
        ["A", "B"],
        [1.0, 1.0],
        np.array([[1.0, 1.0]]),
        [10.0],
        [FY27],
        mandatory=["A"],
        excluded=["B"],
        requires=[("A", "B")],
    )
    with pytest.raises(ScenarioError, match="mandatory item A requires B, which is excluded"):
        solve(problem)


def test_a_share_that_cannot_be_met_together_is_named() -> None:
    # Each rule holds alone; the share of B needs 30 and the mandatory A takes 80 of a budget of 100.
    problem = build_problem(
        ["A", "B1", "B2"],
        [1.0, 1.0, 1.0],
        np.array([[80.0, 15.0, 15.0]]),
        [100.0],
        [FY27],
        mandatory=["A"],
        shares=[("portfolio B", ["B1", "B2"], 30.0, 0.3)],
    )
    with pytest.raises(ScenarioError, match="minimum share of portfolio B"):
        solve(problem)


def test_proportional_columns_are_grouped_and_the_optimum_is_unchanged() -> None:
    # Like the demands of a portfolio: items 0-4 and 5-8 each share one shape over 24 department-months.
    rng = np.random.default_rng(7)
    months = 24
    rows = [FY27] + [
        ResourceRow(CAPACITY, period="FY2027", department=f"D{r % 3}", month=date(2027, 1 + r // 3 % 12, 1))
        for r in range(months)
    ]
    shapes = rng.uniform(1, 50, size=(2, months + 1))
    usage = np.zeros((months + 1, 12))
    for i in range(5):
        usage[:, i] = shapes[0] * rng.uniform(0.5, 3.0)
    for i in range(5, 9):
        usage[:, i] = shapes[1] * rng.uniform(0.5, 3.0)
    usage[:, 9:] = rng.uniform(0, 60, size=(months + 1, 3))
    limits = usage.sum(axis=1) * rng.uniform(0.3, 0.6, months + 1)
    problem = build_problem([f"I{i}" for i in range(12)], rng.uniform(0.1, 1.0, 12), usage, limits, rows)
    program = build_program(problem)
    assert program.columns == 12 + 2
    assert program.matrix.nnz < sparse.csr_matrix(usage).nnz
    exact(problem)


@pytest.mark.parametrize("seed", range(8))
def test_local_search_keeps_every_rule_and_never_loses_value(seed: int) -> None:
    rng = np.random.default_rng(300 + seed)
    n = 14
    ids = [f"I{i}" for i in range(n)]
    usage = np.vstack([rng.integers(0, 40, size=(1, n)), rng.integers(0, 300, size=(2, n))]).astype(float)
    limits = usage.sum(axis=1) * 0.5
    order = rng.permutation(n)
    problem = build_problem(
        ids,
        rng.uniform(0.05, 1.0, n),
        usage,
        limits,
        [FY27, ENG_JAN, OPS_JAN],
        mandatory=[ids[order[0]]],
        excluded=[ids[order[1]]],
        requires=[(ids[order[2]], ids[order[3]]), (ids[order[4]], ids[order[5]])],
        shares=[("theme T", [ids[i] for i in order[6:10]], 0.1 * limits[0], 0.1)],
    )
    start = greedy(problem)
    if start.status == "infeasible":
        return
    better = improve(problem, start.funded, forced_items(problem), seconds=5.0)
    assert meets_every_rule(problem, better)
    value = float(problem.values[better].sum())
    assert value >= start.objective - 1e-12
    best = brute_force(problem)
    assert best is not None and value <= best[0] + 1e-9


def test_local_search_takes_one_item_out_for_two_worth_more() -> None:
    # The knapsack trap above: greedy funds A alone (6); taking A out makes room for B and C (10).
    problem = build_problem(["A", "B", "C"], [6.0, 5.0, 5.0], np.array([[6.0, 5.0, 5.0]]), [10.0], [FY27])
    better = improve(problem, greedy(problem).funded, forced_items(problem), seconds=5.0)
    assert list(better) == [False, True, True]
