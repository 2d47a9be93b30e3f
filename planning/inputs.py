"""From the warehouse's marts (as data frames) and a scenario to a selection problem.

Where every number comes from (docs/scenarios.md "Where the inputs come from"):

- **candidates**: the ranked items of `kpi_prioritization` (open and in-progress projects, open
  demands not yet converted; NULL-score items have no rank and are not candidates) that cost money
  or need hours inside the horizon, or that the scenario names;
- **cost per period** of a project: its `fct_cost_plan` months inside the horizon, capex and opex;
  of a demand: `estimated_cost_amount` spread evenly over its first `demands.duration_months`
  months from the horizon start, `demands.capex_share` of it capex;
- **effort** of a project: `fct_resource_allocation` hours (allocated and requested) inside the
  horizon, each ISO week spread over its Monday–Friday days, in the department of the person
  (`dim_resource`); of a demand: its monthly cost / a blended hourly rate, split over the
  departments in its portfolio's department mix (each department's share of the resource-plan
  hours on the portfolio's projects; the company's mix for a portfolio without any). The blended
  rate is the mix-weighted mean of the departments' rates, each the capacity-weighted mean
  `hourly_cost_rate_amount` of its active people;
- **capacity** of a department in a month: `kpi_capacity_utilization`'s rule (weekly capacity / 5
  × Monday–Friday days) applied to the months after the as-of month, which that mart does not have
  yet, for its people that are active, minus the committed (allocated) hours of projects that are
  not candidates; times `capacity.scale`, or replaced by `capacity.departments`;
- **value**: `priority_score`; or NPV (`kpi_project_scorecard.npv_amount`; for a demand, estimated
  benefit − estimated cost); or risk-adjusted NPV = NPV − `risk_exposure_amount` (0 for demands);
- **dependencies**: `Blocks` links (`fct_issue_dependency`) between two candidates' Jira projects
  whose blocking issue is not resolved, plus the file's own.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import sparse

from planning.portfolio import BUDGET, CAPACITY, Problem, ResourceRow, build_problem
from planning.scenario import Scenario

UNASSIGNED = "Unassigned"

# The columns each frame must have; the loader selects exactly these from the marts.
FRAME_COLUMNS: dict[str, tuple[str, ...]] = {
    "prioritization": ("item_type", "item_id", "item_name", "portfolio_name", "priority_score", "priority_rank"),
    "scorecard": ("project_id", "portfolio_name", "state", "npv_amount", "risk_exposure_amount"),
    "projects": ("project_id", "jira_project_key"),
    "cost_plan": ("project_id", "month_start_date", "expense_type", "planned_cost_amount"),
    "demands": ("demand_id", "estimated_cost_amount", "estimated_benefit_amount"),
    "allocations": ("project_id", "resource_id", "week_start_date", "allocated_hours", "requested_hours"),
    "people": ("resource_id", "department", "weekly_capacity_hours", "hourly_cost_rate_amount", "is_active"),
    "dependencies": (
        "link_type_name",
        "blocker_issue_key",
        "blocked_issue_key",
        "blocker_jira_project_key",
        "blocked_jira_project_key",
    ),
    "issues": ("issue_key", "is_resolved"),
}


@dataclass(frozen=True)
class WarehouseFrames:
    """The marts the planner reads, one frame each (columns: FRAME_COLUMNS), and the as-of date."""

    as_of: date
    prioritization: pd.DataFrame
    scorecard: pd.DataFrame
    projects: pd.DataFrame
    cost_plan: pd.DataFrame
    demands: pd.DataFrame
    allocations: pd.DataFrame
    people: pd.DataFrame
    dependencies: pd.DataFrame
    issues: pd.DataFrame


@dataclass(frozen=True)
class Period:
    label: str  # FY2027, FY2027 Q1
    start: date
    end: date  # first day of its last month

    def contains(self, month: date) -> bool:
        return self.start <= month <= self.end


@dataclass(frozen=True)
class Horizon:
    periods: tuple[Period, ...]

    @property
    def months(self) -> list[date]:
        return month_range(self.periods[0].start, self.periods[-1].end)

    @property
    def start(self) -> date:
        return self.periods[0].start

    @property
    def end(self) -> date:
        return self.periods[-1].end

    def period_of(self, month: date) -> Period | None:
        return next((p for p in self.periods if p.contains(month)), None)


@dataclass(frozen=True)
class PlanningInputs:
    """A scenario's problem, with what the marts show about each item and each row."""

    scenario: Scenario
    horizon: Horizon
    problem: Problem
    # one row per candidate, in problem order: item_type, item_id, item_name, portfolio_name,
    # priority_score, priority_rank, npv_amount, risk_exposure_amount, value, capex_cost_amount,
    # opex_cost_amount, cost_amount, effort_hours
    items: pd.DataFrame
    # per period: the cost of funding every candidate, by kind (what a percentage budget is of)
    full_cost: dict[tuple[str, str], float]
    # (period label, capex | opex | total) → each item's cost in that period, in problem order
    period_costs: dict[tuple[str, str], np.ndarray]
    # capacity rows' available hours before the scenario's scale (for the summary)
    capacity_hours: np.ndarray


