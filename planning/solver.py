"""The exact selection (a 0-1 mixed-integer program solved by HiGHS), the greedy baseline, and why not.

The program (docs/scenarios.md "The model"):

    maximise   Σᵢ valueᵢ · xᵢ                       xᵢ ∈ {0, 1}
    subject to Σᵢ usageᵣᵢ · xᵢ ≤ limitᵣ              every budget row and capacity row r
               xᵢ ≤ xⱼ                               i cannot be funded without j
               Σᵢ∈G costᵢ · xᵢ ≥ minimum_G            every minimum share G
               xᵢ = 1 (mandatory), xᵢ = 0 (excluded)

HiGHS is reached through highspy, with a time limit and a relative gap; the gap it proves is
reported with every slate. It is handed a starting slate (a restricted program around the LP
relaxation, then local search), because when capacity binds its own heuristics leave the gap over
1 % long after its bound has settled. The matrix is built in planning/program.py.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import highspy
import numpy as np

from planning.portfolio import BUDGET, Problem, ResourceRow, closure, tolerance
from planning.program import Program, build_program
from planning.scenario import ScenarioError
from planning.search import improve

OPTIMAL, TIME_LIMIT, INFEASIBLE = "optimal", "time_limit", "infeasible"
FEASIBLE = 2  # HiGHS's primal_solution_status of a feasible solution

# Shares of the time limit for the starting slate: the LP relaxation and then the restricted
# program may each take START_SHARE, local search SEARCH_SHARE; the exact solve has the rest.
# FREE_SHARE: besides the LP's fractional items, this share of the others (those nearest the
# LP's edge) stays free in the restricted program. Measured on the large world (docs/scenarios.md).
START_SHARE, SEARCH_SHARE, FREE_SHARE = 0.15, 0.05, 0.12

# Why an item is not in the slate, in the order they are tested (docs/scenarios.md "Why not").
EXCLUDED, DEPENDENCY, REASON_BUDGET, REASON_CAPACITY, NO_VALUE, WITHIN_GAP = (
    "excluded",
    "dependency",
    "budget",
    "capacity",
    "no_value",
    "within_gap",
)


@dataclass(frozen=True)
class Slate:
    funded: np.ndarray  # bool, per item
    objective: float
    status: str  # optimal, time_limit, infeasible
    mip_gap: float | None = None
    seconds: float = 0.0
    message: str = ""

    @property
    def count(self) -> int:
        return int(self.funded.sum())


@dataclass(frozen=True)
class WhyNot:
    reason: str
    detail: str
    row: ResourceRow | None = None
    item: str | None = None


def solve(problem: Problem, *, time_limit: float = 60.0, mip_gap: float = 1e-4) -> Slate:
    """The best slate HiGHS finds within the time limit; infeasible problems raise ScenarioError.

    `time_limit` is wall time for all of it: the checks, the starting slate and the exact solve."""
    started = time.monotonic()
    forced = _check_alone(problem)
    n = problem.size
    if n == 0:
        return Slate(np.zeros(0, dtype=bool), 0.0, OPTIMAL, 0.0, 0.0)
    lower = np.zeros(n)
    upper = np.ones(n)
    lower[forced] = 1.0
    upper[problem.excluded] = 0.0
    # An item that alone overruns a row can never be funded: fixed to 0 before the solver sees it.
    alone = problem.usage.T.tocsr()
    too_big = np.asarray((alone > (problem.limits + tolerance(problem.limits))[np.newaxis, :]).sum(axis=1)).ravel() > 0
    upper[too_big & ~forced] = 0.0
    program = build_program(problem)
    with _solver_output_discarded():
        start = _starting_slate(problem, program, lower, upper, forced, time_limit, mip_gap)
        left = max(time_limit - (time.monotonic() - started), 0.0)
        highs = _highs(program, problem.values, lower, upper, time_limit=left, mip_gap=mip_gap)
        if start is not None:
            highs.setSolution(_solution(program.start(start)))
        highs.run()
    seconds = time.monotonic() - started
    model_status = highs.getModelStatus()
    info = highs.getInfo()
    if model_status == highspy.HighsModelStatus.kInfeasible:
        raise ScenarioError(_explain_infeasible(problem, time_limit), INFEASIBLE)
    if info.primal_solution_status != FEASIBLE:
        raise ScenarioError(
            f"no slate found within the time limit of {time_limit:g} s "
            f"(HiGHS: {highs.modelStatusToString(model_status)}); raise solver.time_limit_seconds",
            INFEASIBLE,
        )
    funded = np.asarray(highs.getSolution().col_value)[:n] > 0.5
    gap = float(info.mip_gap)
    gap = None if not np.isfinite(gap) else max(0.0, gap)
    status = OPTIMAL if model_status == highspy.HighsModelStatus.kOptimal else TIME_LIMIT
    return Slate(
        funded, float(problem.values[funded].sum()), status, gap, seconds, highs.modelStatusToString(model_status)
    )


def _starting_slate(
    problem: Problem,
    program: Program,
    lower: np.ndarray,
    upper: np.ndarray,
    forced: np.ndarray,
    time_limit: float,
    mip_gap: float,
) -> np.ndarray | None:
    """A good slate to hand HiGHS, or None: see docs/scenarios.md "The solver and its gap".

    The LP relaxation funds most items wholly or not at all. Items it leaves fractional, and those
    nearest to entering or leaving (smallest reduced cost), stay free; the rest keep the LP's
    choice, and HiGHS solves that much smaller program for a moment. Local search then improves its
    slate (or the greedy one, when better)."""
    n = problem.size
    relaxed = _highs(
        program, problem.values, lower, upper, time_limit=time_limit * START_SHARE, mip_gap=mip_gap, relaxed=True
    )
    relaxed.run()
    candidates = []
    if relaxed.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        x = np.asarray(relaxed.getSolution().col_value)[:n]
        pull = np.abs(np.asarray(relaxed.getSolution().col_dual)[:n])
        open_ = lower < upper
        settled = (np.minimum(x, 1 - x) < 1e-6) & open_
        free = open_ & ~settled
        if settled.any():
            free |= settled & (pull <= np.quantile(pull[settled], FREE_SHARE))
        fix_lower, fix_upper = lower.copy(), upper.copy()
        fix_lower[~free & (x > 0.5)] = 1.0
        fix_upper[~free & (x <= 0.5)] = 0.0
        restricted = _highs(
            program, problem.values, fix_lower, fix_upper, time_limit=time_limit * START_SHARE, mip_gap=mip_gap
        )
        restricted.run()
        if restricted.getInfo().primal_solution_status == FEASIBLE:
            candidates.append(np.asarray(restricted.getSolution().col_value)[:n] > 0.5)
    baseline = greedy(problem)
    if baseline.status != INFEASIBLE:
        candidates.append(baseline.funded)
    if not candidates:
        return None
    best = max(candidates, key=lambda funded: float(problem.values[funded].sum()))
    return improve(problem, best, forced, seconds=time_limit * SEARCH_SHARE)


def _highs(
    program: Program,
    values: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    time_limit: float,
    mip_gap: float,
    relaxed: bool = False,
) -> highspy.Highs:
    """HiGHS with the program loaded, silent; `relaxed`: every column continuous (the LP relaxation)."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("time_limit", float(time_limit))
    highs.setOptionValue("mip_rel_gap", float(mip_gap))
    k = program.columns - program.items
    model = highspy.HighsLp()
    model.num_col_ = program.columns
    model.num_row_ = program.matrix.shape[0]
    model.sense_ = highspy.ObjSense.kMaximize
    model.col_cost_ = np.r_[values, np.zeros(k)]
    model.col_lower_ = np.r_[lower, np.zeros(k)]
    model.col_upper_ = np.r_[upper, np.full(k, highspy.kHighsInf)]
    model.row_lower_ = np.where(np.isfinite(program.row_lower), program.row_lower, -highspy.kHighsInf)
    model.row_upper_ = np.where(np.isfinite(program.row_upper), program.row_upper, highspy.kHighsInf)
    model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    model.a_matrix_.start_ = program.matrix.indptr
    model.a_matrix_.index_ = program.matrix.indices
    model.a_matrix_.value_ = program.matrix.data
    model.a_matrix_.num_col_ = program.columns
    model.a_matrix_.num_row_ = program.matrix.shape[0]
    if not relaxed:
        integer, continuous = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        model.integrality_ = [integer] * program.items + [continuous] * k
    highs.passModel(model)
    return highs


