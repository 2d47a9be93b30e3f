"""The KPI oracle: docs/kpis.md recomputed from the simulated world's own records.

This module is deliberately independent of the warehouse. It reads the world file (SQLite) that the
simulators serve from, never our raw landing, staging or dbt models, and it was written from
``docs/kpis.md`` and ``docs/contract.md`` alone, without reading the dbt SQL. It does not
even import the simulator package: the world file's shape (``simulators/world/store.py``) is the only thing
it shares with the code under test.

Layout:

- small pure functions (``ratio``, ``weekdays_between``, ``spread_plan_hours``, ``earned_value``,
  ``npv``, ``payback_months``, ``quantile_cont``, ``status_at`` …) that the unit tests pin down on
  hand-made values;
- ``load_world(path)``: every ServiceNow table as a DataFrame of its (string) body fields, the Jira
  issues and status changes, and the finance truth;
- ``build_facts(world, kpi_vars)``: the dated facts every KPI sums (GL lines in reporting currency,
  planned cost and monetary benefit by month, the latest forecast, counted hours by day, allocation
  by month, risks, status reports), each cut at ``as_of`` the way docs/kpis.md says;
- one function per mart: ``project_scorecard``, ``portfolio_summary``, ``capacity_utilization``,
  ``delivery_flow``. Each returns a DataFrame whose columns carry the mart's column names; missing
  values are ``None`` (a ratio with a zero or missing denominator, an unknown date).

Where docs/kpis.md leaves room, the reading taken is written next to the code as ``Reading:``; the
module docstring of ``tests/warehouse/test_kpis_match_oracle.py`` lists them all.
"""

from __future__ import annotations

import json
import math
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

# --------------------------------------------------------------------------------------------
# Code tables (docs/contract.md §3.3, docs/kpis.md)
# --------------------------------------------------------------------------------------------

PROJECT_STATE_LABELS: dict[str, str] = {
    "-5": "pending",
    "1": "open",
    "2": "work in progress",
    "3": "closed complete",
    "4": "closed incomplete",
    "7": "closed skipped",
}
PENDING = "-5"
CLOSED_COMPLETE = "3"
RANKED_PROJECT_STATES = frozenset({"1", "2"})  # open, work in progress
HEALTH_LABELS: dict[str, str] = {"green": "green", "yellow": "amber", "red": "red"}
RISK_PROBABILITY: dict[str, float] = {"1": 0.9, "2": 0.7, "3": 0.5, "4": 0.3, "5": 0.1}
CLOSED_RISK_STATES = frozenset({"closed", "retired"})
COUNTED_TIME_CARD_STATES = frozenset({"approved", "processed"})
COUNTED_PLAN_STATES = frozenset({"confirmed", "allocated", "completed"})
OPEN_DEMAND_STATES = frozenset({"submitted", "screening", "qualified"})
PRIORITY_WEIGHTS: dict[str, float] = {
    "u_strategic_alignment": 0.4,
    "u_business_value": 0.3,
    "u_time_criticality": 0.2,
    "u_risk_reduction": 0.1,
}
DAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
IN_PROGRESS = "indeterminate"
DONE = "done"
MS_PER_DAY = 86_400_000


@dataclass(frozen=True)
class KpiVars:
    """The dbt vars the KPIs depend on, with docs/kpis.md's defaults."""

    as_of: date
    reporting_currency: str = "USD"
    on_time_tolerance_days: int = 0
    discount_rate: float = 0.08
    fiscal_year_start_month: int = 1

    def __post_init__(self) -> None:
        if self.fiscal_year_start_month != 1:
            # Reading: docs/kpis.md says "fiscal year = calendar year unless ..." but not how a shifted
            # fiscal year is labelled; the oracle only covers the default.
            raise NotImplementedError("the oracle covers fiscal_year_start_month = 1 only")

    @property
    def as_of_month(self) -> date:
        return month_start(self.as_of)


# --------------------------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------------------------


def is_missing(value: Any) -> bool:
    """None, NaN, pandas NA/NaT."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``; None when the denominator is 0 or either side is missing."""
    if is_missing(numerator) or is_missing(denominator) or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def minus(left: float | None, right: float | None) -> float | None:
    """``left - right``; None when either side is missing (SQL null arithmetic)."""
    if is_missing(left) or is_missing(right):
        return None
    return float(left) - float(right)


def total(values: Iterable[float | None]) -> float:
    """SQL ``coalesce(sum(x), 0)``: missing values are skipped, a sum over nothing is 0."""
    return float(sum(float(v) for v in values if not is_missing(v)))


def parse_date(text: str | None) -> date | None:
    """The date of a glide_date / glide_date_time / ISO string; None for ``""``."""
    if text is None or is_missing(text) or str(text).strip() == "":
        return None
    return date.fromisoformat(str(text).strip()[:10])


def parse_number(text: str | None) -> float | None:
    """A ServiceNow decimal string (``.`` decimal point); None for ``""``."""
    if text is None or is_missing(text) or str(text).strip() == "":
        return None
    return float(str(text).strip())


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def months_from_to(first: date, last: date) -> list[date]:
    """First days of every month from the month of ``first`` through the month of ``last``."""
    out: list[date] = []
    current = month_start(first)
    while current <= last:
        out.append(current)
        current = add_months(current, 1)
    return out


def month_difference(first: date, later: date) -> int:
    """Whole months from the month of ``first`` to the month of ``later``."""
    return (later.year - first.year) * 12 + later.month - first.month


def weekdays_between(first: date, last: date) -> int:
    """Mon–Fri days from ``first`` through ``last`` inclusive; 0 when ``last`` < ``first``."""
    if last < first:
        return 0
    # Whole weeks first, then the rest day by day: clear enough, and fast for any range.
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    day = first + timedelta(days=weeks * 7)
    for offset in range(rest):
        if (day + timedelta(days=offset)).weekday() < 5:
            count += 1
    return count


def iso_week_start(day: date) -> date:
    """The Monday of the ISO week of ``day``."""
    return day - timedelta(days=day.weekday())


def gl_month(fiscal_year: int, fiscal_period: int) -> date:
    """The month a GL line belongs to (fiscal year = calendar year, period 1–12)."""
    if not 1 <= int(fiscal_period) <= 12:
        raise ValueError(f"fiscal_period {fiscal_period} is not a month of a calendar fiscal year")
    return date(int(fiscal_year), int(fiscal_period), 1)


def epoch_ms_of_day(day: date) -> int:
    """Epoch milliseconds of midnight UTC at the start of ``day``."""
    return int(datetime.combine(day, time(0), tzinfo=UTC).timestamp() * 1000)


def spread_plan_hours(start: date, end: date, planned_hours: float, through: date | None = None) -> dict[date, float]:
    """A resource plan's hours by month: spread evenly over the Mon–Fri days from start to end.

    With ``through``, only the hours of days up to it are counted (the per-day share stays the
    whole plan's). A plan with no weekday in its range allocates nothing (there is no day to put
    the hours on).
    """
    days = weekdays_between(start, end)
    if days == 0:
        return {}
    per_day = planned_hours / days
    last = end if through is None else min(end, through)
    out: dict[date, float] = {}
    for month in months_from_to(start, end):
        in_month = weekdays_between(max(start, month), min(last, month_end(month)))
        if in_month:
            out[month] = per_day * in_month
    return out


def counted_month_end(month: date, as_of: date) -> date:
    """docs/kpis.md "To date": the as-of month counts through ``as_of``, every other month to its end."""
    return as_of if month == month_start(as_of) else month_end(month)


def to_date_share(month: date, as_of: date) -> float:
    """The share of a month's plan that counts to date: day(as_of) / days in the month for the
    as-of month, 1 for every other month."""
    if month != month_start(as_of):
        return 1.0
    return as_of.day / month_end(as_of).day


def capacity_hours(weekly_capacity_hours: float | None, month: date, as_of: date | None = None) -> float | None:
    """``u_weekly_capacity_hours / 5 × Mon–Fri days of the month`` (through ``as_of`` in the
    as-of month, docs/kpis.md "To date")."""
    if is_missing(weekly_capacity_hours):
        return None
    last = month_end(month) if as_of is None else counted_month_end(month, as_of)
    return weekly_capacity_hours / 5 * weekdays_between(month, last)


def risk_exposure(probability_code: str | None, estimated_cost: float | None) -> float | None:
    """``probability × estimated_cost`` with the seed's code → probability map; None if unknown."""
    probability = RISK_PROBABILITY.get(str(probability_code).strip()) if probability_code else None
    if probability is None or is_missing(estimated_cost):
        return None
    return probability * float(estimated_cost)


def quantile_cont(values: Sequence[float], q: float) -> float | None:
    """DuckDB ``quantile_cont``: linear interpolation between the closest ranks; None if empty."""
    ordered = sorted(float(v) for v in values if not is_missing(v))
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    lower = math.floor(position)
    upper = math.ceil(position)
    if lower == upper:
        return ordered[lower]
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def earned_value(bac: float, pv: float, ac: float, percent_complete: float | None) -> dict[str, float | None]:
    """The EVM block of docs/kpis.md "Earned value" from its four inputs."""
    ev = None if is_missing(percent_complete) else float(percent_complete) / 100 * bac
    cpi = ratio(ev, ac)
    spi = ratio(ev, pv)
    eac = ratio(bac, cpi)
    return {
        "bac_amount": bac,
        "pv_amount": pv,
        "ev_amount": ev,
        "ac_amount": ac,
        "cv_amount": minus(ev, ac),
        "sv_amount": minus(ev, pv),
        "cpi": cpi,
        "spi": spi,
        "eac_amount": eac,
        "etc_amount": minus(eac, ac),
        "vac_amount": minus(bac, eac),
        "tcpi": ratio(minus(bac, ev), minus(bac, ac)),
    }


