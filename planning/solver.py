"""The exact selection (a 0-1 mixed-integer program solved by HiGHS), the greedy baseline, and why not.

The program (docs/scenarios.md "The model"):

    maximise   Σᵢ valueᵢ · xᵢ                       xᵢ ∈ {0, 1}
    subject to Σᵢ usageᵣᵢ · xᵢ ≤ limitᵣ              every budget row and capacity row r
               xᵢ ≤ xⱼ                               i cannot be funded without j
               Σᵢ∈G costᵢ · xᵢ ≥ minimum_G            every minimum share G
               xᵢ = 1 (mandatory), xᵢ = 0 (excluded)

HiGHS is reached through SciPy's `milp`, with a time limit and a relative gap; the gap it proves is
reported with every slate. Rows are scaled to their limit before solving, so money in millions and
hours in thousands meet the solver as numbers near 1.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from planning.portfolio import BUDGET, Problem, ResourceRow, closure, tolerance
from planning.scenario import ScenarioError

OPTIMAL, TIME_LIMIT, INFEASIBLE = "optimal", "time_limit", "infeasible"

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
    """The best slate HiGHS finds within the time limit; infeasible problems raise ScenarioError."""
    forced = _check_alone(problem)
    started = time.monotonic()
    n = problem.size
    lower = np.zeros(n)
    upper = np.ones(n)
    lower[forced] = 1.0
    upper[problem.excluded] = 0.0
    # An item that alone overruns a row can never be funded: fixed to 0 before the solver sees it.
    alone = problem.usage.T.tocsr()
    too_big = np.asarray((alone > (problem.limits + tolerance(problem.limits))[np.newaxis, :]).sum(axis=1)).ravel() > 0
    upper[too_big & ~forced] = 0.0
    if n == 0:
        return Slate(np.zeros(0, dtype=bool), 0.0, OPTIMAL, 0.0, 0.0)
    with _solver_output_discarded():
        result = milp(
            -problem.values,
            integrality=np.ones(n),
            bounds=Bounds(lower, upper),
            constraints=_constraints(problem),
            options={"time_limit": float(time_limit), "mip_rel_gap": float(mip_gap), "disp": False},
        )
    seconds = time.monotonic() - started
    if result.x is None:
        if result.status == 2:
            raise ScenarioError(_explain_infeasible(problem, time_limit), INFEASIBLE)
        raise ScenarioError(
            f"no slate found within the time limit of {time_limit:g} s "
            f"(HiGHS: {result.message}); raise solver.time_limit_seconds",
            INFEASIBLE,
        )
    funded = result.x > 0.5
    gap = getattr(result, "mip_gap", None)
    gap = None if gap is None or not np.isfinite(gap) else max(0.0, float(gap))
    status = OPTIMAL if result.status == 0 else TIME_LIMIT
    return Slate(funded, float(problem.values[funded].sum()), status, gap, seconds, str(result.message))


def _constraints(problem: Problem) -> list[LinearConstraint]:
    out = []
    if problem.usage.shape[0]:
        biggest = np.asarray(abs(problem.usage).max(axis=1).todense()).ravel()
        scale = np.where(problem.limits > 0, problem.limits, np.maximum(biggest, 1.0))
        scaled = sparse.diags(1.0 / scale) @ problem.usage
        out.append(LinearConstraint(scaled, -np.inf, (problem.limits + tolerance(problem.limits)) / scale))
    if problem.requires:
        pairs = np.array(problem.requires)
        k = len(pairs)
        matrix = sparse.csr_matrix(
            (np.r_[np.ones(k), -np.ones(k)], (np.r_[np.arange(k), np.arange(k)], np.r_[pairs[:, 0], pairs[:, 1]])),
            shape=(k, problem.size),
        )
        out.append(LinearConstraint(matrix, -np.inf, 0.0))
    for rule in problem.shares:
        if rule.minimum > 0:
            weights = np.where(rule.members, rule.weights, 0.0) / rule.minimum
            out.append(LinearConstraint(weights[np.newaxis, :], 1.0 - 1e-7, np.inf))
    return out


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
    """SciPy's HiGHS writes a leftover debug line to file descriptor 1 whatever `disp` says (HiGHS
    issue #2783); `pwh scenario` and the run log must show only our own lines. Python's own
    stdout is flushed first, so nothing of ours is lost."""
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