def _solution(values: np.ndarray) -> highspy.HighsSolution:
    solution = highspy.HighsSolution()
    solution.col_value = values.tolist()
    solution.value_valid = True
    return solution


def forced_items(problem: Problem) -> np.ndarray:
    """Mandatory items and everything they require: in every slate."""
    forced = np.zeros(problem.size, dtype=bool)
    forced[closure(np.flatnonzero(problem.mandatory).tolist(), problem.prerequisites())] = True
    return forced


def _check_alone(problem: Problem) -> np.ndarray:
    """Each rule that cannot be met even on its own, named in one line (ScenarioError, infeasible)."""
    forced = forced_items(problem)
    prerequisites = problem.prerequisites()
    for i in np.flatnonzero(problem.mandatory):
        for j in closure([int(i)], prerequisites):
            if problem.excluded[j]:
                how = "is" if i == j else f"requires {problem.item_ids[j]}, which is"
                raise ScenarioError(f"mandatory item {problem.item_ids[i]} {how} excluded", INFEASIBLE)
    used = np.asarray(problem.usage @ forced.astype(float)).ravel()
    over = used - problem.limits - tolerance(problem.limits)
    if (over > 0).any():
        # Money and hours are not comparable, so the message names the earliest budget period that
        # overruns (rows are in period order), and only when every budget holds, the department-month
        # short by the largest share of what it has.
        budget_over = np.flatnonzero((over > 0) & problem.is_budget())
        if budget_over.size:
            r = int(budget_over[0])
        else:
            relative = np.where(over > 0, (used - problem.limits) / np.maximum(problem.limits, 1.0), -np.inf)
            r = int(np.argmax(relative))
        raise ScenarioError(_shortfall("mandatory items", problem.rows[r], used[r], problem.limits[r]), INFEASIBLE)
    for rule in problem.shares:
        reachable = float(np.where(rule.members & ~problem.excluded, rule.weights, 0.0).sum())
        if reachable + tolerance(np.array([rule.minimum]))[0] < rule.minimum:
            raise ScenarioError(
                f"minimum share of {rule.label} ({rule.share:.0%} of the budget = {_money(rule.minimum)}) "
                "cannot be met: "
                f"all its candidates together cost {_money(reachable)} over the horizon",
                INFEASIBLE,
            )
    return forced