# --- calendar ------------------------------------------------------------------------------------------


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    out, month = [], first
    while month <= last:
        out.append(month)
        month = add_months(month, 1)
    return out


def weekdays_in_month(month: date) -> int:
    days = calendar.monthrange(month.year, month.month)[1]
    return sum(1 for d in range(1, days + 1) if date(month.year, month.month, d).weekday() < 5)


def fiscal_year_of(month: date, start_month: int) -> int:
    """Fiscal year N runs from `start_month` of year N − 1 when it is later than 1 (docs/kpis.md "Months")."""
    return month.year + (1 if start_month > 1 and month.month >= start_month else 0)


def horizon_of(scenario: Scenario, as_of: date) -> Horizon:
    as_of_month = date(as_of.year, as_of.month, 1)
    fy_start = scenario.fiscal_year_start_month
    next_month = add_months(as_of_month, 1)
    fy_first = date(next_month.year, fy_start, 1)
    if fy_first < next_month:
        fy_first = date(next_month.year + 1, fy_start, 1)
    if isinstance(scenario.start, date):
        start = scenario.start
        if start <= as_of_month:
            raise scenario.fail(
                f"horizon.start: {start:%Y-%m} is not after the as-of month {as_of_month:%Y-%m}; "
                "the horizon plans what is still to come"
            )
    elif scenario.start == "next_month":
        start = next_month
    elif scenario.start == "next_quarter":
        start = next(m for m in month_range(next_month, add_months(next_month, 3)) if (m.month - fy_start) % 3 == 0)
    else:  # next_fiscal_year: the first fiscal year that starts after the as-of month
        start = fy_first
    length = 12 if scenario.period == "fiscal_year" else 3
    periods = []
    for k in range(scenario.period_count):
        first = add_months(start, k * length)
        last = add_months(first, length - 1)
        fy = fiscal_year_of(last, fy_start) if fy_start > 1 else last.year
        label = f"FY{fy}"
        if scenario.period == "quarter":
            quarter = ((first.month - fy_start) % 12) // 3 + 1
            label = f"FY{fiscal_year_of(first, fy_start) if fy_start > 1 else first.year} Q{quarter}"
        periods.append(Period(label, first, last))
    if scenario.period == "fiscal_year" and (start.month - fy_start) % 12 != 0:
        # a year that does not start on the fiscal year's first month is named by its months
        periods = [Period(f"{p.start:%Y-%m}..{p.end:%Y-%m}", p.start, p.end) for p in periods]
    return Horizon(tuple(periods))


# --- building the problem ------------------------------------------------------------------------------