def npv(
    cost_by_month: Mapping[date, float],
    benefit_by_month: Mapping[date, float],
    start_year: int | None,
    discount_rate: float,
) -> float | None:
    """Σ over fiscal years t = 0, 1, … from the planned start year of (benefit − cost)ₜ / (1+r)ᵗ.

    Reading: "Years before the start year do not occur" is taken to mean t never goes negative:
    plan months before the start year are left out of the sum. No planned start date → None.
    """
    if start_year is None:
        return None
    by_year: dict[int, float] = defaultdict(float)
    for month, cost in cost_by_month.items():
        by_year[month.year] -= cost
    for month, benefit in benefit_by_month.items():
        by_year[month.year] += benefit
    return total(
        net / (1 + discount_rate) ** (year - start_year) for year, net in by_year.items() if year >= start_year
    )


def payback_months(cost_by_month: Mapping[date, float], benefit_by_month: Mapping[date, float]) -> int | None:
    """M − F: F = first month with (non-zero) planned cost, M = first month, from F on, in which
    cumulative planned benefit ≥ cumulative planned cost. None if there is no cost or never."""
    cost_months = sorted(m for m, c in cost_by_month.items() if c != 0)
    if not cost_months:
        return None
    first = cost_months[0]
    cumulative_cost = cumulative_benefit = 0.0
    for month in sorted(set(cost_by_month) | set(benefit_by_month)):
        cumulative_cost += cost_by_month.get(month, 0.0)
        cumulative_benefit += benefit_by_month.get(month, 0.0)
        if month >= first and cumulative_benefit >= cumulative_cost:
            return month_difference(first, month)
    return None


def latest_forecast_version(versions: Iterable[str], as_of_month: date) -> str | None:
    """The greatest ``YYYY-MM`` label not after the as-of month, across all files."""
    label = f"{as_of_month.year:04d}-{as_of_month.month:02d}"
    eligible = [v for v in set(versions) if v and v <= label]
    return max(eligible) if eligible else None


def is_active_at(state_code: str, work_start: date | None, work_end: date | None, day: date) -> bool:
    """Active at ``day``: started on or before it, not ended by it, and not pending."""
    if state_code == PENDING or work_start is None or work_start > day:
        return False
    return work_end is None or work_end > day


def is_on_time(state_code: str, work_end: date | None, baseline_end: date | None, tolerance_days: int) -> bool | None:
    """NULL unless closed complete; dates compared, not timestamps."""
    if state_code != CLOSED_COMPLETE or work_end is None or baseline_end is None:
        return None
    return work_end <= baseline_end + timedelta(days=tolerance_days)


def status_at(current_status: str, changes: Sequence[tuple[int, str, str]], moment_ms: int) -> str:
    """An issue's status id just before ``moment_ms`` from its status changes.

    ``changes`` = (created_ms, from_status_id, to_status_id), in the order they happened. The last
    change before the moment wins; before the first change the issue had the first change's
    ``from``; an issue that never changed has its current status.
    """
    before = [c for c in changes if c[0] < moment_ms]
    if before:
        return before[-1][2]
    if changes:
        return changes[0][1]
    return current_status


def first_in_progress_ms(changes: Sequence[tuple[int, str, str]], category_of: Mapping[str, str]) -> int | None:
    """When the issue first moved into a status whose category is In Progress."""
    for created_ms, _from, to in changes:
        if category_of.get(str(to)) == IN_PROGRESS:
            return created_ms
    return None


def dense_rank_descending(scores: Mapping[str, float | None]) -> dict[str, int | None]:
    """Dense rank of score, highest first (scores equal to 1e-9 share a rank); None stays None."""
    distinct = sorted({round(s, 9) for s in scores.values() if not is_missing(s)}, reverse=True)
    rank_of = {s: i + 1 for i, s in enumerate(distinct)}
    return {k: (None if is_missing(s) else rank_of[round(s, 9)]) for k, s in scores.items()}


def min_max_normalise(values: Mapping[str, float | None]) -> dict[str, float | None]:
    """Min-max to 0–1 over the given items; where max = min every value is 1."""
    present = [v for v in values.values() if not is_missing(v)]
    if not present:
        return {k: None for k in values}
    low, high = min(present), max(present)
    return {k: None if is_missing(v) else (1.0 if high == low else (v - low) / (high - low)) for k, v in values.items()}


# --------------------------------------------------------------------------------------------
# Loading the world file
# --------------------------------------------------------------------------------------------


@dataclass
class WorldFrames:
    """The world's records as DataFrames (ServiceNow values kept as the strings the API sends)."""

    meta: dict[str, str]
    servicenow: dict[str, pd.DataFrame]
    jira_projects: pd.DataFrame  # jira_project_key, jira_project_id, name
    jira_issues: pd.DataFrame  # issue_id, key, jira_project_key, created_ms, resolution_ms, status_id, issuelinks
    jira_status_changes: pd.DataFrame  # issue_id, history_id, created_ms, from_status, to_status
    jira_status_category: dict[str, str]  # status id -> new | indeterminate | done
    gl: pd.DataFrame  # fin_gl_line (amount still a string)
    forecast: pd.DataFrame  # fin_forecast
    fx: pd.DataFrame  # fin_fx_rate

    def table(self, name: str, *fields: str) -> pd.DataFrame:
        """A ServiceNow table; ``fields`` absent from every body are added as ``""``."""
        frame = self.servicenow.get(name)
        if frame is None:
            frame = pd.DataFrame(
                {c: pd.Series([], dtype=object) for c in ("sys_id", "sys_created_on", "sys_updated_on")}
            )
        missing = [f for f in fields if f not in frame.columns]
        if missing:
            frame = frame.assign(**{f: "" for f in missing})
        return frame

    @property
    def anchor(self) -> date:
        return date.fromisoformat(self.meta["anchor"][:10])

    @property
    def reporting_currency(self) -> str:
        return self.meta.get("reporting_currency", "USD")


def load_world(path: Path | str) -> WorldFrames:
    """Read a world file (read-only) into DataFrames."""
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        meta = dict(conn.execute("select key, value from meta").fetchall())
        bodies: dict[str, list[dict[str, str]]] = defaultdict(list)
        for tbl, body in conn.execute("select tbl, body from sn_record order by tbl, sys_id"):
            bodies[tbl].append(json.loads(body))
        servicenow = {tbl: pd.DataFrame.from_records(rows).fillna("").astype(object) for tbl, rows in bodies.items()}

        jira_projects = pd.DataFrame.from_records(
            [
                {"jira_project_key": key, "jira_project_id": pid, "name": json.loads(body).get("name", "")}
                for pid, key, body in conn.execute("select id, key, body from jira_project order by key")
            ],
            columns=["jira_project_key", "jira_project_id", "name"],
        )

        issue_rows = []
        for issue_id, key, project_key, created_ms, body in conn.execute(
            "select id, key, project_key, created_ms, body from jira_issue order by id"
        ):
            fields = json.loads(body).get("fields", {})
            status = fields.get("status") or {}
            resolution = fields.get("resolutiondate")
            issue_rows.append(
                {
                    "issue_id": int(issue_id),
                    "key": key,
                    "jira_project_key": project_key,
                    "created_ms": int(fields.get("created") or created_ms),
                    "resolution_ms": None if resolution in (None, "") else int(resolution),
                    "status_id": str(status.get("id", "")),
                    "status_category": ((status.get("statusCategory") or {}).get("key") or ""),
                    "issuelinks": fields.get("issuelinks") or [],
                }
            )
        jira_issues = pd.DataFrame.from_records(
            issue_rows,
            columns=[
                "issue_id",
                "key",
                "jira_project_key",
                "created_ms",
                "resolution_ms",
                "status_id",
                "status_category",
                "issuelinks",
            ],
        )

        change_rows = []
        for history_id, issue_id, created_ms, body in conn.execute(
            "select id, issue_id, created_ms, body from jira_changelog order by issue_id, created_ms, id"
        ):
            history = json.loads(body)
            for item in history.get("items", []):
                if (item.get("fieldId") or item.get("field")) != "status":
                    continue
                change_rows.append(
                    {
                        "issue_id": int(issue_id),
                        "history_id": int(history_id),
                        "created_ms": int(history.get("created") or created_ms),
                        "from_status": str(item.get("from") or ""),
                        "to_status": str(item.get("to") or ""),
                    }
                )
        jira_status_changes = pd.DataFrame.from_records(
            change_rows, columns=["issue_id", "history_id", "created_ms", "from_status", "to_status"]
        )

        category: dict[str, str] = {}
        row = conn.execute("select body from jira_static where name = 'statuses'").fetchone()
        if row:
            for status in json.loads(row[0]):
                category[str(status["id"])] = (status.get("statusCategory") or {}).get("key", "")
        # Issues carry their current status with its category too: fill any gap from them.
        for status_id, status_category in zip(jira_issues["status_id"], jira_issues["status_category"]):
            category.setdefault(status_id, status_category)

        gl = pd.read_sql_query("select * from fin_gl_line", conn)
        forecast = pd.read_sql_query("select * from fin_forecast", conn)
        fx = pd.read_sql_query("select * from fin_fx_rate", conn)
    finally:
        conn.close()
    return WorldFrames(
        meta=meta,
        servicenow=servicenow,
        jira_projects=jira_projects,
        jira_issues=jira_issues,
        jira_status_changes=jira_status_changes,
        jira_status_category=category,
        gl=gl,
        forecast=forecast,
        fx=fx,
    )


# --------------------------------------------------------------------------------------------
# Facts: the dated records every KPI sums, cut at as_of
# --------------------------------------------------------------------------------------------