def _shortfall(what: str, row: ResourceRow, used: float, limit: float) -> str:
    if row.kind == BUDGET:
        return (
            f"{what} cost {_money(used)} in {row.period} against a {row.budget_kind} budget of {_money(limit)}: "
            f"short by {_money(used - limit)}"
        )
    return (
        f"{what} need {used:,.0f} h of {row.department} in {row.month:%Y-%m} against {limit:,.0f} h available: "
        f"short by {used - limit:,.0f} h"
    )


def _explain_infeasible(problem: Problem, time_limit: float) -> str:
    """Every rule holds alone, but not together: name the first minimum share whose removal helps."""
    for index, rule in enumerate(problem.shares):
        others = problem.shares[:index] + problem.shares[index + 1 :]
        trial = replace(problem, shares=others)
        try:
            solve(trial, time_limit=min(time_limit, 10.0), mip_gap=0.5)
        except ScenarioError:
            continue
        return (
            f"minimum share of {rule.label} ({rule.share:.0%} of the budget = {_money(rule.minimum)}) cannot be met "
            "together with the budget, capacity, mandatory items and dependencies"
        )
    return (
        "no slate meets the budget, capacity, mandatory items, dependencies and minimum shares together, "
        "though each can be met on its own"
    )


def _money(amount: float) -> str:
    return f"{amount:,.0f}"


# --- the greedy baseline ---------------------------------------------------------------------------------