def build_inputs(frames: WarehouseFrames, scenario: Scenario) -> PlanningInputs:
    """The scenario's selection problem over the warehouse's candidates; ScenarioError names what is wrong."""
    horizon = horizon_of(scenario, frames.as_of)
    months = horizon.months
    month_index = {m: k for k, m in enumerate(months)}
    people = _people(frames.people)
    department_of = dict(zip(people["resource_id"], people["department"], strict=True))

    ranked = frames.prioritization[frames.prioritization["priority_score"].notna()].copy()
    ranked = ranked.sort_values(["item_type", "item_id"]).reset_index(drop=True)
    candidate_projects = set(ranked.loc[ranked["item_type"] == "project", "item_id"])

    # money: item × month × (capex, opex)
    costs = _project_costs(frames.cost_plan, candidate_projects, month_index)
    effort = _project_effort(frames.allocations, candidate_projects, department_of, month_index)
    mixes = _department_mixes(frames, department_of)
    rates = _blended_rates(people)
    fallback_rate = float(np.mean(list(rates.values()))) if rates else 0.0
    demands = frames.demands.drop_duplicates("demand_id").set_index("demand_id")
    span = min(scenario.demand_duration_months, len(months))
    for row in ranked[ranked["item_type"] == "demand"].itertuples():
        estimate = _number(demands["estimated_cost_amount"].get(row.item_id))
        if estimate <= 0:
            continue
        per_month = estimate / scenario.demand_duration_months
        mix = mixes.get(row.portfolio_name) or mixes.get(None) or {_largest_department(people): 1.0}
        rate = sum(share * rates.get(d, fallback_rate) for d, share in mix.items())
        for k in range(span):
            costs[(row.item_id, k, "capex")] = (
                costs.get((row.item_id, k, "capex"), 0.0) + per_month * scenario.demand_capex_share
            )
            costs[(row.item_id, k, "opex")] = costs.get((row.item_id, k, "opex"), 0.0) + per_month * (
                1 - scenario.demand_capex_share
            )
            if rate > 0:
                for department, share in mix.items():
                    key = (row.item_id, department, k)
                    effort[key] = effort.get(key, 0.0) + per_month / rate * share

    named = set(scenario.mandatory) | set(scenario.excluded) | set(scenario.dependencies)
    named |= {j for js in scenario.dependencies.values() for j in js} | {
        i for ids in scenario.themes.values() for i in ids
    }
    active_items = {key[0] for key, v in costs.items() if v > 0} | {key[0] for key, v in effort.items() if v > 0}
    candidates = ranked[ranked["item_id"].isin(active_items | named)].reset_index(drop=True)
    ids = list(candidates["item_id"])
    index = {item: i for i, item in enumerate(ids)}
    _check_named(scenario, index, ranked, horizon)

    values, npv, exposure = _values(candidates, frames, scenario)
    n = len(ids)

    # budget rows
    period_of_month = [horizon.period_of(m) for m in months]
    period_index = {p.label: k for k, p in enumerate(horizon.periods)}
    by_kind = {kind: np.zeros((len(horizon.periods), n)) for kind in ("capex", "opex")}
    for (item, k, kind), amount in costs.items():
        if item in index:
            by_kind[kind][period_index[period_of_month[k].label], index[item]] += amount
    by_kind["total"] = by_kind["capex"] + by_kind["opex"]
    rows: list[ResourceRow] = []
    usage_blocks: list[np.ndarray] = []
    limits: list[float] = []
    full_cost: dict[tuple[str, str], float] = {}
    not_excluded = ~candidates["item_id"].isin(scenario.excluded).to_numpy()
    # period by period (then kind), so the first row that overruns is the earliest period's
    for p, period in enumerate(horizon.periods):
        for kind, amounts in scenario.budget.items():
            full = float(by_kind[kind][p, not_excluded].sum())
            full_cost[(period.label, kind)] = full
            rows.append(ResourceRow(BUDGET, period=period.label, budget_kind=kind))
            usage_blocks.append(by_kind[kind][p])
            limits.append(amounts[p].resolve(full))

    # capacity rows: every department × month some candidate needs hours in
    available = _available_capacity(frames, people, candidate_projects, department_of, months, month_index)
    needed = sorted({(d, k) for (item, d, k), h in effort.items() if item in index and h > 0})
    cap_index = {key: r for r, key in enumerate(needed)}
    entries_r, entries_c, entries_v = [], [], []
    for (item, d, k), hours in effort.items():
        if item in index and hours > 0:
            entries_r.append(cap_index[(d, k)])
            entries_c.append(index[item])
            entries_v.append(hours)
    capacity_usage = sparse.csr_matrix((entries_v, (entries_r, entries_c)), shape=(len(needed), n))
    unknown = sorted(set(scenario.capacity_overrides) - {d for d, _ in needed} - set(people["department"]))
    if unknown:
        raise scenario.fail(f"capacity.departments: {unknown[0]!r} is not a department of the warehouse")
    capacity_hours = np.array([scenario.capacity_overrides.get(d, available.get((d, k), 0.0)) for d, k in needed])
    for d, k in needed:
        rows.append(ResourceRow(CAPACITY, period=period_of_month[k].label, department=d, month=months[k]))
    budget_usage = sparse.csr_matrix(np.vstack(usage_blocks)) if usage_blocks else sparse.csr_matrix((0, n))
    usage = sparse.vstack([budget_usage, capacity_usage]).tocsr()
    limits_all = np.r_[np.array(limits), capacity_hours * scenario.capacity_scale]

    # rules
    requires = _warehouse_dependencies(frames, index) | {
        (item, other) for item, others in scenario.dependencies.items() for other in others
    }
    horizon_cost = by_kind["total"].sum(axis=0)
    budget_total = _budget_total(limits, rows[: len(limits)])
    shares = []
    for rule in scenario.minimum_shares:
        if rule.group_kind == "portfolio":
            members = list(candidates.loc[candidates["portfolio_name"] == rule.group, "item_id"])
            if not members:
                known = ", ".join(sorted(candidates["portfolio_name"].unique()))
                raise scenario.fail(f"minimum_shares: portfolio {rule.group!r} has no candidate (portfolios: {known})")
        else:
            members = [i for i in scenario.themes[rule.group] if i in index]
        shares.append((rule.label, members, rule.share * budget_total, rule.share))
    order = _rank_order(candidates, values)
    problem = build_problem(
        ids,
        values,
        usage,
        limits_all,
        rows,
        mandatory=scenario.mandatory,
        excluded=scenario.excluded,
        requires=sorted(requires),
        shares=shares,
        rank_order=[ids[i] for i in order],
        share_weights=horizon_cost,
    )
    effort_hours = np.asarray(capacity_usage.sum(axis=0)).ravel()
    items = candidates[
        ["item_type", "item_id", "item_name", "portfolio_name", "priority_score", "priority_rank"]
    ].copy()
    items["npv_amount"] = npv
    items["risk_exposure_amount"] = exposure
    items["value"] = values
    items["capex_cost_amount"] = by_kind["capex"].sum(axis=0)
    items["opex_cost_amount"] = by_kind["opex"].sum(axis=0)
    items["cost_amount"] = horizon_cost
    items["effort_hours"] = effort_hours
    period_costs = {
        (period.label, kind): by_kind[kind][p]
        for p, period in enumerate(horizon.periods)
        for kind in ("capex", "opex", "total")
    }
    return PlanningInputs(
        scenario, horizon, problem, items, full_cost, period_costs, np.r_[np.array(limits), capacity_hours]
    )


