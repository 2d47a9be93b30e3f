"""The four scenario marts as data frames, and the one place their descriptions are written.

The marts are not dbt models (docs/architecture.md "Scenario marts are written by the planner"),
so their table and column descriptions live here; whoever writes the frames into a DuckDB file
stores them as comments, and the Parquet exports and the Power BI model read them from there.
Columns follow the warehouse's naming: `_amount` is money in the reporting currency, `_ratio` a
fraction, `is_` a flag, `_date` a date.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from planning.analysis import ScenarioResult

# Plain words, not imports: Dagster loads this module's table names with its definitions, and
# the solver's SciPy import would cost every step process seconds (docs/architecture.md "Import costs").
BUDGET, CAPACITY, INFEASIBLE = "budget", "capacity", "infeasible"


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str
    description: str


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]


@dataclass(frozen=True)
class ScenarioFailure:
    """A scenario that could not be solved: its name, `invalid` or `infeasible`, and the one line."""

    name: str
    kind: str
    message: str


@dataclass(frozen=True)
class DescribedFrame:
    spec: TableSpec
    frame: pd.DataFrame


def _c(name: str, sql_type: str, description: str) -> Column:
    return Column(name, sql_type, description)


MONEY, HOURS = "decimal(38, 6)", "double"
SCENARIO = _c("scenario_name", "varchar", "The scenario: its file's `name` (default: the file name without .yml).")
AS_OF = _c("as_of_date", "date", "The as-of date of the warehouse the scenario was solved against.")

SELECTION = TableSpec(
    "scenario_selection",
    "One row per scenario × candidate item: whether the optimal slate funds it, whether the greedy slate (rank "
    "order, fund while it fits) does, and if not funded, the first rule that keeps it out (excluded, dependency, "
    "budget, capacity, no_value, within_gap). Candidates are the ranked items of kpi_prioritization with cost or "
    "effort in the scenario's horizon (docs/scenarios.md).",
    (
        SCENARIO,
        _c("item_type", "varchar", "`project` or `demand`."),
        _c("item_id", "varchar", "Project number (PRJ...) or demand number."),
        _c("item_name", "varchar", "Project or demand name."),
        _c("portfolio_name", "varchar", "The portfolio it is ranked in (kpi_prioritization)."),
        _c("priority_score", "double", "kpi_prioritization.priority_score."),
        _c("priority_rank", "bigint", "kpi_prioritization.priority_rank (within the portfolio)."),
        _c(
            "item_value",
            "double",
            "What the item adds to the scenario's objective: its priority score, NPV or risk-adjusted NPV.",
        ),
        _c(
            "npv_amount",
            MONEY,
            "NPV: kpi_project_scorecard.npv_amount for a project (0 when NULL); estimated benefit − "
            "estimated cost for a demand.",
        ),
        _c("risk_exposure_amount", MONEY, "kpi_project_scorecard.risk_exposure_amount for a project; 0 for a demand."),
        _c(
            "cost_amount",
            MONEY,
            "Its cost inside the horizon: remaining cost plan months of a project, the spread estimate of a demand.",
        ),
        _c("capex_cost_amount", MONEY, "The capex part of cost_amount."),
        _c("opex_cost_amount", MONEY, "The opex part of cost_amount."),
        _c("effort_hours", HOURS, "Hours it needs inside the horizon, all departments."),
        _c(
            "required_item_ids",
            "varchar",
            "The items it cannot be funded without (Blocks links and the file's "
            "dependencies), comma-separated; NULL when none.",
        ),
        _c("is_mandatory", "boolean", "Named mandatory by the scenario."),
        _c("is_excluded", "boolean", "Named excluded by the scenario."),
        _c("is_funded", "boolean", "In the optimal slate."),
        _c("is_funded_greedy", "boolean", "In the greedy slate."),
        _c(
            "not_funded_reason",
            "varchar",
            "Why not funded, the first that applies: excluded, dependency, budget, "
            "capacity, no_value (adds nothing to the objective), within_gap (would fit; left out within the "
            "solver's gap). NULL when funded.",
        ),
        _c("not_funded_period", "varchar", "For budget and capacity: the budget period that overruns."),
        _c("not_funded_budget_kind", "varchar", "For budget: total, capex or opex."),
        _c("not_funded_department", "varchar", "For capacity: the department that would overrun most."),
        _c("not_funded_month_date", "date", "For capacity: the first day of that month."),
        _c("not_funded_item_id", "varchar", "For dependency: the required item that is not funded."),
        _c("not_funded_detail", "varchar", "The reason in words, with the figures."),
        AS_OF,
    ),
)

SUMMARY = TableSpec(
    "scenario_summary",
    "One row per scenario × budget period, plus one total row per scenario (is_total, period_label `Horizon`; "
    "filter it out before summing periods). Period rows carry the budget and capacity used in the period; the "
    "total row also carries the slate's figures: objective, greedy objective, gain, gap, NPV, risk exposure, "
    "score, status. A scenario that could not be solved has only its total row, with status `invalid` or "
    "`infeasible` and status_message saying why.",
    (
        SCENARIO,
        _c("is_total", "boolean", "True on the scenario's total row (the whole horizon)."),
        _c("period_label", "varchar", "The budget period (FY2027, FY2027 Q1), or `Horizon` on the total row."),
        _c("period_start_date", "date", "First day of the period (of the horizon on the total row)."),
        _c("period_end_date", "date", "Last day of the period (of the horizon on the total row)."),
        _c("description", "varchar", "The scenario's description (total row)."),
        _c("objective", "varchar", "priority_score, npv or risk_adjusted_npv (total row)."),
        _c(
            "status",
            "varchar",
            "optimal (proven within mip_gap_target), time_limit (stopped at the time limit; see "
            "mip_gap), infeasible or invalid (total row).",
        ),
        _c("status_message", "varchar", "For infeasible and invalid scenarios, the one line naming the rule or field."),
        _c("candidate_count", "bigint", "Candidates considered (total row)."),
        _c("funded_count", "bigint", "Items in the optimal slate (total row)."),
        _c("greedy_funded_count", "bigint", "Items in the greedy slate (total row)."),
        _c("objective_value", "double", "The optimal slate's objective: Σ item_value over funded items (total row)."),
        _c("greedy_objective_value", "double", "The greedy slate's objective (total row)."),
        _c(
            "objective_gain", "double", "objective_value − greedy_objective_value: what optimisation gains (total row)."
        ),
        _c(
            "objective_gain_ratio",
            "double",
            "objective_gain / greedy_objective_value (NULL when that is 0; total row).",
        ),
        _c("mip_gap", "double", "The relative gap HiGHS proved between the slate and the best possible (fraction)."),
        _c("mip_gap_target", "double", "solver.mip_gap: the gap the solver stops at."),
        _c("solve_seconds", "double", "Seconds the optimal slate took to solve (total row)."),
        _c("time_limit_seconds", "double", "solver.time_limit_seconds, per solve."),
        _c("priority_score", "double", "Σ priority_score of the funded items (total row)."),
        _c("npv_amount", MONEY, "Σ npv_amount of the funded items (total row)."),
        _c("risk_exposure_amount", MONEY, "Σ risk_exposure_amount of the funded items (total row)."),
        _c("risk_adjusted_npv_amount", MONEY, "npv_amount − risk_exposure_amount (total row)."),
        _c(
            "budget_amount",
            MONEY,
            "The total budget of the period (horizon), from a figure or a percentage of "
            "full_cost_amount; NULL when the scenario sets no total.",
        ),
        _c("capex_budget_amount", MONEY, "The capex budget; NULL when the scenario sets none."),
        _c("opex_budget_amount", MONEY, "The opex budget; NULL when the scenario sets none."),
        _c("full_cost_amount", MONEY, "What funding every candidate (not excluded) would cost in the period."),
        _c("cost_amount", MONEY, "Cost of the optimal slate in the period."),
        _c("capex_cost_amount", MONEY, "Its capex part."),
        _c("opex_cost_amount", MONEY, "Its opex part."),
        _c("greedy_cost_amount", MONEY, "Cost of the greedy slate in the period."),
        _c("budget_used_ratio", "double", "cost_amount / budget_amount (capex + opex budgets when no total)."),
        _c(
            "capacity_hours",
            HOURS,
            "Available hours (after capacity.scale) of the department-months any candidate needs in the period.",
        ),
        _c("effort_hours", HOURS, "Hours the optimal slate needs of them."),
        _c("capacity_used_ratio", "double", "effort_hours / capacity_hours."),
        AS_OF,
    ),
)

FRONTIER = TableSpec(
    "scenario_frontier",
    "One row per scenario × budget level: the efficient frontier. Every budget of the scenario is scaled from "
    "50 % to 150 % in 15 steps (level 8 is the scenario itself); capacity, mandatory items, dependencies and "
    "minimum-share amounts stay. objective_value never falls as the budget rises: where a solve stopped within "
    "its gap below the level under it, that level's slate is kept.",
    (
        SCENARIO,
        _c("level_number", "bigint", "1 to 15, from the smallest budget."),
        _c("budget_ratio", "double", "The budget as a fraction of the scenario's (0.5 to 1.5)."),
        _c("is_scenario_budget", "boolean", "True on the scenario's own budget (ratio 1)."),
        _c("budget_amount", MONEY, "The horizon's budget at this level (total, else capex + opex)."),
        _c(
            "status",
            "varchar",
            "optimal, time_limit or infeasible (no slate fits: mandatory items or minimum shares need more).",
        ),
        _c("objective_value", "double", "The best objective at this level (NULL when infeasible)."),
        _c("funded_count", "bigint", "Items in that slate."),
        _c("cost_amount", MONEY, "That slate's cost over the horizon."),
        _c("mip_gap", "double", "The gap proved for this level's solve (fraction)."),
        AS_OF,
    ),
)

SENSITIVITY = TableSpec(
    "scenario_sensitivity",
    "One row per scenario × change × item that moves: which items enter or leave the optimal slate when the budget "
    "is 10 % lower, 10 % higher, or capacity 10 % lower. A change under which nothing moves has no rows; an "
    "infeasible change has one row with item_id NULL and movement `infeasible`.",
    (
        SCENARIO,
        _c("change_name", "varchar", "`budget -10%`, `budget +10%` or `capacity -10%`."),
        _c("budget_ratio", "double", "Every budget × this (0.9, 1.1 or 1)."),
        _c("capacity_ratio", "double", "Every department's capacity × this (1 or 0.9)."),
        _c(
            "movement",
            "varchar",
            "`enters` (funded only under the change), `leaves` (funded only in the scenario), or `infeasible`.",
        ),
        _c("item_type", "varchar", "`project` or `demand`."),
        _c("item_id", "varchar", "Project number or demand number."),
        _c("item_name", "varchar", "Project or demand name."),
        _c("portfolio_name", "varchar", "The item's portfolio."),
        _c("item_value", "double", "What the item adds to the objective."),
        _c("cost_amount", MONEY, "The item's cost inside the horizon."),
        _c("base_objective_value", "double", "The scenario's optimal objective."),
        _c("change_objective_value", "double", "The optimal objective under the change (NULL when infeasible)."),
        AS_OF,
    ),
)

SPECS = (SELECTION, SUMMARY, FRONTIER, SENSITIVITY)
TABLE_NAMES = tuple(s.name for s in SPECS)


def scenario_tables(
    results: Sequence[ScenarioResult], failures: Sequence[ScenarioFailure], as_of: date
) -> list[DescribedFrame]:
    """The four marts for these scenarios (failures appear in scenario_summary only)."""
    rows: dict[str, list[dict]] = {spec.name: [] for spec in SPECS}
    for result in results:
        rows[SELECTION.name] += _selection(result)
        rows[SUMMARY.name] += _summary(result)
        rows[FRONTIER.name] += _frontier(result)
        rows[SENSITIVITY.name] += _sensitivity(result)
    for failure in failures:
        rows[SUMMARY.name].append(
            {
                "scenario_name": failure.name,
                "is_total": True,
                "period_label": "Horizon",
                "status": failure.kind,
                "status_message": failure.message,
            }
        )
    out = []
    for spec in SPECS:
        frame = pd.DataFrame(rows[spec.name], columns=[c.name for c in spec.columns])
        frame["as_of_date"] = as_of
        out.append(DescribedFrame(spec, frame))
    return out


def _month_end(month: date) -> date:
    return date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])


def _selection(result: ScenarioResult) -> list[dict]:
    inputs, problem = result.inputs, result.inputs.problem
    prerequisites = problem.prerequisites()
    out = []
    for k, item in enumerate(inputs.items.itertuples(index=False)):
        why = result.reasons[k]
        row = why.row if why else None
        required = sorted(problem.item_ids[j] for j in prerequisites[k])
        out.append(
            {
                "scenario_name": inputs.scenario.name,
                "item_type": item.item_type,
                "item_id": item.item_id,
                "item_name": item.item_name,
                "portfolio_name": item.portfolio_name,
                "priority_score": item.priority_score,
                "priority_rank": item.priority_rank,
                "item_value": item.value,
                "npv_amount": item.npv_amount,
                "risk_exposure_amount": item.risk_exposure_amount,
                "cost_amount": item.cost_amount,
                "capex_cost_amount": item.capex_cost_amount,
                "opex_cost_amount": item.opex_cost_amount,
                "effort_hours": item.effort_hours,
                "required_item_ids": ", ".join(required) or None,
                "is_mandatory": bool(problem.mandatory[k]),
                "is_excluded": bool(problem.excluded[k]),
                "is_funded": bool(result.slate.funded[k]),
                "is_funded_greedy": bool(result.greedy.funded[k]),
                "not_funded_reason": why.reason if why else None,
                "not_funded_period": row.period if row else None,
                "not_funded_budget_kind": row.budget_kind if row and row.kind == BUDGET else None,
                "not_funded_department": row.department if row and row.kind == CAPACITY else None,
                "not_funded_month_date": row.month if row and row.kind == CAPACITY else None,
                "not_funded_item_id": why.item if why else None,
                "not_funded_detail": why.detail if why else None,
            }
        )
    return out


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0 or np.isnan(denominator):
        return None
    return float(numerator) / float(denominator)


def _summary(result: ScenarioResult) -> list[dict]:
    inputs, problem, scenario = result.inputs, result.inputs.problem, result.inputs.scenario
    funded = result.slate.funded.astype(float)
    used = np.asarray(problem.usage @ funded).ravel()
    items = inputs.items
    out = []
    horizon_start, horizon_end = inputs.horizon.start, _month_end(inputs.horizon.end)
    for period in [*inputs.horizon.periods, None]:
        label = period.label if period else None

        def pick(kind: str, budget_kind: str | None = None, _label: str | None = label) -> np.ndarray:
            return np.array(
                [
                    r.kind == kind
                    and (_label is None or r.period == _label)
                    and (budget_kind is None or r.budget_kind == budget_kind)
                    for r in problem.rows
                ]
            )

        budgets = {
            k: (float(problem.limits[pick(BUDGET, k)].sum()) if k in scenario.budget else None)
            for k in ("total", "capex", "opex")
        }
        period_cost = _cost_in(inputs, result.slate.funded, period)
        greedy_cost = _cost_in(inputs, result.greedy.funded, period)
        full = _cost_in(inputs, ~problem.excluded, period)[0]
        budget = (
            budgets["total"]
            if budgets["total"] is not None
            else sum(v for v in (budgets["capex"], budgets["opex"]) if v is not None)
        )
        capacity = pick(CAPACITY)
        row = {
            "scenario_name": scenario.name,
            "is_total": period is None,
            "period_label": label or "Horizon",
            "period_start_date": period.start if period else horizon_start,
            "period_end_date": _month_end(period.end) if period else horizon_end,
            "budget_amount": budgets["total"],
            "capex_budget_amount": budgets["capex"],
            "opex_budget_amount": budgets["opex"],
            "full_cost_amount": full,
            "cost_amount": period_cost[0],
            "capex_cost_amount": period_cost[1],
            "opex_cost_amount": period_cost[2],
            "greedy_cost_amount": greedy_cost[0],
            "budget_used_ratio": _ratio(period_cost[0], budget),
            "capacity_hours": float(problem.limits[capacity].sum()),
            "effort_hours": float(used[capacity].sum()),
            "capacity_used_ratio": _ratio(float(used[capacity].sum()), float(problem.limits[capacity].sum())),
            "mip_gap_target": scenario.mip_gap,
            "time_limit_seconds": scenario.time_limit_seconds,
        }
        if period is None:
            chosen = result.slate.funded
            npv = float(items["npv_amount"][chosen].sum())
            exposure = float(items["risk_exposure_amount"][chosen].sum())
            gain = result.slate.objective - result.greedy.objective
            row.update(
                {
                    "description": scenario.description,
                    "objective": scenario.objective,
                    "status": result.slate.status,
                    "candidate_count": problem.size,
                    "funded_count": result.slate.count,
                    "greedy_funded_count": result.greedy.count,
                    "objective_value": result.slate.objective,
                    "greedy_objective_value": result.greedy.objective,
                    "objective_gain": gain,
                    "objective_gain_ratio": _ratio(gain, result.greedy.objective),
                    "mip_gap": result.slate.mip_gap,
                    "solve_seconds": result.slate.seconds,
                    "priority_score": float(items["priority_score"][chosen].astype(float).sum()),
                    "npv_amount": npv,
                    "risk_exposure_amount": exposure,
                    "risk_adjusted_npv_amount": npv - exposure,
                }
            )
        out.append(row)
    return out


def _cost_in(inputs, funded: np.ndarray, period) -> tuple[float, float, float]:  # noqa: ANN001
    """(total, capex, opex) cost of a slate in a period (None: the horizon), from its period costs."""
    costs = inputs.period_costs
    labels = [p.label for p in inputs.horizon.periods] if period is None else [period.label]
    capex = sum(float(costs[(label, "capex")][funded].sum()) for label in labels)
    opex = sum(float(costs[(label, "opex")][funded].sum()) for label in labels)
    return capex + opex, capex, opex


def _frontier(result: ScenarioResult) -> list[dict]:
    inputs, scenario = result.inputs, result.inputs.scenario
    base_budget = _horizon_budget(result)
    out = []
    for number, point in enumerate(result.frontier, start=1):
        ok = point.slate.status != INFEASIBLE
        out.append(
            {
                "scenario_name": scenario.name,
                "level_number": number,
                "budget_ratio": point.level,
                "is_scenario_budget": abs(point.level - 1.0) < 1e-9,
                "budget_amount": base_budget * point.level,
                "status": point.slate.status,
                "objective_value": point.slate.objective if ok else None,
                "funded_count": point.slate.count if ok else None,
                "cost_amount": float(inputs.items["cost_amount"][point.slate.funded].sum()) if ok else None,
                "mip_gap": point.slate.mip_gap if ok else None,
            }
        )
    return out


def _horizon_budget(result: ScenarioResult) -> float:
    problem, scenario = result.inputs.problem, result.inputs.scenario
    kinds = ("total",) if "total" in scenario.budget else ("capex", "opex")
    return float(
        sum(
            lim
            for lim, r in zip(problem.limits, problem.rows, strict=True)
            if r.kind == BUDGET and r.budget_kind in kinds
        )
    )


def _sensitivity(result: ScenarioResult) -> list[dict]:
    inputs, scenario = result.inputs, result.inputs.scenario
    out = []
    for change in result.sensitivities:
        common = {
            "scenario_name": scenario.name,
            "change_name": change.name,
            "budget_ratio": change.budget_factor,
            "capacity_ratio": change.capacity_factor,
            "base_objective_value": result.slate.objective,
            "change_objective_value": None if change.slate.status == INFEASIBLE else change.slate.objective,
        }
        if change.slate.status == INFEASIBLE:
            out.append({**common, "movement": "infeasible"})
            continue
        for movement, indices in (("enters", change.entering), ("leaves", change.leaving)):
            for k in indices:
                item = inputs.items.iloc[k]
                out.append(
                    {
                        **common,
                        "movement": movement,
                        "item_type": item["item_type"],
                        "item_id": item["item_id"],
                        "item_name": item["item_name"],
                        "portfolio_name": item["portfolio_name"],
                        "item_value": float(item["value"]),
                        "cost_amount": float(item["cost_amount"]),
                    }
                )
    return out