def greedy(problem: Problem) -> Slate:
    """Rank order, fund while it fits: what planning tools do with a ranked list.

    Mandatory items (with what they require) first; then each minimum share is filled from its
    group's items in rank order; then the whole ranked list is walked once, funding every item
    with a positive value that still fits together with whatever it requires and is not funded
    yet. Items that do not fit are skipped, not the end of the walk: the strongest greedy, so
    the gain reported for optimisation is never flattered.
    """
    started = time.monotonic()
    funded = forced_items(problem)
    used = np.asarray(problem.usage @ funded.astype(float)).ravel()
    room = problem.limits + tolerance(problem.limits)
    prerequisites = problem.prerequisites()
    columns = problem.usage.T.tocsr()

    def try_fund(i: int) -> bool:
        nonlocal used
        bundle = [j for j in closure([i], prerequisites) if not funded[j]]
        if not bundle or problem.excluded[bundle].any():
            return False
        need = np.asarray(columns[bundle].sum(axis=0)).ravel()
        if (used + need > room).any():
            return False
        funded[bundle] = True
        used = used + need
        return True

    order = problem.order()
    for rule in problem.shares:
        for i in order:
            if float(np.where(rule.members & funded, rule.weights, 0.0).sum()) >= rule.minimum:
                break
            if rule.members[i] and not funded[i]:
                try_fund(int(i))
    for i in order:
        if not funded[i] and problem.values[i] > 0:
            try_fund(int(i))
    meets_shares = all(
        float(np.where(r.members & funded, r.weights, 0.0).sum()) + 1e-6 >= r.minimum for r in problem.shares
    )
    message = "" if meets_shares else "the greedy slate misses a minimum share"
    return Slate(
        funded,
        float(problem.values[funded].sum()),
        OPTIMAL if meets_shares else INFEASIBLE,
        None,
        time.monotonic() - started,
        message,
    )


# --- why an item is not funded -----------------------------------------------------------------------------


def why_not(problem: Problem, slate: Slate) -> list[WhyNot | None]:
    """For each item: None when funded, else the first rule that keeps it out.

    In order: excluded; a required item not in the slate; adding it (and nothing else) would
    overrun a budget (the first period and kind that overruns) or a department's capacity (the
    department and month that overruns most); it adds no value; otherwise it would fit, and the
    solver left it out within its optimality gap.
    """
    funded = slate.funded
    used = np.asarray(problem.usage @ funded.astype(float)).ravel()
    room = problem.limits + tolerance(problem.limits)
    columns = problem.usage.T.tocsr()
    prerequisites = problem.prerequisites()
    is_budget = problem.is_budget()
    out: list[WhyNot | None] = []
    for i in range(problem.size):
        if funded[i]:
            out.append(None)
            continue
        if problem.excluded[i]:
            out.append(WhyNot(EXCLUDED, "excluded by the scenario"))
            continue
        missing = [j for j in prerequisites[i] if not funded[j]]
        if missing:
            other = problem.item_ids[missing[0]]
            out.append(WhyNot(DEPENDENCY, f"requires {other}, which is not funded", item=other))
            continue
        after = used + np.asarray(columns[i].todense()).ravel()
        over = after - room
        budget_over = np.flatnonzero((over > 0) & is_budget)
        if budget_over.size:
            r = int(budget_over[0])
            out.append(WhyNot(REASON_BUDGET, _overrun(problem.rows[r], after[r], problem.limits[r]), problem.rows[r]))
            continue
        capacity_over = np.flatnonzero((over > 0) & ~is_budget)
        if capacity_over.size:
            r = int(capacity_over[np.argmax(over[capacity_over])])
            out.append(WhyNot(REASON_CAPACITY, _overrun(problem.rows[r], after[r], problem.limits[r]), problem.rows[r]))
            continue
        if problem.values[i] <= 0:
            out.append(WhyNot(NO_VALUE, "adds nothing to the objective"))
            continue
        out.append(WhyNot(WITHIN_GAP, "would fit: left out within the solver's optimality gap"))
    return out


def _overrun(row: ResourceRow, after: float, limit: float) -> str:
    if row.kind == BUDGET:
        return (
            f"would take {row.period}'s {row.budget_kind} spend to {_money(after)}, over its budget of {_money(limit)}"
        )
    return (
        f"would take {row.department}'s hours in {row.month:%Y-%m} to {after:,.0f} h, over the {limit:,.0f} h available"
    )


@contextmanager
def _solver_output_discarded() -> Iterator[None]:
    """HiGHS writes its banner to file descriptor 1 whatever `output_flag` says (and SciPy's build
    wrote a leftover debug line, HiGHS issue #2783); `pwh scenario` and the run log must show only
    our own lines. Python's own stdout is flushed first, so nothing of ours is lost."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