class FxRates:
    """``rate_to_reporting`` by currency and month."""

    def __init__(self, fx: pd.DataFrame, reporting_currency: str) -> None:
        self.reporting_currency = reporting_currency
        self._exact: dict[tuple[str, date], float] = {}
        for period, currency, rate in zip(fx["period"], fx["currency"], fx["rate_to_reporting"]):
            year, month = str(period).split("-")[:2]
            self._exact[(str(currency), date(int(year), int(month), 1))] = float(rate)
        self._history: dict[str, list[tuple[date, float]]] = defaultdict(list)
        for (currency, month), rate in sorted(self._exact.items()):
            self._history[currency].append((month, rate))

    def rate(self, currency: str, month: date, *, latest_earlier: bool = False) -> float | None:
        """The month's rate; the reporting currency is 1 even without a row. With
        ``latest_earlier`` (forecast months), a month with no rate uses the latest earlier rate."""
        exact = self._exact.get((currency, month))
        if exact is not None:
            return exact
        if currency == self.reporting_currency:
            return 1.0
        if latest_earlier:
            earlier = [rate for m, rate in self._history.get(currency, []) if m < month]
            if earlier:
                return earlier[-1]
        return None


@dataclass
class Facts:
    """Everything the KPI functions need, parsed and cut at as_of."""

    kpi_vars: KpiVars
    projects: pd.DataFrame  # one row per pm_project, parsed; index = sys_id
    portfolios: pd.DataFrame  # sys_id, name
    users: pd.DataFrame  # sys_id, user_name, name, department_name, weekly_capacity
    gl: pd.DataFrame  # project, month, expense_type, currency, amount (reporting) — months ≤ as-of month
    plan: pd.DataFrame  # project, month, expense_type, cost, servicenow_actual — the whole plan
    benefit: pd.DataFrame  # project, month, planned, actual — monetary plans, the whole plan
    forecast: pd.DataFrame  # project, month, expense_type, amount — latest version, months after as-of month
    forecast_all: pd.DataFrame  # the same, every month of the latest version (kpi_budget_vs_actual)
    forecast_version: str | None
    hours: pd.DataFrame  # user, project, day, month, hours — counted cards, days ≤ as_of
    allocation: pd.DataFrame  # user, project, month, hours (whole month), hours_to_date — counted resource plans
    risks: pd.DataFrame  # project, number, is_open, probability, impact, estimated_cost, exposure
    status: pd.DataFrame  # project, as_on, sys_created_on, sys_id, health
    demands: pd.DataFrame  # open, unconverted demands
    gl_without_rate: list[str] = field(default_factory=list)  # GL lines rejected: no FX rate for their month
    problems: list[str] = field(default_factory=list)  # data the oracle had to guess about


def fiscal_month_of_period(fiscal_period: pd.DataFrame) -> dict[str, date]:
    """fiscal_period sys_id → first day of its month, for ``fiscal_type = month`` periods only."""
    out: dict[str, date] = {}
    for sys_id, fiscal_type, start in zip(
        fiscal_period["sys_id"], fiscal_period["fiscal_type"], fiscal_period["fiscal_start_date"]
    ):
        if fiscal_type == "month" and parse_date(start) is not None:
            out[sys_id] = month_start(parse_date(start))
    return out


def task_to_project(projects: pd.DataFrame, tasks: pd.DataFrame) -> dict[str, str]:
    """A planned task (project or project task) → its project's sys_id (tasks via ``top_task``)."""
    mapping = {sys_id: sys_id for sys_id in projects["sys_id"]}
    for sys_id, top_task in zip(tasks["sys_id"], tasks["top_task"]):
        if top_task in mapping:
            mapping[sys_id] = top_task
    return mapping


def baseline_end_date(
    project_sys_id: str,
    approval: str,
    planned_end: date | None,
    baselines: pd.DataFrame,
    items: pd.DataFrame,
) -> date | None:
    """End date of the project's item in its oldest baseline (earliest sys_created_on, ties by
    sys_id). With no baseline: the planned end of the first version the warehouse saw after approval.

    Reading: the oracle sees the world once, as a single full sync does, so "the first version the
    warehouse saw after approval" is the current record when ``approval = approved``, else NULL.
    An oldest baseline without an item for the project gives NULL (no fall-through).
    """
    own = baselines[baselines["task"] == project_sys_id]
    if own.empty:
        return planned_end if approval == "approved" else None
    oldest = own.sort_values(["sys_created_on", "sys_id"]).iloc[0]
    item = items[(items["baseline"] == oldest["sys_id"]) & (items["task"] == project_sys_id)]
    if item.empty:
        return None
    return parse_date(item.sort_values("sys_id").iloc[0]["end_date"])


