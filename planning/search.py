"""Local search on a slate: the start the exact solver is handed (docs/scenarios.md "The solver and its gap").

HiGHS proves its gap from two ends, the best slate it has and the bound it has proved. When
capacity binds in many department-months the bound settles within seconds and the slate is what
is missing: a slate HiGHS finds in half a minute is still improved by swapping one item for
another. So before the exact solve, the best slate at hand is improved here and handed over.

Two moves, repeated until neither helps or the time is up: fund any item that still fits (best
value first), and swap a funded item for a better one that fits in its place. Every move keeps
every rule: mandatory and excluded items, dependencies both ways, minimum shares, every row.
"""

from __future__ import annotations

import time

import numpy as np

from planning.portfolio import Problem, meets_every_rule, tolerance


def improve(problem: Problem, funded: np.ndarray, fixed: np.ndarray, *, seconds: float) -> np.ndarray:
    """A slate at least as good as `funded` (which must meet every rule), within about `seconds`;
    `fixed` items (mandatory, with what they require) never leave."""
    better = _search(problem, funded.copy(), fixed, time.monotonic() + seconds)
    # The moves keep every rule by construction; this says so before HiGHS is handed the slate.
    return better if meets_every_rule(problem, better) else funded


def _search(problem: Problem, funded: np.ndarray, fixed: np.ndarray, deadline: float) -> np.ndarray:
    rows = problem.usage.tocsr()
    columns = problem.usage.tocsc()
    # Taking out an item with a negative entry (a refund, say) would raise that row: such items stay.
    removable = ~fixed & (np.asarray(columns.min(axis=0).todense()).ravel() >= 0)
    room = problem.limits + tolerance(problem.limits)
    used = np.asarray(rows @ funded.astype(float)).ravel()
    prerequisites = problem.prerequisites()
    dependents: list[list[int]] = [[] for _ in range(problem.size)]
    for i, j in problem.requires:
        dependents[j].append(i)
    by_value = np.argsort(-problem.values, kind="stable")

    def column(j: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = columns.indptr[j], columns.indptr[j + 1]
        return columns.indices[start:end], columns.data[start:end]

    def may_enter(j: int) -> bool:
        return (
            not funded[j]
            and not problem.excluded[j]
            and problem.values[j] > 0
            and all(funded[k] for k in prerequisites[j])
        )

    def may_leave(i: int, entering: int) -> bool:
        if not removable[i] or i in prerequisites[entering] or any(funded[k] for k in dependents[i]):
            return False
        return all(
            float(np.where(r.members & funded, r.weights, 0.0).sum())
            - (r.weights[i] if r.members[i] else 0.0)
            + (r.weights[entering] if r.members[entering] else 0.0)
            >= r.minimum
            for r in problem.shares
        )

    def move(j: int, sign: float) -> None:
        index, data = column(j)
        used[index] += sign * data
        funded[j] = sign > 0

    def meets_shares() -> bool:
        return all(float(np.where(r.members & funded, r.weights, 0.0).sum()) >= r.minimum for r in problem.shares)

    def take_out_and_refill(i: int) -> bool:
        """Take i out, fund what now fits best value first; keep it when that is worth more than i."""
        index, _ = column(i)
        move(i, -1.0)
        touching = np.unique(rows[index].indices)
        touching = touching[~funded[touching] & (problem.values[touching] > 0) & ~problem.excluded[touching]]
        touching = touching[touching != i]
        entered = []
        gain = -problem.values[i]
        for j in touching[np.argsort(-problem.values[touching], kind="stable")]:
            if may_enter(int(j)):
                jndex, data = column(int(j))
                if (used[jndex] + data <= room[jndex]).all():
                    move(int(j), +1.0)
                    entered.append(int(j))
                    gain += problem.values[j]
        if gain > 1e-12 and meets_shares():
            return True
        for j in entered:
            move(j, -1.0)
        move(i, +1.0)
        return False

    changed = True
    while changed and time.monotonic() < deadline:
        changed = False
        for j in by_value:
            if may_enter(j):
                index, data = column(j)
                if (used[index] + data <= room[index]).all():
                    move(j, +1.0)
                    changed = True
        for j in by_value:
            if time.monotonic() >= deadline:
                break
            if not may_enter(j):
                continue
            index, data = column(j)
            short = used[index] + data - room[index]
            over = short > 0
            if not over.any():
                move(j, +1.0)
                changed = True
                continue
            # Who frees at least the shortfall in every row j overruns, and is worth less than j?
            need, where = short[over], index[over]
            enough = np.asarray((rows[where].multiply(1.0 / need[:, np.newaxis]) >= 1.0).sum(axis=0)).ravel()
            candidates = np.flatnonzero((enough == len(where)) & funded & (problem.values < problem.values[j]))
            for i in candidates[np.argsort(problem.values[candidates], kind="stable")]:
                if may_leave(int(i), int(j)):
                    move(int(i), -1.0)
                    move(int(j), +1.0)
                    changed = True
                    break
        for i in by_value[::-1]:
            if time.monotonic() >= deadline:
                break
            if funded[i] and removable[i] and not any(funded[k] for k in dependents[i]):
                changed |= take_out_and_refill(int(i))
    return funded