def _people(people: pd.DataFrame) -> pd.DataFrame:
    out = people.copy()
    out["department"] = out["department"].fillna(UNASSIGNED).astype(str)
    for column in ("weekly_capacity_hours", "hourly_cost_rate_amount"):
        out[column] = pd.to_numeric(out[column], errors="coerce").astype(float)
    out["is_active"] = out["is_active"].fillna(False).astype(bool)
    return out.drop_duplicates("resource_id")


def _month_start(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.to_period("M").dt.start_time.dt.date


def _project_costs(cost_plan: pd.DataFrame, projects: set[str], month_index: dict[date, int]) -> dict:
    plan = cost_plan[cost_plan["project_id"].isin(projects)].copy()
    plan["month"] = _month_start(plan["month_start_date"])
    plan = plan[plan["month"].isin(month_index)]
    plan["kind"] = np.where(plan["expense_type"].astype(str).str.lower() == "capex", "capex", "opex")
    plan["amount"] = pd.to_numeric(plan["planned_cost_amount"], errors="coerce").fillna(0.0).astype(float)
    grouped = plan.groupby(["project_id", "month", "kind"])["amount"].sum()
    return {(item, month_index[m], kind): float(v) for (item, m, kind), v in grouped.items()}


def _week_to_months(allocations: pd.DataFrame, hours_column: str, month_index: dict[date, int]) -> pd.DataFrame:
    """Each ISO week's hours spread evenly over its Monday–Friday days, then summed per month."""
    weeks = allocations.copy()
    weeks["week"] = pd.to_datetime(weeks["week_start_date"])
    weeks["hours"] = pd.to_numeric(weeks[hours_column], errors="coerce").fillna(0.0).astype(float)
    weeks = weeks[weeks["hours"] != 0]
    parts = []
    for offset in range(5):
        day = weeks[["project_id", "resource_id", "hours"]].copy()
        day["month"] = (weeks["week"] + pd.Timedelta(days=offset)).dt.to_period("M").dt.start_time.dt.date
        day["hours"] = day["hours"] / 5
        parts.append(day)
    spread = pd.concat(parts, ignore_index=True) if parts else weeks
    return spread[spread["month"].isin(month_index)]


def _project_effort(
    allocations: pd.DataFrame, projects: set[str], department_of: dict[str, str], month_index: dict[date, int]
) -> dict:
    rows = allocations[allocations["project_id"].isin(projects)].copy()
    rows["planned"] = pd.to_numeric(rows["allocated_hours"], errors="coerce").fillna(0.0) + pd.to_numeric(
        rows["requested_hours"], errors="coerce"
    ).fillna(0.0)
    spread = _week_to_months(rows, "planned", month_index)
    spread["department"] = spread["resource_id"].map(department_of).fillna(UNASSIGNED)
    grouped = spread.groupby(["project_id", "department", "month"])["hours"].sum()
    return {(item, d, month_index[m]): float(h) for (item, d, m), h in grouped.items()}


def _available_capacity(
    frames: WarehouseFrames,
    people: pd.DataFrame,
    candidates: set[str],
    department_of: dict[str, str],
    months: list[date],
    month_index: dict[date, int],
) -> dict:
    """Department × month: active people's weekly capacity / 5 × weekdays, minus committed hours."""
    active = people[people["is_active"]]
    weekly = active.groupby("department")["weekly_capacity_hours"].sum()
    capacity = {(d, k): float(w) / 5 * weekdays_in_month(m) for d, w in weekly.items() for k, m in enumerate(months)}
    committed_rows = frames.allocations[~frames.allocations["project_id"].isin(candidates)]
    spread = _week_to_months(committed_rows, "allocated_hours", month_index)
    spread["department"] = spread["resource_id"].map(department_of).fillna(UNASSIGNED)
    for (d, m), hours in spread.groupby(["department", "month"])["hours"].sum().items():
        key = (d, month_index[m])
        capacity[key] = capacity.get(key, 0.0) - float(hours)
    return {key: max(0.0, hours) for key, hours in capacity.items()}


def _department_mixes(frames: WarehouseFrames, department_of: dict[str, str]) -> dict[str | None, dict[str, float]]:
    """Portfolio → each department's share of the resource-plan hours on the portfolio's projects.

    The key None holds the whole company's mix, for a portfolio whose projects plan no hours.
    """
    portfolio_of = dict(
        zip(frames.scorecard["project_id"], frames.scorecard["portfolio_name"].fillna("Unknown"), strict=False)
    )
    hours = frames.allocations.copy()
    hours["portfolio"] = hours["project_id"].map(portfolio_of)
    hours["department"] = hours["resource_id"].map(department_of).fillna(UNASSIGNED)
    hours["hours"] = pd.to_numeric(hours["allocated_hours"], errors="coerce").fillna(0.0) + pd.to_numeric(
        hours["requested_hours"], errors="coerce"
    ).fillna(0.0)
    mixes: dict[str | None, dict[str, float]] = {}
    for portfolio, group in hours.dropna(subset=["portfolio"]).groupby("portfolio"):
        by_department = group.groupby("department")["hours"].sum()
        if by_department.sum() > 0:
            mixes[str(portfolio)] = {str(d): float(h / by_department.sum()) for d, h in by_department.items() if h > 0}
    company = hours.groupby("department")["hours"].sum()
    if company.sum() > 0:
        mixes[None] = {str(d): float(h / company.sum()) for d, h in company.items() if h > 0}
    return mixes


def _largest_department(people: pd.DataFrame) -> str:
    weekly = people[people["is_active"]].groupby("department")["weekly_capacity_hours"].sum()
    return str(weekly.sort_values(ascending=False).index[0]) if len(weekly) else UNASSIGNED


def _blended_rates(people: pd.DataFrame) -> dict[str, float]:
    """Department → capacity-weighted mean hourly cost rate of its active people."""
    active = people[people["is_active"] & people["hourly_cost_rate_amount"].notna()]
    weighted = (active["hourly_cost_rate_amount"] * active["weekly_capacity_hours"]).groupby(active["department"]).sum()
    weights = active.groupby("department")["weekly_capacity_hours"].sum()
    return {str(d): float(weighted[d] / weights[d]) for d in weights.index if weights[d] > 0}


def _values(candidates: pd.DataFrame, frames: WarehouseFrames, scenario: Scenario) -> tuple[np.ndarray, ...]:
    scorecard = frames.scorecard.drop_duplicates("project_id").set_index("project_id")
    demands = frames.demands.drop_duplicates("demand_id").set_index("demand_id")
    npv = np.zeros(len(candidates))
    exposure = np.zeros(len(candidates))
    for k, row in enumerate(candidates.itertuples()):
        if row.item_type == "project" and row.item_id in scorecard.index:
            npv[k] = _number(scorecard.at[row.item_id, "npv_amount"])
            exposure[k] = _number(scorecard.at[row.item_id, "risk_exposure_amount"])
        elif row.item_type == "demand" and row.item_id in demands.index:
            npv[k] = _number(demands.at[row.item_id, "estimated_benefit_amount"]) - _number(
                demands.at[row.item_id, "estimated_cost_amount"]
            )
    if scenario.objective == "priority_score":
        values = candidates["priority_score"].astype(float).to_numpy()
    elif scenario.objective == "npv":
        values = npv.copy()
    else:
        values = npv - exposure
    return values, npv, exposure


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if np.isnan(number) else number


def _rank_order(candidates: pd.DataFrame, values: np.ndarray) -> list[int]:
    """The ranked list greedy walks: by the objective's value, then priority score, then id."""
    frame = pd.DataFrame(
        {
            "value": values,
            "score": candidates["priority_score"].astype(float),
            "id": candidates["item_id"],
            "k": range(len(candidates)),
        }
    )
    return list(frame.sort_values(["value", "score", "id"], ascending=[False, False, True])["k"])


def _warehouse_dependencies(frames: WarehouseFrames, index: dict[str, int]) -> set[tuple[str, str]]:
    """(blocked project, blocking project) of unresolved cross-project Blocks links between candidates."""
    links = frames.dependencies[frames.dependencies["link_type_name"].astype(str) == "Blocks"]
    resolved = set(frames.issues.loc[frames.issues["is_resolved"].fillna(False).astype(bool), "issue_key"])
    links = links[~links["blocker_issue_key"].isin(resolved)]
    projects = frames.projects.dropna(subset=["jira_project_key"])
    project_of = dict(zip(projects["jira_project_key"], projects["project_id"], strict=False))
    out = set()
    for blocked_key, blocker_key in zip(
        links["blocked_jira_project_key"], links["blocker_jira_project_key"], strict=True
    ):
        blocked, blocker = project_of.get(blocked_key), project_of.get(blocker_key)
        if blocked and blocker and blocked != blocker and blocked in index and blocker in index:
            out.add((blocked, blocker))
    return out


def _budget_total(limits: Sequence[float], rows: Sequence[ResourceRow]) -> float:
    """The horizon's budget a minimum share is of: the total rows, else capex + opex."""
    totals = [lim for lim, r in zip(limits, rows, strict=True) if r.budget_kind == "total"]
    if totals:
        return float(sum(totals))
    return float(sum(lim for lim, r in zip(limits, rows, strict=True) if r.kind == BUDGET))


def _check_named(scenario: Scenario, index: dict[str, int], ranked: pd.DataFrame, horizon: Horizon) -> None:
    ranked_ids = set(ranked["item_id"])
    fields: list[tuple[str, Sequence[str]]] = [("mandatory", scenario.mandatory), ("excluded", scenario.excluded)]
    fields += [(f"dependencies.{item}", (item, *others)) for item, others in scenario.dependencies.items()]
    fields += [(f"themes.{theme}", members) for theme, members in scenario.themes.items()]
    for field_name, ids in fields:
        for item in ids:
            if item not in ranked_ids:
                raise scenario.fail(
                    f"{field_name}: {item} is not a candidate: not a ranked item of kpi_prioritization "
                    "(an open or in-progress project, or an open demand, with a priority score)"
                )
            if item not in index:  # pragma: no cover - named items are always kept
                raise scenario.fail(
                    f"{field_name}: {item} has no cost or effort in {horizon.start:%Y-%m}..{horizon.end:%Y-%m}"
                )
