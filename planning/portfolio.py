"""A selection problem as arrays: what the solver, the greedy baseline and the tests share.

Every limit is a *resource row*: Σᵢ usageᵣᵢ · xᵢ ≤ limitᵣ, where xᵢ = 1 funds item i. A row is
either a budget (one period, one of total / capex / opex) or the capacity of one department in one
month. The other rules are kept as they are: mandatory and excluded items, "i cannot be funded
without j" pairs, and minimum shares (Σ over a group's items of their horizon cost ≥ an amount).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
from scipy import sparse

BUDGET, CAPACITY = "budget", "capacity"


@dataclass(frozen=True)
class ResourceRow:
    """What one row limits: a budget period and kind, or a department's hours in a month."""

    kind: str  # BUDGET or CAPACITY
    period: str | None = None  # budget period label, e.g. FY2027; for capacity, the month's period
    budget_kind: str | None = None  # total, capex or opex
    department: str | None = None
    month: date | None = None

    def describe(self) -> str:
        if self.kind == BUDGET:
            return f"the {self.budget_kind} budget of {self.period}"
        return f"the capacity of {self.department} in {self.month:%Y-%m}"


@dataclass(frozen=True)
class ShareRule:
    """Σᵢ weightᵢ · xᵢ ≥ minimum over a group's members: a minimum share of the budget."""

    label: str  # "portfolio Digital", "theme Cloud"
    members: np.ndarray  # bool, per item
    weights: np.ndarray  # each item's cost over the horizon
    minimum: float  # money
    share: float  # the share of the budget it came from


@dataclass(frozen=True)
class Problem:
    item_ids: tuple[str, ...]
    values: np.ndarray  # the objective's value of each item
    usage: sparse.csr_matrix  # rows × items
    limits: np.ndarray  # per row
    rows: tuple[ResourceRow, ...]
    mandatory: np.ndarray  # bool, per item
    excluded: np.ndarray  # bool, per item
    requires: tuple[tuple[int, int], ...] = ()  # (i, j): i cannot be funded without j
    shares: tuple[ShareRule, ...] = ()
    # The greedy walk's order: the ranked list (best first). Default: by value, then by position.
    rank_order: np.ndarray | None = None
    names: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return len(self.item_ids)

    def order(self) -> np.ndarray:
        if self.rank_order is not None:
            return self.rank_order
        return np.lexsort((np.arange(self.size), -self.values))

    def is_budget(self) -> np.ndarray:
        return np.array([r.kind == BUDGET for r in self.rows], dtype=bool)

    def scaled(self, *, budget: float = 1.0, capacity: float = 1.0) -> Problem:
        """The same problem with every budget row × `budget` and every capacity row × `capacity`.

        Minimum shares keep their amounts: they were set against the scenario's own budget, so a
        larger budget only ever widens the choice (the frontier is monotone; docs/scenarios.md).
        """
        factors = np.where(self.is_budget(), budget, capacity)
        return replace(self, limits=self.limits * factors)

    def prerequisites(self) -> list[list[int]]:
        """For each item, the items it directly requires."""
        out: list[list[int]] = [[] for _ in range(self.size)]
        for i, j in self.requires:
            out[i].append(j)
        return out


def closure(start: Sequence[int], prerequisites: list[list[int]]) -> list[int]:
    """`start` and everything it requires, transitively (cycles included once)."""
    seen: dict[int, None] = {}
    stack = list(start)
    while stack:
        i = stack.pop()
        if i in seen:
            continue
        seen[i] = None
        stack.extend(prerequisites[i])
    return list(seen)


def tolerance(limits: np.ndarray) -> np.ndarray:
    """Rounding room on a row: a slate that uses its limit to the cent (or the minute) fits."""
    return 1e-7 * np.maximum(1.0, np.abs(limits))


def build_problem(
    item_ids: Sequence[str],
    values: Sequence[float],
    usage: np.ndarray | sparse.spmatrix,
    limits: Sequence[float],
    rows: Sequence[ResourceRow],
    *,
    mandatory: Sequence[str] = (),
    excluded: Sequence[str] = (),
    requires: Sequence[tuple[str, str]] = (),
    shares: Sequence[tuple[str, Sequence[str], float, float]] = (),
    rank_order: Sequence[str] | None = None,
    share_weights: Sequence[float] | None = None,
) -> Problem:
    """A Problem from ids; `shares` are (label, member ids, minimum amount, share).

    A share counts each member's `share_weights` (its cost over the horizon); without them, its
    use of the `total` budget rows, or, where there are none, of the capex and opex rows.
    """
    index = {item: i for i, item in enumerate(item_ids)}
    n = len(item_ids)
    matrix = sparse.csr_matrix(usage, dtype=float)
    flags = [np.zeros(n, dtype=bool) for _ in range(2)]
    for flag, ids in zip(flags, (mandatory, excluded), strict=True):
        for item in ids:
            flag[index[item]] = True
    pairs = tuple((index[a], index[b]) for a, b in requires)
    horizon_cost = horizon_costs(matrix, rows) if share_weights is None else np.asarray(share_weights, dtype=float)
    rules = []
    for label, members, minimum, share in shares:
        mask = np.zeros(n, dtype=bool)
        mask[[index[m] for m in members]] = True
        rules.append(ShareRule(label, mask, horizon_cost, float(minimum), float(share)))
    order = None if rank_order is None else np.array([index[i] for i in rank_order], dtype=int)
    return Problem(
        item_ids=tuple(item_ids),
        values=np.asarray(values, dtype=float),
        usage=matrix,
        limits=np.asarray(limits, dtype=float),
        rows=tuple(rows),
        mandatory=flags[0],
        excluded=flags[1],
        requires=pairs,
        shares=tuple(rules),
        rank_order=order,
    )


def horizon_costs(usage: sparse.csr_matrix, rows: Sequence[ResourceRow]) -> np.ndarray:
    """Each item's cost over the whole horizon, from its budget rows (total, else capex + opex)."""
    kinds = [r.budget_kind if r.kind == BUDGET else None for r in rows]
    chosen = [k == "total" for k in kinds] if "total" in kinds else [k in ("capex", "opex") for k in kinds]
    mask = np.array(chosen, dtype=float)
    return np.asarray(usage.T @ mask).ravel()


def meets_every_rule(problem: Problem, funded: np.ndarray) -> bool:
    """Whether a slate meets every rule of `problem`: each row within its limit (to its tolerance),
    mandatory items in, excluded ones out, dependencies funded, and the minimum shares met to the
    precision of their rows in the program. The one test of a slate: the local search's, and the
    frontier's when it carries a slate to the next budget level."""
    used = np.asarray(problem.usage @ funded.astype(float)).ravel()
    if (used > problem.limits + tolerance(problem.limits)).any():
        return False
    if (problem.mandatory & ~funded).any() or (problem.excluded & funded).any():
        return False
    if any(funded[i] and not funded[j] for i, j in problem.requires):
        return False
    # minimum shares to the precision of their rows in the program (planning/program.py)
    return all(
        float(np.where(r.members & funded, r.weights, 0.0).sum()) >= r.minimum * (1 - 1e-7) for r in problem.shares
    )
