"""One scenario end to end: the optimal slate, the greedy slate, the frontier and the sensitivities."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from planning.inputs import PlanningInputs
from planning.portfolio import Problem, meets_every_rule
from planning.scenario import ScenarioError
from planning.solver import INFEASIBLE, Slate, WhyNot, greedy, solve, why_not

# 15 budget levels from 50 % to 150 % of the scenario's budget (100 % is the 8th).
FRONTIER_LEVELS = tuple(float(x) for x in np.round(np.linspace(0.5, 1.5, 15), 10))
# (name, budget factor, capacity factor)
SENSITIVITIES = (("budget -10%", 0.9, 1.0), ("budget +10%", 1.1, 1.0), ("capacity -10%", 1.0, 0.9))
# The 17 solves around the slate (frontier levels and sensitivities) stop at this gap, or the
# scenario's when looser, and within this many seconds, or its limit when shorter. On the medium
# world a capacity-bound priority-score slate took the whole minute to prove 0.9 %: 17 more such
# solves at the scenario's own settings made one scenario take a quarter of an hour (docs/scenarios.md
# "Frontier and sensitivity"). Each level's gap is reported with it.
SIDE_MIP_GAP, SIDE_TIME_LIMIT = 0.01, 10.0


@dataclass(frozen=True)
class FrontierPoint:
    level: float
    slate: Slate


@dataclass(frozen=True)
class Sensitivity:
    name: str
    budget_factor: float
    capacity_factor: float
    slate: Slate
    entering: tuple[int, ...]
    leaving: tuple[int, ...]


@dataclass(frozen=True)
class ScenarioResult:
    inputs: PlanningInputs
    slate: Slate
    greedy: Slate
    reasons: list[WhyNot | None]
    frontier: tuple[FrontierPoint, ...]
    sensitivities: tuple[Sensitivity, ...]
    seconds: float


def run_scenario(inputs: PlanningInputs, *, frontier: bool = True, sensitivity: bool = True) -> ScenarioResult:
    """Solve the scenario; ScenarioError (infeasible) when no slate meets its rules."""
    started = time.monotonic()
    scenario, problem = inputs.scenario, inputs.problem
    limits = {"time_limit": scenario.time_limit_seconds, "mip_gap": scenario.mip_gap}
    side = {
        "time_limit": min(scenario.time_limit_seconds, SIDE_TIME_LIMIT),
        "mip_gap": max(scenario.mip_gap, SIDE_MIP_GAP),
    }
    slate = solve(problem, **limits)
    baseline = greedy(problem)
    points = _frontier(problem, slate, side) if frontier else ()
    changes = []
    if sensitivity:
        for name, budget, capacity in SENSITIVITIES:
            changed_problem = problem.scaled(budget=budget, capacity=capacity)
            changed = keep_if_as_good(changed_problem, _solve_or_infeasible(changed_problem, side), slate)
            moved = changed.funded ^ slate.funded if changed.status != INFEASIBLE else np.zeros(problem.size, bool)
            changes.append(
                Sensitivity(
                    name,
                    budget,
                    capacity,
                    changed,
                    tuple(np.flatnonzero(moved & changed.funded)),
                    tuple(np.flatnonzero(moved & slate.funded)),
                )
            )
    return ScenarioResult(
        inputs, slate, baseline, why_not(problem, slate), tuple(points), tuple(changes), time.monotonic() - started
    )


def keep_if_as_good(problem: Problem, changed: Slate, base: Slate) -> Slate:
    """The scenario's own slate when it still fits the changed problem and the change's solve found
    nothing better: then nothing moves. Without this, two slates equal within the gap would show
    items entering and leaving that the change did not move."""
    if changed.status != INFEASIBLE and changed.objective <= base.objective and meets_every_rule(problem, base.funded):
        return Slate(
            base.funded,
            base.objective,
            changed.status,
            changed.mip_gap,
            changed.seconds,
            "the scenario's slate, as good as this solve's within its gap",
        )
    return changed


def _solve_or_infeasible(problem: Problem, limits: dict[str, float]) -> Slate:
    try:
        return solve(problem, **limits)
    except ScenarioError as exc:
        return Slate(np.zeros(problem.size, dtype=bool), float("nan"), INFEASIBLE, message=str(exc))


def _frontier(problem: Problem, base: Slate, limits: dict[str, float]) -> list[FrontierPoint]:
    """The optimum at each budget level, in ascending order.

    A slate that fits a budget fits every larger one, so a level never reports less than the level
    below it: when a solve stopped at its time limit below that, the lower level's slate is kept.
    """
    points: list[FrontierPoint] = []
    best: Slate | None = None
    for level in FRONTIER_LEVELS:
        scaled = problem.scaled(budget=level)
        slate = base if abs(level - 1.0) < 1e-9 else _solve_or_infeasible(scaled, limits)
        if (
            best is not None
            and slate.status != INFEASIBLE
            and best.objective > slate.objective
            and meets_every_rule(scaled, best.funded)
        ):
            slate = Slate(
                best.funded,
                best.objective,
                slate.status,
                slate.mip_gap,
                slate.seconds,
                "the level below's slate, better than this solve's within its gap",
            )
        elif best is not None and slate.status == INFEASIBLE and meets_every_rule(scaled, best.funded):
            slate = Slate(best.funded, best.objective, best.status, best.mip_gap, 0.0, "the level below's slate")
        points.append(FrontierPoint(level, slate))
        if slate.status != INFEASIBLE:
            best = slate
    return points