def build_facts(world: WorldFrames, kpi_vars: KpiVars) -> Facts:
    """Parse and cut every dated fact the KPIs use."""
    problems: list[str] = []
    as_of_month = kpi_vars.as_of_month
    fx = FxRates(world.fx, kpi_vars.reporting_currency)
    months = fiscal_month_of_period(world.table("fiscal_period", "fiscal_type", "fiscal_start_date"))

    # Reference data ------------------------------------------------------------------------
    portfolios = world.table("pm_portfolio", "name")[["sys_id", "name"]].copy()
    portfolio_name = dict(zip(portfolios["sys_id"], portfolios["name"]))
    programs = world.table("pm_program", "short_description")
    program_name = dict(zip(programs["sys_id"], programs["short_description"]))
    departments = world.table("cmn_department", "name")
    department_name = dict(zip(departments["sys_id"], departments["name"]))

    raw_projects = world.table(
        "pm_project",
        "number",
        "short_description",
        "portfolio",
        "program",
        "state",
        "phase",
        "start_date",
        "end_date",
        "work_start",
        "work_end",
        "percent_complete",
        "approval",
        "u_wbs_code",
        "u_jira_project_key",
        *PRIORITY_WEIGHTS,
        "u_job_size",
    )
    baselines = world.table("planned_task_baseline", "task")
    items = world.table("planned_task_baseline_item", "baseline", "task", "end_date")
    project_rows = []
    for p in raw_projects.to_dict("records"):
        planned_end = parse_date(p["end_date"])
        project_rows.append(
            {
                "sys_id": p["sys_id"],
                "project_id": p["number"],
                "project_name": p["short_description"],
                "portfolio": p["portfolio"],
                "portfolio_name": portfolio_name.get(p["portfolio"]),
                "program_name": program_name.get(p["program"]) if p["program"] else None,
                "state_code": str(p["state"]),
                "state": PROJECT_STATE_LABELS.get(str(p["state"])),
                "phase": p["phase"] or None,
                "planned_start_date": parse_date(p["start_date"]),
                "planned_end_date": planned_end,
                "work_start": parse_date(p["work_start"]),
                "work_end": parse_date(p["work_end"]),
                "percent_complete": parse_number(p["percent_complete"]),
                "approval": p["approval"],
                "wbs_code": p["u_wbs_code"],
                "jira_project_key": p["u_jira_project_key"] or None,
                "baseline_end_date": baseline_end_date(p["sys_id"], p["approval"], planned_end, baselines, items),
                **{c: parse_number(p[c]) for c in (*PRIORITY_WEIGHTS, "u_job_size")},
            }
        )
    # dtype=object keeps None as None (pandas 3 would turn a missing string into NaN).
    projects = pd.DataFrame(project_rows, dtype=object).set_index("sys_id", drop=False)
    tasks = world.table("pm_project_task", "top_task")
    to_project = task_to_project(projects, tasks)

    users_raw = world.table("sys_user", "user_name", "name", "department", "u_weekly_capacity_hours")
    users = pd.DataFrame(
        {
            "sys_id": users_raw["sys_id"],
            "resource_id": users_raw["user_name"],
            "resource_name": users_raw["name"],
            "department": [department_name.get(d) for d in users_raw["department"]],
            "weekly_capacity": [parse_number(v) for v in users_raw["u_weekly_capacity_hours"]],
        }
    )

    # GL actuals: mapped by wbs_code, month of fiscal_year + fiscal_period, cut at the as-of month --
    wbs_to_project: dict[str, str] = {}
    for sys_id, wbs in zip(projects["sys_id"], projects["wbs_code"]):
        if wbs:
            if wbs in wbs_to_project:
                problems.append(f"wbs_code {wbs} is on more than one project")
            wbs_to_project[wbs] = sys_id
    gl_rows = []
    gl_without_rate: list[str] = []
    for line in world.gl.to_dict("records"):
        month = gl_month(line["fiscal_year"], line["fiscal_period"])
        if month > as_of_month:
            continue
        rate = fx.rate(line["currency"], month)
        if rate is None:
            # Reading (docs/kpis.md "Money", docs/contract.md §4): a line with no rate for its month cannot be
            # money in the reporting currency; it is rejected with a reason, never summed.
            gl_without_rate.append(f"{line['company_code']} {line['document_number']}/{line['line_number']}")
            continue
        gl_rows.append(
            {
                "project": wbs_to_project.get(line["wbs_code"]),
                "month": month,
                "expense_type": str(line["expense_type"]).lower(),
                "currency": line["currency"],
                "amount": float(line["amount"]) * rate,
            }
        )
    gl = pd.DataFrame.from_records(gl_rows, columns=["project", "month", "expense_type", "currency", "amount"])

    # Planned cost: cost_plan_breakdown.cost of month periods (quarter/year periods ignored) -------
    cost_plans = world.table("cost_plan", "task", "expense_type")
    plan_type = dict(zip(cost_plans["sys_id"], cost_plans["expense_type"]))
    plan_task = dict(zip(cost_plans["sys_id"], cost_plans["task"]))
    plan_rows = []
    for b in world.table("cost_plan_breakdown", "cost_plan", "task", "fiscal_period", "cost", "actual").to_dict(
        "records"
    ):
        month = months.get(b["fiscal_period"])
        if month is None:
            continue
        # Reading: the breakdown's own ``task`` names the project; its cost plan's task is the fallback.
        task = b["task"] or plan_task.get(b["cost_plan"], "")
        if b["task"] and plan_task.get(b["cost_plan"]) and b["task"] != plan_task.get(b["cost_plan"]):
            problems.append(f"cost_plan_breakdown {b['sys_id']}: task differs from its cost plan's")
        plan_rows.append(
            {
                "project": to_project.get(task),
                "month": month,
                "expense_type": str(plan_type.get(b["cost_plan"], "")).lower() or None,
                "cost": parse_number(b["cost"]) or 0.0,
                "servicenow_actual": parse_number(b["actual"]) or 0.0,
            }
        )
    plan = pd.DataFrame.from_records(
        plan_rows, columns=["project", "month", "expense_type", "cost", "servicenow_actual"]
    )

    # Monetary benefit ------------------------------------------------------------------------
    benefit_plans = world.table("benefit_plan", "task", "benefit_type")
    monetary = {s for s, t in zip(benefit_plans["sys_id"], benefit_plans["benefit_type"]) if t == "monetary"}
    benefit_task = dict(zip(benefit_plans["sys_id"], benefit_plans["task"]))
    benefit_rows = []
    for b in world.table(
        "benefit_plan_breakdown", "benefit_plan", "task", "fiscal_period", "planned_benefit", "actual_benefit"
    ).to_dict("records"):
        month = months.get(b["fiscal_period"])
        if month is None or b["benefit_plan"] not in monetary:
            continue
        task = b["task"] or benefit_task.get(b["benefit_plan"], "")
        benefit_rows.append(
            {
                "project": to_project.get(task),
                "month": month,
                "planned": parse_number(b["planned_benefit"]) or 0.0,
                "actual": parse_number(b["actual_benefit"]) or 0.0,
            }
        )
    benefit = pd.DataFrame.from_records(benefit_rows, columns=["project", "month", "planned", "actual"])

    # Forecast: the latest version ≤ as-of month (one label across all files). kpi_budget_vs_actual
    # shows its figure for every month; the scorecard's forecast at completion takes the months
    # after the as-of month only.
    version = latest_forecast_version(world.forecast["version"], as_of_month)
    forecast_rows = []
    for f in world.forecast.to_dict("records"):
        if f["version"] != version:
            continue
        month = date(int(f["fiscal_year"]), int(f["month"]), 1)
        rate = fx.rate(f["currency"], month, latest_earlier=True)
        if rate is None:
            problems.append(f"no {f['currency']} rate on or before {month:%Y-%m} for the forecast")
        forecast_rows.append(
            {
                "project": wbs_to_project.get(f["wbs_code"]),
                "month": month,
                "expense_type": str(f["expense_type"]).lower(),
                "amount": None if rate is None else float(f["amount"]) * rate,
            }
        )
    forecast_all = pd.DataFrame.from_records(forecast_rows, columns=["project", "month", "expense_type", "amount"])
    forecast = forecast_all[forecast_all["month"] > as_of_month]

    # Hours: approved/processed cards, by day, days after as_of ignored ----------------------
    hour_rows = []
    for card in world.table("time_card", "user", "task", "week_starts_on", "state", *DAY_FIELDS).to_dict("records"):
        if card["state"] not in COUNTED_TIME_CARD_STATES:
            continue
        monday = parse_date(card["week_starts_on"])
        project = to_project.get(card["task"])
        for offset, day_field in enumerate(DAY_FIELDS):
            hours = parse_number(card[day_field])
            day = monday + timedelta(days=offset)
            if not hours or day > kpi_vars.as_of:
                continue
            hour_rows.append(
                {"user": card["user"], "project": project, "day": day, "month": month_start(day), "hours": hours}
            )
    hours = pd.DataFrame.from_records(hour_rows, columns=["user", "project", "day", "month", "hours"])

    # Allocation: counted resource plans spread over Mon–Fri days ------------------------------
    # A plan is not a dated fact: ``hours`` is each month's whole allocation (it decides the row
    # set); ``hours_to_date`` counts only the days through as_of (docs/kpis.md "To date": the as-of
    # month's allocation over its Mon–Fri days from the 1st through as_of).
    allocation_rows = []
    for plan_row in world.table(
        "resource_plan", "user", "task", "start_date", "end_date", "planned_hours", "state"
    ).to_dict("records"):
        if plan_row["state"] not in COUNTED_PLAN_STATES:
            continue
        start, end = parse_date(plan_row["start_date"]), parse_date(plan_row["end_date"])
        planned_hours = parse_number(plan_row["planned_hours"])
        if start is None or end is None or not planned_hours:
            continue
        if weekdays_between(start, end) == 0:
            problems.append(f"resource_plan {plan_row['number']} has no weekday between its dates")
        to_date = spread_plan_hours(start, end, planned_hours, through=kpi_vars.as_of)
        for month, allocated in spread_plan_hours(start, end, planned_hours).items():
            allocation_rows.append(
                {
                    "user": plan_row["user"],
                    "project": to_project.get(plan_row["task"]),
                    "month": month,
                    "hours": allocated,
                    "hours_to_date": to_date.get(month, 0.0),
                }
            )
    allocation = pd.DataFrame.from_records(
        allocation_rows, columns=["user", "project", "month", "hours", "hours_to_date"]
    )

    # Risks (current state; no history) -------------------------------------------------------
    risk_rows = []
    for r in world.table("risk", "number", "task", "probability", "impact", "estimated_cost", "state").to_dict(
        "records"
    ):
        cost = parse_number(r["estimated_cost"])
        risk_rows.append(
            {
                "project": to_project.get(r["task"]),
                "number": r["number"],
                "is_open": r["state"] not in CLOSED_RISK_STATES,
                "probability": r["probability"],
                "impact": r["impact"],
                "estimated_cost": cost,
                "exposure": risk_exposure(r["probability"], cost),
            }
        )
    risks = pd.DataFrame.from_records(
        risk_rows, columns=["project", "number", "is_open", "probability", "impact", "estimated_cost", "exposure"]
    )

    # Status reports, cut at as_of ------------------------------------------------------------
    status_raw = world.table("project_status", "project", "as_on", "overall_health")
    status = pd.DataFrame(
        {
            "project": status_raw["project"],
            "as_on": [parse_date(v) for v in status_raw["as_on"]],
            "sys_created_on": status_raw["sys_created_on"],
            "sys_id": status_raw["sys_id"],
            "health": [HEALTH_LABELS.get(v) for v in status_raw["overall_health"]],
        }
    )
    status = status[status["as_on"].map(lambda d: d is not None and d <= kpi_vars.as_of)]
    ties = status.groupby(["project", "as_on"]).size()
    if (ties > 1).any():
        problems.append(f"{int((ties > 1).sum())} project/as_on pairs have more than one status report")

    demands_raw = world.table(
        "dmn_demand", "number", "short_description", "portfolio", "state", "project", *PRIORITY_WEIGHTS, "u_job_size"
    )
    demands = demands_raw[demands_raw["state"].isin(OPEN_DEMAND_STATES) & (demands_raw["project"] == "")].copy()

    return Facts(
        kpi_vars=kpi_vars,
        projects=projects,
        portfolios=portfolios,
        users=users,
        gl=gl,
        plan=plan,
        benefit=benefit,
        forecast=forecast,
        forecast_all=forecast_all,
        forecast_version=version,
        hours=hours,
        allocation=allocation,
        risks=risks,
        status=status,
        demands=demands,
        gl_without_rate=gl_without_rate,
        problems=problems,
    )


