"""The selection problem as the matrix HiGHS solves (docs/scenarios.md "The solver and its gap").

Rows, in this order: each budget and capacity row divided by its limit (money in millions and hours
in thousands reach the solver as numbers near 1); one `xᵢ − xⱼ ≤ 0` per dependency; one row per
minimum share; and one row per group of proportional columns (below).

Proportional columns: every demand of a portfolio spreads its hours over the same departments and
months in the same proportions, so its column is its estimate times its portfolio's column. Each
demand touches hundreds of department-months, which made demands four fifths of the matrix on the
large world. Such a group gets one continuous column yᵍ = Σᵢ∈g sᵢ · xᵢ (one equality row) that
carries the shared column once: the same program, about a quarter of the nonzeros, and every LP
HiGHS solves is that much cheaper.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from planning.portfolio import Problem, tolerance

# A column must touch this many rows before grouping pays; smaller ones stay as they are.
GROUP_MIN_ROWS = 20
# Members of a group match its shared column to this relative precision (rounding of the inputs'
# arithmetic only); far inside the 10⁻⁷ room every row has.
GROUP_PRECISION = 1e-12


@dataclass(frozen=True)
class Program:
    """Columns: the n items, then one continuous column per group. Rows: see the module doc."""

    matrix: sparse.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    groups: sparse.csr_matrix  # groups × items: sᵢ where item i is in group g
    items: int

    @property
    def columns(self) -> int:
        return self.matrix.shape[1]

    def start(self, funded: np.ndarray) -> np.ndarray:
        """A slate as a full column vector (the group columns follow from the items)."""
        x = funded.astype(float)
        return np.r_[x, self.groups @ x]


def build_program(problem: Problem) -> Program:
    n = problem.size
    blocks, lower, upper = [], [], []
    usage = problem.usage
    if usage.shape[0]:
        biggest = np.asarray(abs(usage).max(axis=1).todense()).ravel()
        scale = np.where(problem.limits > 0, problem.limits, np.maximum(biggest, 1.0))
        scaled = (sparse.diags(1.0 / scale) @ usage).tocsc()
        limit = (problem.limits + tolerance(problem.limits)) / scale
    else:
        scaled, limit = sparse.csc_matrix((0, n)), np.zeros(0)
    grouped, shared, weights = _group_proportional_columns(scaled)
    k = shared.shape[1]
    blocks.append(sparse.hstack([grouped, shared]))
    lower.append(np.full(len(limit), -np.inf))
    upper.append(limit)
    if problem.requires:
        pairs = np.array(problem.requires)
        m = len(pairs)
        rows = np.r_[np.arange(m), np.arange(m)]
        blocks.append(
            sparse.csr_matrix((np.r_[np.ones(m), -np.ones(m)], (rows, np.r_[pairs[:, 0], pairs[:, 1]])), (m, n + k))
        )
        lower.append(np.full(m, -np.inf))
        upper.append(np.zeros(m))
    for rule in problem.shares:
        if rule.minimum > 0:
            row = np.r_[np.where(rule.members, rule.weights, 0.0) / rule.minimum, np.zeros(k)]
            blocks.append(sparse.csr_matrix(row[np.newaxis, :]))
            lower.append(np.array([1.0 - 1e-7]))
            upper.append(np.array([np.inf]))
    if k:
        blocks.append(sparse.hstack([weights, -sparse.identity(k)]))
        lower.append(np.zeros(k))
        upper.append(np.zeros(k))
    matrix = sparse.vstack(blocks).tocsc()
    matrix.eliminate_zeros()
    return Program(matrix, np.concatenate(lower), np.concatenate(upper), weights.tocsr(), n)


def _group_proportional_columns(
    scaled: sparse.csc_matrix,
) -> tuple[sparse.csc_matrix, sparse.csc_matrix, sparse.csr_matrix]:
    """(the columns with grouped members emptied, one shared column per group, groups × items sᵢ)."""
    n = scaled.shape[1]
    by_shape: dict[tuple[bytes, bytes], list[int]] = {}
    for j in range(n):
        start, end = scaled.indptr[j], scaled.indptr[j + 1]
        if end - start < GROUP_MIN_ROWS:
            continue
        values = scaled.data[start:end]
        top = np.abs(values).max()
        if top == 0:
            continue
        key = (scaled.indices[start:end].tobytes(), np.round(values / top, 9).tobytes())
        by_shape.setdefault(key, []).append(j)
    shared_columns, group_rows, group_cols, group_vals = [], [], [], []
    grouped = np.zeros(n, dtype=bool)
    for members in by_shape.values():
        if len(members) < 2:
            continue
        first = members[0]
        reference = scaled.data[scaled.indptr[first] : scaled.indptr[first + 1]]
        shape = reference / np.abs(reference).max()
        exact = []
        for j in members:
            values = scaled.data[scaled.indptr[j] : scaled.indptr[j + 1]]
            size = np.abs(values).max()
            if np.abs(values - size * shape).max() <= GROUP_PRECISION * size:
                exact.append((j, size))
        if len(exact) < 2:
            continue
        g = len(shared_columns)
        shared_columns.append(
            sparse.csc_matrix(
                (shape, scaled.indices[scaled.indptr[first] : scaled.indptr[first + 1]], [0, len(shape)]),
                shape=(scaled.shape[0], 1),
            )
        )
        for j, size in exact:
            grouped[j] = True
            group_rows.append(g)
            group_cols.append(j)
            group_vals.append(size)
    k = len(shared_columns)
    kept = (scaled @ sparse.diags((~grouped).astype(float))).tocsc()
    kept.eliminate_zeros()
    shared = sparse.hstack(shared_columns).tocsc() if k else sparse.csc_matrix((scaled.shape[0], 0))
    weights = sparse.csr_matrix((group_vals, (group_rows, group_cols)), shape=(k, n))
    return kept, shared, weights