def _by_project(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {key: group for key, group in frame.groupby("project", sort=False, dropna=True)}


def _sum_by_month(frame: pd.DataFrame, column: str) -> dict[date, float]:
    if frame.empty:
        return {}
    return {m: float(v) for m, v in frame.groupby("month")[column].sum().items()}


def latest_health(status: pd.DataFrame, project: str, cutoff: date) -> str | None:
    """Overall health of the latest status report on or before ``cutoff``.

    Reading: ties on ``as_on`` go to the report created last (sys_created_on, then sys_id).
    """
    own = status[(status["project"] == project) & status["as_on"].map(lambda d: d <= cutoff)]
    if own.empty:
        return None
    return own.sort_values(["as_on", "sys_created_on", "sys_id"]).iloc[-1]["health"]


# --------------------------------------------------------------------------------------------
# kpi_project_scorecard
# --------------------------------------------------------------------------------------------


def wsjf(
    business_value: float | None,
    time_criticality: float | None,
    risk_reduction: float | None,
    job_size: float | None,
) -> float | None:
    """``(u_business_value + u_time_criticality + u_risk_reduction) / u_job_size``; NULL when a
    score is missing or the job size is 0."""
    parts = (business_value, time_criticality, risk_reduction)
    if any(is_missing(p) for p in parts):
        return None
    return ratio(sum(float(p) for p in parts), job_size)


def score_ranked_items(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``priority_score`` and ``priority_rank`` of ranked items, each a mapping with ``id``,
    ``portfolio`` and the four weighted criteria (numbers or None).

    Each criterion is min-max normalised within the portfolio over the given items (max = min → 1);
    the score is Σ weight × normalised; the rank is the dense rank of the score, highest first,
    within the portfolio.

    Reading: an item whose criterion is missing takes no part in that criterion's min and max and
    has a NULL score (and rank); items without a portfolio are ranked together as one group.
    """
    by_portfolio: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    for item in items:
        by_portfolio[item["portfolio"] or None].append(item)
    scored: dict[str, tuple[float | None, int | None]] = {}
    for members in by_portfolio.values():
        normalised = {c: min_max_normalise({m["id"]: m[c] for m in members}) for c in PRIORITY_WEIGHTS}
        scores: dict[str, float | None] = {}
        for m in members:
            parts = [normalised[c][m["id"]] for c in PRIORITY_WEIGHTS]
            scores[m["id"]] = (
                None
                if any(is_missing(v) for v in parts)
                else sum(PRIORITY_WEIGHTS[c] * normalised[c][m["id"]] for c in PRIORITY_WEIGHTS)
            )
        ranks = dense_rank_descending(scores)
        for key, score in scores.items():
            scored[key] = (score, ranks[key])
    return [{**item, "priority_score": scored[item["id"]][0], "priority_rank": scored[item["id"]][1]} for item in items]


def ranked_items(facts: Facts) -> list[dict[str, Any]]:
    """Every ranked item (projects open or in progress, open unconverted demands), scored.

    ``id`` is the project or demand number (PRJ… / DMND…, never shared between the two).
    """
    items: list[dict[str, Any]] = []
    for p in facts.projects.to_dict("records"):
        if p["state_code"] in RANKED_PROJECT_STATES:
            items.append(
                {
                    "item_type": "project",
                    "id": p["project_id"],
                    "sys_id": p["sys_id"],
                    "name": p["project_name"],
                    "portfolio": p["portfolio"],
                    **{c: p[c] for c in (*PRIORITY_WEIGHTS, "u_job_size")},
                }
            )
    for d in facts.demands.to_dict("records"):
        items.append(
            {
                "item_type": "demand",
                "id": d["number"],
                "sys_id": d["sys_id"],
                "name": d["short_description"],
                "portfolio": d["portfolio"],
                **{c: parse_number(d[c]) for c in (*PRIORITY_WEIGHTS, "u_job_size")},
            }
        )
    numbers = [i["id"] for i in items]
    clash = "a project and a demand share a number"
    if len(numbers) != len(set(numbers)) and clash not in facts.problems:
        facts.problems.append(clash)
    return score_ranked_items(items)


def priority_scores(facts: Facts) -> dict[str, tuple[float | None, int | None]]:
    """Project number / demand number → (priority_score, priority_rank) for every ranked item."""
    return {i["id"]: (i["priority_score"], i["priority_rank"]) for i in ranked_items(facts)}


def project_npv(facts: Facts, project_sys_id: str, planned_start: date | None) -> float | None:
    """The scorecard's ``npv_amount`` of one project from the whole cost and monetary benefit plan."""
    plan = facts.plan[facts.plan["project"] == project_sys_id]
    benefit = facts.benefit[facts.benefit["project"] == project_sys_id]
    return npv(
        _sum_by_month(plan, "cost"),
        _sum_by_month(benefit, "planned"),
        planned_start.year if planned_start else None,
        facts.kpi_vars.discount_rate,
    )


def blocking_dependency_counts(world: WorldFrames, as_of: date) -> dict[str, int]:
    """Jira project key → distinct Blocks links in which one of its issues is blocked by a not-done
    issue of another Jira project (status as of as_of, from the changelog).

    Reading: both issues must exist by the end of the as_of day (created before it ends); an issue
    created later is not a fact as of as_of, so neither is its link.
    """
    cutoff = epoch_ms_of_day(as_of + timedelta(days=1))
    changes = _changes_by_issue(world)
    issues = world.jira_issues.set_index("issue_id", drop=False)
    key_to_id = dict(zip(world.jira_issues["key"], world.jira_issues["issue_id"]))
    counted: dict[str, set[str]] = defaultdict(set)
    for issue in world.jira_issues.to_dict("records"):
        if int(issue["created_ms"]) >= cutoff:
            continue
        for link in issue["issuelinks"]:
            if (link.get("type") or {}).get("name") != "Blocks" or "inwardIssue" not in link:
                continue
            blocker = link["inwardIssue"]
            blocker_id = int(blocker["id"]) if blocker.get("id") else key_to_id.get(blocker.get("key"))
            if blocker_id not in issues.index:
                continue
            other = issues.loc[blocker_id]
            if other["jira_project_key"] == issue["jira_project_key"] or other["created_ms"] >= cutoff:
                continue
            status = status_at(other["status_id"], changes.get(blocker_id, []), cutoff)
            if world.jira_status_category.get(status) != DONE:
                counted[issue["jira_project_key"]].add(str(link.get("id")))
    return {key: len(ids) for key, ids in counted.items()}


def project_scorecard(world: WorldFrames, facts: Facts) -> pd.DataFrame:
    """One row per current project with the kpi_project_scorecard columns the oracle computes."""
    v = facts.kpi_vars
    as_of_month = v.as_of_month
    gl_by = _by_project(facts.gl)
    plan_by = _by_project(facts.plan)
    benefit_by = _by_project(facts.benefit)
    forecast_by = _by_project(facts.forecast)
    risks_by = _by_project(facts.risks)
    priorities = priority_scores(facts)
    blocking = blocking_dependency_counts(world, v.as_of)
    empty_gl = facts.gl.iloc[0:0]
    empty_plan = facts.plan.iloc[0:0]
    empty_benefit = facts.benefit.iloc[0:0]
    empty_forecast = facts.forecast.iloc[0:0]
    empty_risks = facts.risks.iloc[0:0]

    rows = []
    for p in facts.projects.to_dict("records"):
        sys_id = p["sys_id"]
        gl = gl_by.get(sys_id, empty_gl)
        plan = plan_by.get(sys_id, empty_plan)
        benefit = benefit_by.get(sys_id, empty_benefit)
        forecast = forecast_by.get(sys_id, empty_forecast)
        risks = risks_by.get(sys_id, empty_risks)
        open_risks = risks[risks["is_open"]]

        bac = total(plan["cost"])
        # "to date": the as-of month's plan counts day(as_of) / days in the month
        pv = total(
            cost * to_date_share(month, v.as_of)
            for month, cost in zip(plan["month"], plan["cost"])
            if month <= as_of_month
        )
        ac = total(gl["amount"])
        evm = earned_value(bac, pv, ac, p["percent_complete"])
        budget_variance = ac - pv
        forecast_at_completion = ac + total(forecast["amount"])
        benefit_to_date = benefit[benefit["month"] <= as_of_month]
        planned_benefit = total(
            planned * to_date_share(month, v.as_of)
            for month, planned in zip(benefit_to_date["month"], benefit_to_date["planned"])
        )
        actual_benefit = total(benefit_to_date["actual"])
        cost_by_month = _sum_by_month(plan, "cost")
        benefit_by_month = _sum_by_month(benefit, "planned")
        start = p["planned_start_date"]
        score, rank = priorities.get(p["project_id"], (None, None))
        rows.append(
            {
                "project_id": p["project_id"],
                "project_name": p["project_name"],
                "portfolio_name": p["portfolio_name"],
                "program_name": p["program_name"],
                "state": p["state"],
                "phase": p["phase"],
                "overall_health": latest_health(facts.status, sys_id, v.as_of),
                "planned_start_date": p["planned_start_date"],
                "planned_end_date": p["planned_end_date"],
                "baseline_end_date": p["baseline_end_date"],
                "actual_end_date": p["work_end"],
                "is_on_time": is_on_time(
                    p["state_code"], p["work_end"], p["baseline_end_date"], v.on_time_tolerance_days
                ),
                "percent_complete": p["percent_complete"],
                **evm,
                "planned_cost_to_date_amount": pv,
                "actual_cost_to_date_amount": ac,
                "budget_variance_amount": budget_variance,
                "budget_variance_ratio": ratio(budget_variance, pv),
                "forecast_at_completion_amount": forecast_at_completion,
                "forecast_variance_amount": bac - forecast_at_completion,
                "capex_actual_amount": total(gl.loc[gl["expense_type"] == "capex", "amount"]),
                "opex_actual_amount": total(gl.loc[gl["expense_type"] == "opex", "amount"]),
                "planned_benefit_to_date_amount": planned_benefit,
                "actual_benefit_to_date_amount": actual_benefit,
                "benefit_realization_ratio": ratio(actual_benefit, planned_benefit),
                "open_risk_count": int(len(open_risks)),
                "risk_exposure_amount": total(open_risks["exposure"]),
                "npv_amount": npv(cost_by_month, benefit_by_month, start.year if start else None, v.discount_rate),
                "roi_ratio": ratio(total(benefit["planned"]) - bac, bac),
                "payback_months": payback_months(cost_by_month, benefit_by_month),
                "priority_score": score,
                "priority_rank": rank,
                "blocking_dependency_count": blocking.get(p["jira_project_key"], 0) if p["jira_project_key"] else 0,
                "as_of_date": v.as_of,
            }
        )
    return pd.DataFrame(rows, dtype=object).set_index("project_id", drop=False)


# --------------------------------------------------------------------------------------------
# kpi_portfolio_summary
# --------------------------------------------------------------------------------------------


def portfolio_first_month(facts: Facts, project_ids: set[str]) -> date | None:
    """First month with a non-zero GL actual, planned cost, monetary benefit or counted hour.

    Reading: "non-zero" is judged on the month's sum per portfolio (a month whose lines net to 0
    is not activity); "counted hour" = time-card hours only (allocation is not an hour counted);
    monetary benefit = planned or actual.
    """
    candidates: list[date] = []
    for frame, columns in (
        (facts.gl, ["amount"]),
        (facts.plan, ["cost"]),
        (facts.benefit, ["planned", "actual"]),
        (facts.hours, ["hours"]),
    ):
        own = frame[frame["project"].isin(project_ids)]
        if own.empty:
            continue
        for column in columns:
            by_month = own.groupby("month")[column].sum()
            nonzero = [m for m, value in by_month.items() if value != 0]
            if nonzero:
                candidates.append(min(nonzero))
    return min(candidates) if candidates else None


def portfolio_summary(facts: Facts) -> pd.DataFrame:
    """Every portfolio × month from its first active month through the as-of month."""
    v = facts.kpi_vars
    rows = []
    for portfolio_sys_id, portfolio_name in zip(facts.portfolios["sys_id"], facts.portfolios["name"]):
        members = facts.projects[facts.projects["portfolio"] == portfolio_sys_id]
        ids = set(members["sys_id"])
        first = portfolio_first_month(facts, ids)
        if first is None:
            continue
        gl = facts.gl[facts.gl["project"].isin(ids)]
        plan = facts.plan[facts.plan["project"].isin(ids)]
        benefit = facts.benefit[facts.benefit["project"].isin(ids)]
        hours = facts.hours[facts.hours["project"].isin(ids)]
        allocation = facts.allocation[facts.allocation["project"].isin(ids)]
        risks = facts.risks[facts.risks["project"].isin(ids) & facts.risks["is_open"]]
        member_rows = members.to_dict("records")
        for month in months_from_to(first, v.as_of_month):
            last_day = month_end(month)
            active = [p for p in member_rows if is_active_at(p["state_code"], p["work_start"], p["work_end"], last_day)]
            closed = [
                p
                for p in member_rows
                if p["state_code"] == CLOSED_COMPLETE
                and p["work_end"] is not None
                and month_start(p["work_end"]) == month
            ]
            on_time = [
                p
                for p in closed
                if is_on_time(p["state_code"], p["work_end"], p["baseline_end_date"], v.on_time_tolerance_days)
            ]
            # "to date" through the row's month; the as-of month (the last row) counts its plan
            # only through as_of (docs/kpis.md "To date")
            planned_cost = total(
                cost * to_date_share(m, v.as_of) for m, cost in zip(plan["month"], plan["cost"]) if m <= month
            )
            actual_cost = total(gl.loc[gl["month"] <= month, "amount"])
            variance = actual_cost - planned_cost
            planned_benefit = total(
                planned * to_date_share(m, v.as_of)
                for m, planned in zip(benefit["month"], benefit["planned"])
                if m <= month
            )
            actual_benefit = total(benefit.loc[benefit["month"] <= month, "actual"])
            allocated_hours = total(allocation.loc[allocation["month"] == month, "hours_to_date"])
            actual_hours = total(hours.loc[hours["month"] == month, "hours"])
            health_cutoff = min(last_day, v.as_of)
            health = [latest_health(facts.status, p["sys_id"], health_cutoff) for p in active]
            rows.append(
                {
                    "portfolio_name": portfolio_name,
                    "month_start_date": month,
                    "active_project_count": len(active),
                    "projects_closed_count": len(closed),
                    "projects_closed_on_time_count": len(on_time),
                    # Reading: the denominator is every project closed complete in the month,
                    # including one whose is_on_time is NULL (no baseline, never approved).
                    "on_time_delivery_rate": ratio(len(on_time), len(closed)),
                    "planned_cost_to_date_amount": planned_cost,
                    "actual_cost_to_date_amount": actual_cost,
                    "budget_variance_amount": variance,
                    "budget_variance_ratio": ratio(variance, planned_cost),
                    "planned_benefit_to_date_amount": planned_benefit,
                    "actual_benefit_to_date_amount": actual_benefit,
                    "benefit_realization_ratio": ratio(actual_benefit, planned_benefit),
                    "allocated_hours": allocated_hours,
                    "actual_hours": actual_hours,
                    "hours_vs_allocation_ratio": ratio(actual_hours, allocated_hours),
                    "risk_exposure_amount": total(risks["exposure"]),
                    "red_project_count": health.count("red"),
                    "amber_project_count": health.count("amber"),
                    "green_project_count": health.count("green"),
                    "is_partial_month": month == v.as_of_month,
                    "as_of_date": v.as_of,
                }
            )
    return pd.DataFrame(rows, dtype=object)


# --------------------------------------------------------------------------------------------
# kpi_capacity_utilization
# --------------------------------------------------------------------------------------------


def capacity_first_month(facts: Facts) -> date | None:
    """First month in which anyone has counted hours or allocation (non-zero)."""
    candidates = []
    for frame in (facts.hours, facts.allocation):
        if not frame.empty:
            by_month = frame.groupby("month")["hours"].sum()
            nonzero = [m for m, value in by_month.items() if value != 0]
            if nonzero:
                candidates.append(min(nonzero))
    return min(candidates) if candidates else None


def capacity_utilization(facts: Facts) -> pd.DataFrame:
    """Every sys_user × every month from the first month with hours or allocation to the as-of month."""
    v = facts.kpi_vars
    first = capacity_first_month(facts)
    if first is None:
        return pd.DataFrame()
    hours = facts.hours.groupby(["user", "month"])["hours"].sum().to_dict() if not facts.hours.empty else {}
    allocated = (
        facts.allocation.groupby(["user", "month"])["hours_to_date"].sum().to_dict()
        if not facts.allocation.empty
        else {}
    )
    rows = []
    for user in facts.users.to_dict("records"):
        for month in months_from_to(first, v.as_of_month):
            capacity = capacity_hours(user["weekly_capacity"], month, v.as_of)
            actual_hours = float(hours.get((user["sys_id"], month), 0.0))
            allocated_hours = float(allocated.get((user["sys_id"], month), 0.0))
            rows.append(
                {
                    "resource_id": user["resource_id"],
                    "resource_name": user["resource_name"],
                    "department": user["department"],
                    "month_start_date": month,
                    "capacity_hours": capacity,
                    "allocated_hours": allocated_hours,
                    "actual_hours": actual_hours,
                    "capacity_utilization": ratio(actual_hours, capacity),
                    "allocation_ratio": ratio(allocated_hours, capacity),
                    "is_partial_month": month == v.as_of_month,
                    "as_of_date": v.as_of,
                }
            )
    return pd.DataFrame(rows, dtype=object)


# --------------------------------------------------------------------------------------------
# kpi_delivery_flow
# --------------------------------------------------------------------------------------------


def _changes_by_issue(world: WorldFrames) -> dict[int, list[tuple[int, str, str]]]:
    out: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    ordered = world.jira_status_changes.sort_values(["issue_id", "created_ms", "history_id"])
    for issue_id, created_ms, from_status, to_status in zip(
        ordered["issue_id"], ordered["created_ms"], ordered["from_status"], ordered["to_status"]
    ):
        out[int(issue_id)].append((int(created_ms), from_status, to_status))
    return out


def delivery_flow(world: WorldFrames, kpi_vars: KpiVars) -> pd.DataFrame:
    """Every Jira project × ISO week (UTC) from its first created issue through the as-of week.

    Reading: an issue resolved after as_of (resolutiondate on a later UTC day) counts as
    unresolved; the end-of-week status is read just before the next Monday 00:00 UTC (or just
    before the day after as_of, if that comes first); "first transition into an In-Progress
    status" comes from the changelog only (an issue created straight into such a status has none).
    """
    as_of_end = epoch_ms_of_day(kpi_vars.as_of + timedelta(days=1))
    as_of_week = iso_week_start(kpi_vars.as_of)
    changes = _changes_by_issue(world)
    category = world.jira_status_category
    rows = []
    for project_key, issues in world.jira_issues.groupby("jira_project_key", sort=True):
        records = issues.to_dict("records")
        for issue in records:
            resolved = issue["resolution_ms"]
            issue["resolved_ms"] = None if is_missing(resolved) or int(resolved) >= as_of_end else int(resolved)
            issue["first_in_progress_ms"] = first_in_progress_ms(changes.get(issue["issue_id"], []), category)
        first_created = min(int(i["created_ms"]) for i in records)
        week = iso_week_start(datetime.fromtimestamp(first_created / 1000, tz=UTC).date())
        while week <= as_of_week:
            start_ms = epoch_ms_of_day(week)
            end_ms = epoch_ms_of_day(week + timedelta(days=7))
            in_week = [i for i in records if i["resolved_ms"] is not None and start_ms <= i["resolved_ms"] < end_ms]
            moment = min(end_ms, as_of_end)
            wip = sum(
                1
                for i in records
                if i["created_ms"] < moment
                and category.get(status_at(i["status_id"], changes.get(i["issue_id"], []), moment)) == IN_PROGRESS
            )
            cycle = [
                (i["resolved_ms"] - i["first_in_progress_ms"]) / MS_PER_DAY
                for i in in_week
                if i["first_in_progress_ms"] is not None
            ]
            lead = [(i["resolved_ms"] - int(i["created_ms"])) / MS_PER_DAY for i in in_week]
            rows.append(
                {
                    "jira_project_key": project_key,
                    "week_start_date": week,
                    "throughput": len(in_week),
                    "wip": wip,
                    "cycle_time_p50_days": quantile_cont(cycle, 0.5),
                    "cycle_time_p85_days": quantile_cont(cycle, 0.85),
                    "lead_time_p50_days": quantile_cont(lead, 0.5),
                }
            )
            week += timedelta(days=7)
    return pd.DataFrame(rows, dtype=object)


# --------------------------------------------------------------------------------------------
# kpi_budget_vs_actual and kpi_benefits_realization (project × month)
# --------------------------------------------------------------------------------------------

EXPENSE_TYPES = ("capex", "opex")


def _sums(frame: pd.DataFrame, keys: list[str], column: str) -> dict[tuple, float]:
    """``coalesce(sum(column), 0)`` by ``keys`` (rows without a project are left out)."""
    if frame.empty:
        return {}
    own = frame[frame["project"].notna()]
    out: dict[tuple, float] = defaultdict(float)
    for row in zip(*(own[k] for k in keys), own[column]):
        if not is_missing(row[-1]):
            out[tuple(row[:-1])] += float(row[-1])
    return dict(out)


def active_month_span(nonzero_months: Iterable[date]) -> list[date]:
    """Every month from the first to the last of ``nonzero_months`` (gaps included); [] if none."""
    months = sorted(set(nonzero_months))
    return months_from_to(months[0], months[-1]) if months else []


def cumulative(by_month: Mapping[date, float], months: Sequence[date]) -> dict[date, float]:
    """Running total through each of ``months`` (sorted) of ``by_month``, counting every earlier
    month of ``by_month`` too ("to date" = from the beginning of the data)."""
    out: dict[date, float] = {}
    ordered = sorted(by_month.items())
    running, i = 0.0, 0
    for month in months:
        while i < len(ordered) and ordered[i][0] <= month:
            running += ordered[i][1]
            i += 1
        out[month] = running
    return out


BUDGET_VS_ACTUAL_COLUMNS = [
    "project_id",
    "month_start_date",
    "expense_type",
    "planned_amount",
    "forecast_amount",
    "actual_amount",
    "cumulative_planned_amount",
    "cumulative_actual_amount",
    "variance_amount",
    "is_partial_month",
]


def budget_vs_actual_rows(
    project_id: str,
    planned: Mapping[tuple[date, str], float],
    forecast: Mapping[tuple[date, str], float],
    actual: Mapping[tuple[date, str], float],
    as_of_month: date,
) -> list[dict[str, Any]]:
    """One project's kpi_budget_vs_actual rows from its sums by (month, expense_type).

    Row set: every month from the first to the last month in which planned, forecast or actual of
    capex or opex is non-zero, × both types; after the as-of month the actual, cumulative actual and
    variance are NULL. Actuals of months after the as-of month are cut (GL lines of later fiscal
    periods are ignored), so they neither show nor open a month.

    Reading: "non-zero" is judged on the month's sum per measure and type (lines that net to 0 do
    not open a month).
    """
    actual = {(m, t): value for (m, t), value in actual.items() if m <= as_of_month}
    nonzero = [
        month
        for sums in (planned, forecast, actual)
        for (month, expense_type), value in sums.items()
        if expense_type in EXPENSE_TYPES and value != 0
    ]
    months = active_month_span(nonzero)
    rows = []
    for expense_type in EXPENSE_TYPES:
        planned_by_month = {m: v for (m, t), v in planned.items() if t == expense_type}
        actual_by_month = {m: v for (m, t), v in actual.items() if t == expense_type}
        cumulative_planned = cumulative(planned_by_month, months)
        cumulative_actual = cumulative(actual_by_month, months)
        for month in months:
            planned_amount = planned_by_month.get(month, 0.0)
            after = month > as_of_month
            actual_amount = None if after else actual_by_month.get(month, 0.0)
            rows.append(
                {
                    "project_id": project_id,
                    "month_start_date": month,
                    "expense_type": expense_type,
                    "planned_amount": planned_amount,
                    "forecast_amount": forecast.get((month, expense_type), 0.0),
                    "actual_amount": actual_amount,
                    "cumulative_planned_amount": cumulative_planned[month],
                    "cumulative_actual_amount": None if after else cumulative_actual[month],
                    "variance_amount": minus(actual_amount, planned_amount),
                    "is_partial_month": month == as_of_month,
                }
            )
    return sorted(rows, key=lambda r: (r["month_start_date"], r["expense_type"]))


def budget_vs_actual(facts: Facts) -> pd.DataFrame:
    """kpi_budget_vs_actual: project × month × expense_type (capex, opex).

    planned = ``cost_plan_breakdown.cost`` of the month's period (the cost plan's expense type);
    forecast = the latest version's figure for that month, whatever the month;
    actual = GL lines mapped by wbs_code, at the month's rate, months after the as-of month cut.

    Reading: "the latest version's figure for that month" is shown for every month of the row set,
    the as-of month and earlier months included (the scorecard's forecast at completion, by
    contrast, takes only months after the as-of month); a month the version has no figure for is 0.
    """
    v = facts.kpi_vars
    planned = _sums(facts.plan, ["project", "month", "expense_type"], "cost")
    forecast = _sums(facts.forecast_all, ["project", "month", "expense_type"], "amount")
    actual = _sums(facts.gl, ["project", "month", "expense_type"], "amount")

    by_project: dict[str, dict[str, dict[tuple[date, str], float]]] = defaultdict(
        lambda: {"planned": {}, "forecast": {}, "actual": {}}
    )
    for name, sums in (("planned", planned), ("forecast", forecast), ("actual", actual)):
        for (p, m, t), value in sums.items():
            by_project[p][name][(m, t)] = value
    rows: list[dict[str, Any]] = []
    for p in facts.projects.to_dict("records"):
        own = by_project.get(p["sys_id"])
        if own is None:
            continue
        rows.extend(
            budget_vs_actual_rows(p["project_id"], own["planned"], own["forecast"], own["actual"], v.as_of_month)
        )
    return pd.DataFrame(rows, dtype=object, columns=BUDGET_VS_ACTUAL_COLUMNS)


def benefits_realization_rows(
    project_id: str,
    planned: Mapping[date, float],
    actual: Mapping[date, float],
    as_of_month: date,
) -> list[dict[str, Any]]:
    """One project's kpi_benefits_realization rows from its monetary benefit sums by month.

    Row set: every month from the first to the last month with non-zero planned or actual benefit
    (actual only through the as-of month); after the as-of month actual, cumulative actual and the
    ratio are NULL. ``benefit_realization_ratio`` = cumulative actual / cumulative planned.

    Reading: an actual benefit recorded for a month after the as-of month is not yet a fact: it
    neither shows nor opens a month of the row set (the same cut as the scorecard's "to date").
    """
    actual = {m: value for m, value in actual.items() if m <= as_of_month}
    months = active_month_span([m for sums in (planned, actual) for m, value in sums.items() if value != 0])
    cumulative_planned = cumulative(planned, months)
    cumulative_actual = cumulative(actual, months)
    rows = []
    for month in months:
        after = month > as_of_month
        rows.append(
            {
                "project_id": project_id,
                "month_start_date": month,
                "planned_benefit_amount": planned.get(month, 0.0),
                "actual_benefit_amount": None if after else actual.get(month, 0.0),
                "cumulative_planned_amount": cumulative_planned[month],
                "cumulative_actual_amount": None if after else cumulative_actual[month],
                "benefit_realization_ratio": None
                if after
                else ratio(cumulative_actual[month], cumulative_planned[month]),
                "is_partial_month": month == as_of_month,
            }
        )
    return rows


BENEFITS_REALIZATION_COLUMNS = [
    "project_id",
    "month_start_date",
    "planned_benefit_amount",
    "actual_benefit_amount",
    "cumulative_planned_amount",
    "cumulative_actual_amount",
    "benefit_realization_ratio",
    "is_partial_month",
]


def benefits_realization(facts: Facts) -> pd.DataFrame:
    """kpi_benefits_realization: project × month, monetary benefit plans only."""
    planned = _sums(facts.benefit, ["project", "month"], "planned")
    actual = _sums(facts.benefit, ["project", "month"], "actual")
    by_project: dict[str, dict[str, dict[date, float]]] = defaultdict(lambda: {"planned": {}, "actual": {}})
    for (p, m), value in planned.items():
        by_project[p]["planned"][m] = value
    for (p, m), value in actual.items():
        by_project[p]["actual"][m] = value
    rows: list[dict[str, Any]] = []
    for p in facts.projects.to_dict("records"):
        own = by_project.get(p["sys_id"])
        if own is not None:
            rows.extend(
                benefits_realization_rows(p["project_id"], own["planned"], own["actual"], facts.kpi_vars.as_of_month)
            )
    return pd.DataFrame(rows, dtype=object, columns=BENEFITS_REALIZATION_COLUMNS)


# --------------------------------------------------------------------------------------------
# kpi_risk_heatmap
# --------------------------------------------------------------------------------------------


def risk_bucket(code: str | None) -> int | None:
    """Heat-map bucket of a ServiceNow probability / impact code: ``6 − code`` (1 lowest … 5 highest)."""
    if code is None or is_missing(code) or str(code).strip() not in {"1", "2", "3", "4", "5"}:
        return None
    return 6 - int(str(code).strip())


RISK_HEATMAP_COLUMNS = ["portfolio_name", "probability_bucket", "impact_bucket", "open_risk_count", "exposure_amount"]


def risk_heatmap_cells(open_risks: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Cells of open risks, each a mapping with ``portfolio_name``, ``probability``, ``impact``
    (codes) and ``exposure`` (None when unknown): one row per cell with at least one open risk."""
    cells: dict[tuple, dict[str, Any]] = {}
    for r in open_risks:
        key = (r["portfolio_name"], risk_bucket(r["probability"]), risk_bucket(r["impact"]))
        cell = cells.setdefault(key, {"count": 0, "exposures": []})
        cell["count"] += 1
        cell["exposures"].append(r["exposure"])
    rows = [
        {
            "portfolio_name": key[0],
            "probability_bucket": key[1],
            "impact_bucket": key[2],
            "open_risk_count": cell["count"],
            "exposure_amount": total(cell["exposures"]),
        }
        for key, cell in sorted(cells.items(), key=lambda kv: tuple(str(k) for k in kv[0]))
    ]
    return pd.DataFrame(rows, dtype=object, columns=RISK_HEATMAP_COLUMNS)


def risk_heatmap(facts: Facts) -> pd.DataFrame:
    """kpi_risk_heatmap: portfolio × probability bucket × impact bucket over open risks (current state).

    Reading: a risk belongs to the portfolio of its project (a project task's risk to its top_task
    project's); an open risk with no project or no known code is still counted, in a cell with a
    NULL portfolio / bucket, and reported as a problem of the world.
    """
    portfolio_of = dict(zip(facts.projects["sys_id"], facts.projects["portfolio_name"]))
    open_risks = []
    for r in facts.risks[facts.risks["is_open"]].to_dict("records"):
        name = portfolio_of.get(r["project"]) if not is_missing(r["project"]) else None
        if name is None or risk_bucket(r["probability"]) is None or risk_bucket(r["impact"]) is None:
            facts.problems.append(f"open risk {r['number']} has no portfolio or no probability/impact code")
        open_risks.append({**r, "portfolio_name": name})
    return risk_heatmap_cells(open_risks)


# --------------------------------------------------------------------------------------------
# kpi_prioritization
# --------------------------------------------------------------------------------------------

PRIORITIZATION_COLUMNS = [
    "item_type",
    "item_id",
    "item_name",
    "portfolio_name",
    "strategic_alignment",
    "business_value",
    "time_criticality",
    "risk_reduction",
    "job_size",
    "npv_amount",
    "priority_score",
    "wsjf",
    "priority_rank",
]


def prioritization(facts: Facts) -> pd.DataFrame:
    """kpi_prioritization: one row per ranked item with its raw scores, score, WSJF and rank."""
    portfolio_name = dict(zip(facts.portfolios["sys_id"], facts.portfolios["name"]))
    start_of = dict(zip(facts.projects["sys_id"], facts.projects["planned_start_date"]))
    rows = []
    for item in ranked_items(facts):
        is_project = item["item_type"] == "project"
        rows.append(
            {
                "item_type": item["item_type"],
                "item_id": item["id"],
                "item_name": item["name"],
                "portfolio_name": portfolio_name.get(item["portfolio"]),
                "strategic_alignment": item["u_strategic_alignment"],
                "business_value": item["u_business_value"],
                "time_criticality": item["u_time_criticality"],
                "risk_reduction": item["u_risk_reduction"],
                "job_size": item["u_job_size"],
                "npv_amount": project_npv(facts, item["sys_id"], start_of[item["sys_id"]]) if is_project else None,
                "priority_score": item["priority_score"],
                "wsjf": wsjf(
                    item["u_business_value"], item["u_time_criticality"], item["u_risk_reduction"], item["u_job_size"]
                ),
                "priority_rank": item["priority_rank"],
            }
        )
    return pd.DataFrame(rows, dtype=object, columns=PRIORITIZATION_COLUMNS)


# --------------------------------------------------------------------------------------------
# kpi_headline
# --------------------------------------------------------------------------------------------

HEADLINE_COLUMNS = [
    "is_total",
    "portfolio_name",
    "month_start_date",
    "period_end_date",
    "is_partial_month",
    "active_project_count",
    "on_time_window_start_date",
    "projects_closed_count",
    "projects_closed_on_time_count",
    "on_time_delivery_rate",
    "planned_cost_to_date_amount",
    "actual_cost_to_date_amount",
    "budget_variance_amount",
    "budget_variance_ratio",
    "benefit_realization_ratio",
    "risk_exposure_amount",
    "red_project_count",
    "amber_project_count",
    "green_project_count",
    "capacity_hours",
    "actual_hours",
    "capacity_utilization",
    "as_of_date",
]


def headline(summary: pd.DataFrame, capacity: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """kpi_headline: each portfolio's as-of month to date, the on-time rate over the twelve months
    ending with the as-of month, and a total row (sums, then ratios of the sums) that alone carries
    every person's capacity and hours of the as-of month to date.

    Reading: the headline shows the month in progress (the as-of month, counted through as_of),
    flagged partial; a portfolio without a row for the as-of month has no headline row.
    """
    as_of_month = month_start(as_of)
    window_start = add_months(as_of_month, -11)
    rows: list[dict[str, Any]] = []
    if not summary.empty:
        for name, own in summary.groupby("portfolio_name", sort=True):
            latest = own[own["month_start_date"] == as_of_month]
            if latest.empty:
                continue
            last = latest.iloc[0]
            window = own[(own["month_start_date"] >= window_start) & (own["month_start_date"] <= as_of_month)]
            rows.append(
                {
                    "is_total": False,
                    "portfolio_name": name,
                    "active_project_count": int(last["active_project_count"]),
                    "projects_closed_count": int(window["projects_closed_count"].sum()),
                    "projects_closed_on_time_count": int(window["projects_closed_on_time_count"].sum()),
                    "planned_cost_to_date_amount": float(last["planned_cost_to_date_amount"]),
                    "actual_cost_to_date_amount": float(last["actual_cost_to_date_amount"]),
                    "planned_benefit": float(last["planned_benefit_to_date_amount"]),
                    "actual_benefit": float(last["actual_benefit_to_date_amount"]),
                    "risk_exposure_amount": float(last["risk_exposure_amount"]),
                    "red_project_count": int(last["red_project_count"]),
                    "amber_project_count": int(last["amber_project_count"]),
                    "green_project_count": int(last["green_project_count"]),
                    "capacity_hours": None,
                    "actual_hours": None,
                }
            )
    month_capacity = capacity[capacity["month_start_date"] == as_of_month] if not capacity.empty else capacity
    summed = (
        "active_project_count",
        "projects_closed_count",
        "projects_closed_on_time_count",
        "planned_cost_to_date_amount",
        "actual_cost_to_date_amount",
        "planned_benefit",
        "actual_benefit",
        "risk_exposure_amount",
        "red_project_count",
        "amber_project_count",
        "green_project_count",
    )
    total_row = {key: sum(r[key] for r in rows) for key in summed}
    total_row.update(
        is_total=True,
        portfolio_name="All portfolios",
        capacity_hours=total(month_capacity["capacity_hours"]) if not month_capacity.empty else None,
        actual_hours=total(month_capacity["actual_hours"]) if not month_capacity.empty else None,
    )
    out = []
    for row in [*rows, total_row]:
        variance = row["actual_cost_to_date_amount"] - row["planned_cost_to_date_amount"]
        out.append(
            {
                **{k: row[k] for k in summed if k not in ("planned_benefit", "actual_benefit")},
                "is_total": row["is_total"],
                "portfolio_name": row["portfolio_name"],
                "month_start_date": as_of_month,
                "period_end_date": as_of,
                "is_partial_month": True,
                "on_time_window_start_date": window_start,
                "on_time_delivery_rate": ratio(row["projects_closed_on_time_count"], row["projects_closed_count"]),
                "budget_variance_amount": variance,
                "budget_variance_ratio": ratio(variance, row["planned_cost_to_date_amount"]),
                "benefit_realization_ratio": ratio(row["actual_benefit"], row["planned_benefit"]),
                "capacity_hours": row["capacity_hours"],
                "actual_hours": row["actual_hours"],
                "capacity_utilization": ratio(row["actual_hours"], row["capacity_hours"]),
                "as_of_date": as_of,
            }
        )
    return pd.DataFrame(out, dtype=object, columns=HEADLINE_COLUMNS)


# --------------------------------------------------------------------------------------------
# kpi_cost_reconciliation
# --------------------------------------------------------------------------------------------

RECONCILIATION_COLUMNS = [
    "project_id",
    "month_start_date",
    "expense_type",
    "planned_amount",
    "servicenow_actual_amount",
    "gl_actual_amount",
    "gl_line_count",
    "gl_vs_plan_amount",
    "servicenow_vs_gl_amount",
    "servicenow_vs_gl_ratio",
    "tolerance_amount",
    "is_reconciled",
    "is_partial_month",
    "as_of_date",
]
RECONCILIATION_TOLERANCE_RATIO = 0.01
RECONCILIATION_TOLERANCE_AMOUNT = 100.0


def cost_reconciliation(facts: Facts) -> pd.DataFrame:
    """kpi_cost_reconciliation: project × month × expense type through the as-of month, with a
    cost plan breakdown (plan, ServiceNow's actual) or a GL line (the GL actual).

    Reading: the tolerance is the larger of 1 % of the GL actual's absolute value (the GL is the
    system of record) and 100; a project that is not a ServiceNow project (a breakdown's unknown
    task, a GL WBS that maps to none) is the unknown project, project_id NULL; a GL line with no
    FX rate is a reject, not an actual.
    """
    v = facts.kpi_vars
    known = set(facts.projects["sys_id"])
    number = dict(zip(facts.projects["sys_id"], facts.projects["project_id"]))
    cells: dict[tuple[str | None, date, str | None], dict[str, float]] = defaultdict(
        lambda: {"planned": 0.0, "servicenow": 0.0, "gl": 0.0, "lines": 0}
    )

    def key(project: str | None, month: date, expense_type: str | None) -> tuple:
        return (number.get(project) if project in known else None, month, expense_type or None)

    for project, month, expense_type, cost, actual in zip(
        facts.plan["project"],
        facts.plan["month"],
        facts.plan["expense_type"],
        facts.plan["cost"],
        facts.plan["servicenow_actual"],
    ):
        if month > v.as_of_month:
            continue
        cell = cells[key(project, month, expense_type)]
        cell["planned"] += float(cost)
        cell["servicenow"] += float(actual)
    for project, month, expense_type, amount in zip(
        facts.gl["project"], facts.gl["month"], facts.gl["expense_type"], facts.gl["amount"]
    ):
        cell = cells[key(project, month, expense_type)]
        cell["gl"] += float(amount)
        cell["lines"] += 1
    rows = []
    for (project_id, month, expense_type), cell in cells.items():
        difference = cell["servicenow"] - cell["gl"]
        tolerance = max(RECONCILIATION_TOLERANCE_RATIO * abs(cell["gl"]), RECONCILIATION_TOLERANCE_AMOUNT)
        rows.append(
            {
                "project_id": project_id,
                "month_start_date": month,
                "expense_type": expense_type,
                "planned_amount": cell["planned"],
                "servicenow_actual_amount": cell["servicenow"],
                "gl_actual_amount": cell["gl"],
                "gl_line_count": cell["lines"],
                "gl_vs_plan_amount": cell["gl"] - cell["planned"],
                "servicenow_vs_gl_amount": difference,
                "servicenow_vs_gl_ratio": ratio(difference, cell["gl"]),
                "tolerance_amount": tolerance,
                "is_reconciled": abs(difference) <= tolerance,
                "is_partial_month": month == v.as_of_month,
                "as_of_date": v.as_of,
            }
        )
    return pd.DataFrame(rows, dtype=object, columns=RECONCILIATION_COLUMNS)


# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------


@dataclass
class OracleResult:
    facts: Facts
    scorecard: pd.DataFrame
    portfolio_summary: pd.DataFrame
    capacity_utilization: pd.DataFrame
    delivery_flow: pd.DataFrame
    budget_vs_actual: pd.DataFrame
    benefits_realization: pd.DataFrame
    risk_heatmap: pd.DataFrame
    prioritization: pd.DataFrame
    headline: pd.DataFrame
    cost_reconciliation: pd.DataFrame


def compute_all(world: WorldFrames, kpi_vars: KpiVars) -> OracleResult:
    facts = build_facts(world, kpi_vars)
    summary = portfolio_summary(facts)
    capacity = capacity_utilization(facts)
    return OracleResult(
        facts=facts,
        scorecard=project_scorecard(world, facts),
        portfolio_summary=summary,
        capacity_utilization=capacity,
        delivery_flow=delivery_flow(world, kpi_vars),
        budget_vs_actual=budget_vs_actual(facts),
        benefits_realization=benefits_realization(facts),
        risk_heatmap=risk_heatmap(facts),
        prioritization=prioritization(facts),
        headline=headline(summary, capacity, kpi_vars.as_of),
        cost_reconciliation=cost_reconciliation(facts),
    )
