"""The governance oracle: docs/kpis.md "Governance" recomputed from the simulated world's own records.

Like ``kpi_oracle`` (whose loaders and small helpers it uses), this module never reads the warehouse:
it reads the world file the simulators serve from, and was written from docs/kpis.md alone. A single
full sync lands one version of every record, so "the warehouse's own history" of a demand or a time
sheet is, here, the world's current record (its ``sys_updated_on`` dates it).

One function per mart, each returning a DataFrame whose columns carry the mart's column names:

- ``stage_gates`` → ``fct_stage_gate`` and ``kpi_stage_gates``;
- ``demand_pipeline`` → ``kpi_demand_pipeline``;
- ``timesheet_compliance`` → ``kpi_timesheet_compliance`` and its department × month rollup;
- ``vendor_performance`` → ``kpi_vendor_performance`` and ``kpi_vendor_concentration``;
- ``dependency_risk`` → ``kpi_dependency_risk`` (and the scorecard's ``at_risk_dependency_count``).

The small rules (``is_gate_late``, ``sheet_deadline``, ``is_sheet_late``, ``demand_events``,
``top_vendor_share``, ``is_dependency_at_risk``) are pure functions the unit tests pin down on
hand-made cases. Where docs/kpis.md leaves room, the reading is written next to the code as
``Reading:``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from oracle.kpi_oracle import (
    DONE,
    PROJECT_STATE_LABELS,
    Facts,
    FxRates,
    KpiVars,
    WorldFrames,
    _changes_by_issue,
    add_months,
    build_facts,
    counted_month_end,
    epoch_ms_of_day,
    gl_month,
    is_missing,
    iso_week_start,
    latest_health,
    month_start,
    months_from_to,
    parse_date,
    parse_number,
    quantile_cont,
    ratio,
    status_at,
    task_to_project,
    total,
    weekdays_between,
)

CLOSED_TASK_STATES = frozenset({"3", "4", "7"})
SUBMITTED_SHEET_STATES = frozenset({"submitted", "approved", "processed", "rejected"})
OPEN_DEMAND_STATES = frozenset({"submitted", "screening", "qualified"})
LADDER = {"submitted": 1, "screening": 2, "qualified": 3, "approved": 4}
LADDER_EVENTS = (("screened", 2), ("qualified", 3), ("approved", 4), ("converted", 5))
UNKNOWN_VENDOR = ("-1", "Unknown")
DEFAULT_GRACE_DAYS = 2


def parse_timestamp(text: str | None) -> datetime | None:
    """A glide_date_time (UTC, naive) or None for ``""``."""
    if text is None or is_missing(text) or str(text).strip() == "":
        return None
    return datetime.fromisoformat(str(text).strip().replace(" ", "T"))


# --------------------------------------------------------------------------------------------
# Rules (pure)
# --------------------------------------------------------------------------------------------


def is_gate_late(planned_gate: date | None, actual_gate: date | None) -> bool | None:
    """A passed gate is late when it passed after its planned day (on the day is on time)."""
    if actual_gate is None or planned_gate is None:
        return None
    return actual_gate > planned_gate


def is_gate_overdue(planned_gate: date | None, closed: date | None, day: date) -> bool:
    """Overdue at the end of ``day``: planned before it and the phase not closed by it."""
    return planned_gate is not None and planned_gate < day and (closed is None or closed > day)


def sheet_deadline(week_start: date, grace_days: int = DEFAULT_GRACE_DAYS) -> datetime:
    """Monday 00:00 UTC of the sheet's week + 7 days + the grace days."""
    return datetime.combine(week_start, datetime.min.time()) + timedelta(days=7 + grace_days)


def is_sheet_late(submitted_at: datetime | None, week_start: date, grace_days: int = DEFAULT_GRACE_DAYS) -> bool | None:
    """Late: submitted after the deadline (at the deadline itself is on time); None if not submitted."""
    if submitted_at is None:
        return None
    return submitted_at > sheet_deadline(week_start, grace_days)


def demand_events(submitted: date | None, versions: Sequence[tuple[date, str, str]]) -> list[tuple[str, date]]:
    """The dated events of one demand from its source submission date and its landed versions
    ``(version date, state, project)``: the ladder submitted → screening → qualified → approved →
    converted dates each stage by the first version at it or beyond; rejected and deferred by the
    first version in that state. Each event once."""
    events: list[tuple[str, date]] = []
    if submitted is not None:
        events.append(("submitted", submitted))
    ordered = sorted(versions, key=lambda v: v[0])

    def rank(state: str, project: str) -> int:
        if project or state == "completed":
            return 5
        return LADDER.get(state, 0)

    for event, needed in LADDER_EVENTS:
        dates = [day for day, state, project in ordered if rank(state, project) >= needed]
        if dates:
            events.append((event, min(dates)))
    for exit_state in ("rejected", "deferred"):
        dates = [day for day, state, _ in ordered if state == exit_state]
        if dates:
            events.append((exit_state, min(dates)))
    return events


def top_vendor_share(spend_by_vendor: Mapping[str, float], top: int = 5) -> tuple[float, float | None, float | None]:
    """(top-``top`` spend, its share, the largest vendor's share) of one portfolio-month; vendors
    ranked by spend, ties to the lower vendor id."""
    ranked = sorted(spend_by_vendor.items(), key=lambda item: (-item[1], item[0]))
    whole = sum(spend_by_vendor.values())
    top_spend = sum(amount for _, amount in ranked[:top])
    largest = ranked[0][1] if ranked else None
    return top_spend, ratio(top_spend, whole) if ranked else None, ratio(largest, whole) if ranked else None


def is_dependency_at_risk(
    blocker_health: str | None, blocker_planned_end: date | None, blocked_work_start: date | None
) -> bool:
    """At risk: the blocker is red, or it is planned to end after the blocked work is planned to start."""
    if blocker_health == "red":
        return True
    return (
        blocker_planned_end is not None and blocked_work_start is not None and blocker_planned_end > blocked_work_start
    )


# --------------------------------------------------------------------------------------------
# Stage gates
# --------------------------------------------------------------------------------------------

STAGE_GATE_COLUMNS = [
    "project_id",
    "phase_task_id",
    "phase",
    "phase_type",
    "phase_order",
    "state",
    "project_phase",
    "project_state",
    "planned_start_date",
    "planned_gate_date",
    "actual_start_date",
    "actual_gate_date",
    "closed_date",
    "is_started",
    "is_closed",
    "is_passed",
    "slip_days",
    "is_passed_late",
    "days_in_phase",
    "is_overdue",
    "days_overdue",
    "as_of_date",
]
KPI_STAGE_GATE_COLUMNS = [
    "portfolio_name",
    "phase",
    "month_start_date",
    "gates_due_count",
    "gates_passed_count",
    "gates_passed_late_count",
    "on_time_gate_ratio",
    "gates_overdue_count",
    "median_days_in_phase",
    "p85_days_in_phase",
    "is_partial_month",
    "as_of_date",
]


def phase_name(short_description: str) -> str:
    """``Design phase`` → ``Design`` (a trailing word "phase", any case)."""
    words = str(short_description).strip().split()
    if len(words) > 1 and words[-1].lower() == "phase":
        words = words[:-1]
    return " ".join(words)


def fct_stage_gate(world: WorldFrames, facts: Facts) -> pd.DataFrame:
    as_of = facts.kpi_vars.as_of
    projects = facts.projects
    tasks = world.table(
        "pm_project_task",
        "number",
        "short_description",
        "top_task",
        "state",
        "start_date",
        "end_date",
        "work_start",
        "work_end",
        "phase_type",
    )
    rows = []
    for t in tasks.to_dict("records"):
        if not t["phase_type"] or t["top_task"] not in projects.index:
            continue
        project = projects.loc[t["top_task"]]
        closed_state = str(t["state"]) in CLOSED_TASK_STATES
        closed = (parse_date(t["work_end"]) or project["work_end"]) if closed_state else None
        start = parse_date(t["work_start"])
        started = start is not None and start <= as_of
        is_closed = closed is not None and closed <= as_of
        passed = is_closed and str(t["state"]) == "3"
        planned_gate = parse_date(t["end_date"])
        actual_gate = closed if passed else None
        if started and is_closed:
            days_in_phase = (closed - start).days
        elif started:
            days_in_phase = (as_of - start).days
        else:
            days_in_phase = None
        overdue = is_gate_overdue(planned_gate, closed if is_closed else None, as_of)
        rows.append(
            {
                "project_sys_id": t["top_task"],
                "portfolio_name": project["portfolio_name"],
                "project_id": project["project_id"],
                "phase_task_id": t["number"],
                "phase": phase_name(t["short_description"]),
                "phase_type": t["phase_type"],
                "state": PROJECT_STATE_LABELS.get(str(t["state"])),
                "project_phase": project["phase"],
                "project_state": project["state"],
                "planned_start_date": parse_date(t["start_date"]),
                "planned_gate_date": planned_gate,
                "actual_start_date": start if started else None,
                "actual_gate_date": actual_gate,
                "closed_date": closed if is_closed else None,
                "is_started": started,
                "is_closed": is_closed,
                "is_passed": passed,
                "slip_days": (actual_gate - planned_gate).days if passed and planned_gate else None,
                "is_passed_late": is_gate_late(planned_gate, actual_gate) if passed else None,
                "days_in_phase": days_in_phase,
                "is_overdue": overdue,
                "days_overdue": (as_of - planned_gate).days if overdue else None,
                "as_of_date": as_of,
            }
        )
    frame = pd.DataFrame(rows, dtype=object)
    if frame.empty:
        return pd.DataFrame(columns=["project_sys_id", "portfolio_name", *STAGE_GATE_COLUMNS])
    # phase_order: by planned start, then planned end (missing ones last), then task number
    far = date.max
    frame["_order"] = [
        (s or far, g or far, n)
        for s, g, n in zip(frame["planned_start_date"], frame["planned_gate_date"], frame["phase_task_id"])
    ]
    frame["phase_order"] = 0
    for _, group in frame.groupby("project_sys_id"):
        for position, index in enumerate(sorted(group.index, key=lambda i: frame.at[i, "_order"]), start=1):
            frame.at[index, "phase_order"] = position
    return frame.drop(columns="_order")


def kpi_stage_gates(gates: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per portfolio × phase × month. Reading: gates of projects without a portfolio are left out."""
    as_of_month = month_start(as_of)
    rows = []
    gates = gates[gates["portfolio_name"].map(lambda n: not is_missing(n))]
    for portfolio, own in gates.groupby("portfolio_name"):
        months = [
            month_start(d)
            for d in list(own["planned_gate_date"]) + list(own["actual_gate_date"])
            if d is not None and not is_missing(d)
        ]
        if not months or min(months) > as_of_month:
            continue
        for phase in sorted(set(own["phase"])):
            phase_gates = own[own["phase"] == phase].to_dict("records")
            for month in months_from_to(min(months), as_of):
                cutoff = counted_month_end(month, as_of)
                passed = [
                    g
                    for g in phase_gates
                    if g["actual_gate_date"] is not None and month_start(g["actual_gate_date"]) == month
                ]
                late = sum(1 for g in passed if g["is_passed_late"])
                days = [g["days_in_phase"] for g in passed if g["days_in_phase"] is not None]
                rows.append(
                    {
                        "portfolio_name": portfolio,
                        "phase": phase,
                        "month_start_date": month,
                        "gates_due_count": sum(
                            1
                            for g in phase_gates
                            if g["planned_gate_date"] is not None and month_start(g["planned_gate_date"]) == month
                        ),
                        "gates_passed_count": len(passed),
                        "gates_passed_late_count": late,
                        "on_time_gate_ratio": ratio(len(passed) - late, len(passed)),
                        "gates_overdue_count": sum(
                            1 for g in phase_gates if is_gate_overdue(g["planned_gate_date"], g["closed_date"], cutoff)
                        ),
                        "median_days_in_phase": quantile_cont(days, 0.5),
                        "p85_days_in_phase": quantile_cont(days, 0.85),
                        "is_partial_month": month == as_of_month,
                        "as_of_date": as_of,
                    }
                )
    return pd.DataFrame(rows, columns=KPI_STAGE_GATE_COLUMNS, dtype=object)


# --------------------------------------------------------------------------------------------
# Demand intake
# --------------------------------------------------------------------------------------------

DEMAND_PIPELINE_COLUMNS = [
    "portfolio_name",
    "month_start_date",
    "submitted_count",
    "screened_count",
    "qualified_count",
    "approved_count",
    "rejected_count",
    "deferred_count",
    "converted_count",
    "decided_count",
    "approval_ratio",
    "median_days_to_decision",
    "open_backlog_count",
    "open_backlog_estimated_cost_amount",
    "open_backlog_effort_hours",
    "median_open_age_days",
    "p85_open_age_days",
    "uncommitted_capacity_hours",
    "backlog_capacity_ratio",
    "is_partial_month",
    "as_of_date",
]
EVENT_COLUMNS = {
    "submitted": "submitted_count",
    "screened": "screened_count",
    "qualified": "qualified_count",
    "approved": "approved_count",
    "rejected": "rejected_count",
    "deferred": "deferred_count",
    "converted": "converted_count",
}


def uncommitted_capacity(world: WorldFrames, facts: Facts) -> dict[str, float]:
    """Portfolio name → free capacity of the twelve calendar months after the as-of month."""
    as_of = facts.kpi_vars.as_of
    first = add_months(as_of, 1)
    last = add_months(as_of, 13) - timedelta(days=1)
    window_days = weekdays_between(first, last)
    users = world.table("sys_user", "active", "u_weekly_capacity_hours")
    free: dict[str, float] = {}
    committed: dict[str, float] = defaultdict(float)
    for plan in world.table("resource_plan", "user", "start_date", "end_date", "planned_hours", "state").to_dict(
        "records"
    ):
        if plan["state"] not in ("confirmed", "allocated", "completed"):
            continue
        start, end, hours = (
            parse_date(plan["start_date"]),
            parse_date(plan["end_date"]),
            parse_number(plan["planned_hours"]),
        )
        if start is None or end is None or not hours or weekdays_between(start, end) == 0:
            continue
        per_day = hours / weekdays_between(start, end)
        committed[plan["user"]] += per_day * weekdays_between(max(start, first), min(end, last))
    for u in users.to_dict("records"):
        capacity = parse_number(u["u_weekly_capacity_hours"])
        if u["active"] != "true" or not capacity or capacity <= 0:
            continue
        free[u["sys_id"]] = max(capacity / 5 * window_days - committed.get(u["sys_id"], 0.0), 0.0)
    # whose free time: shares of each person's counted hours over the last twelve months
    since = add_months(as_of, -11)
    portfolio_of = {
        sys_id: name for sys_id, name in zip(facts.projects["sys_id"], facts.projects["portfolio_name"]) if name
    }
    booked: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for user, project, day, hours in zip(
        facts.hours["user"], facts.hours["project"], facts.hours["day"], facts.hours["hours"]
    ):
        if since <= day <= as_of and project in portfolio_of:
            booked[user][portfolio_of[project]] += hours
    capacity_by_portfolio: dict[str, float] = defaultdict(float)
    for user, by_portfolio in booked.items():
        whole = sum(by_portfolio.values())
        if user not in free or whole == 0:
            continue
        for portfolio, hours in by_portfolio.items():
            capacity_by_portfolio[portfolio] += free[user] * hours / whole
    return dict(capacity_by_portfolio)


def demand_pipeline(world: WorldFrames, facts: Facts) -> pd.DataFrame:
    as_of = facts.kpi_vars.as_of
    as_of_month = month_start(as_of)
    portfolio_name = dict(zip(facts.portfolios["sys_id"], facts.portfolios["name"]))
    demands = []
    for d in world.table(
        "dmn_demand", "portfolio", "state", "submitted_date", "project", "u_estimated_cost", "u_estimated_effort_hours"
    ).to_dict("records"):
        version = (parse_date(d["sys_updated_on"]), d["state"], d["project"])
        submitted = parse_date(d["submitted_date"])
        demands.append(
            {
                # Reading: a demand naming no (known) portfolio is in the Unknown portfolio
                "portfolio": portfolio_name.get(d["portfolio"]) or "Unknown",
                "submitted": submitted,
                "version": version,
                "cost": parse_number(d["u_estimated_cost"]),
                "effort": parse_number(d["u_estimated_effort_hours"]),
                "events": [(e, day) for e, day in demand_events(submitted, [version]) if day <= as_of],
            }
        )
    capacity = uncommitted_capacity(world, facts)
    rows = []
    for portfolio in sorted({d["portfolio"] for d in demands}):
        own = [d for d in demands if d["portfolio"] == portfolio]
        submitted_months = [month_start(d["submitted"]) for d in own if d["submitted"] and d["submitted"] <= as_of]
        if not submitted_months:
            continue
        for month in months_from_to(min(submitted_months), as_of):
            cutoff = counted_month_end(month, as_of)
            counts = dict.fromkeys(EVENT_COLUMNS.values(), 0)
            decision_days = []
            for d in own:
                for event, day in d["events"]:
                    if month_start(day) != month:
                        continue
                    counts[EVENT_COLUMNS[event]] += 1
                    if event in ("approved", "rejected", "deferred") and d["submitted"] is not None:
                        decision_days.append((day - d["submitted"]).days)
            backlog = []
            for d in own:
                if d["submitted"] is None or d["submitted"] > cutoff:
                    continue
                version_day, state, project = d["version"]
                # Reading (docs "open"): no version that old means still waiting
                if version_day > cutoff or (state in OPEN_DEMAND_STATES and not project):
                    backlog.append(d)
            decided = counts["approved_count"] + counts["rejected_count"] + counts["deferred_count"]
            ages = [(cutoff - d["submitted"]).days for d in backlog]
            effort = total(d["effort"] for d in backlog)
            is_as_of_month = month == as_of_month
            free = capacity.get(portfolio, 0.0) if is_as_of_month else None
            rows.append(
                {
                    "portfolio_name": portfolio,
                    "month_start_date": month,
                    **counts,
                    "decided_count": decided,
                    "approval_ratio": ratio(counts["approved_count"], decided),
                    "median_days_to_decision": quantile_cont(decision_days, 0.5),
                    "open_backlog_count": len(backlog),
                    "open_backlog_estimated_cost_amount": total(d["cost"] for d in backlog),
                    "open_backlog_effort_hours": effort,
                    "median_open_age_days": quantile_cont(ages, 0.5),
                    "p85_open_age_days": quantile_cont(ages, 0.85),
                    "uncommitted_capacity_hours": free,
                    "backlog_capacity_ratio": ratio(effort, free) if is_as_of_month else None,
                    "is_partial_month": is_as_of_month,
                    "as_of_date": as_of,
                }
            )
    return pd.DataFrame(rows, columns=DEMAND_PIPELINE_COLUMNS, dtype=object)


# --------------------------------------------------------------------------------------------
# Timesheet compliance
# --------------------------------------------------------------------------------------------

TIMESHEET_COLUMNS = [
    "resource_id",
    "resource_name",
    "department",
    "week_start_date",
    "deadline_at",
    "time_sheet_state",
    "submitted_at",
    "is_expected",
    "has_time_sheet",
    "is_due",
    "is_submitted",
    "is_on_time",
    "is_late",
    "is_missing",
    "is_rejected",
    "is_recalled",
    "hours_logged",
    "capacity_hours",
    "hours_vs_capacity_ratio",
    "is_partial_week",
    "as_of_date",
]
TIMESHEET_DEPARTMENT_COLUMNS = [
    "department",
    "month_start_date",
    "expected_count",
    "due_count",
    "submitted_on_time_count",
    "submitted_late_count",
    "missing_count",
    "rejected_count",
    "recalled_count",
    "on_time_ratio",
    "missing_ratio",
    "hours_logged",
    "capacity_hours",
    "hours_vs_capacity_ratio",
    "is_partial_month",
    "as_of_date",
]


def timesheet_compliance(world: WorldFrames, facts: Facts, grace_days: int = DEFAULT_GRACE_DAYS) -> pd.DataFrame:
    as_of = facts.kpi_vars.as_of
    end_of_as_of = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    as_of_week = iso_week_start(as_of)
    sheets = {}
    for s in world.table("time_sheet", "user", "week_starts_on", "state", "u_submitted_on").to_dict("records"):
        week = parse_date(s["week_starts_on"])
        if s["user"] and week is not None:
            sheets[(s["user"], week)] = s
    sheet_weeks = [week for _, week in sheets if week <= as_of_week]
    if not sheet_weeks:
        return pd.DataFrame(columns=TIMESHEET_COLUMNS)
    weeks = []
    week = min(sheet_weeks)
    while week <= as_of_week:
        weeks.append(week)
        week += timedelta(days=7)
    users = {
        u["sys_id"]: u
        for u in world.table(
            "sys_user", "user_name", "name", "active", "u_weekly_capacity_hours", "department"
        ).to_dict("records")
    }
    department_of = dict(zip(facts.users["sys_id"], facts.users["department"]))
    person_weeks = {(user, week) for (user, week) in sheets if week in set(weeks)}
    expected = set()
    for sys_id, u in users.items():
        capacity = parse_number(u["u_weekly_capacity_hours"])
        if u["active"] != "true" or not capacity or capacity <= 0:
            continue
        created_week = iso_week_start(parse_date(u["sys_created_on"]))
        expected |= {(sys_id, week) for week in weeks if week >= created_week}
    person_weeks |= expected
    # hours entered, any card state, by day through as_of
    logged: dict[tuple[str, date], float] = defaultdict(float)
    for card in world.table(
        "time_card",
        "user",
        "week_starts_on",
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    ).to_dict("records"):
        monday = parse_date(card["week_starts_on"])
        for offset, day_field in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        ):
            hours = parse_number(card[day_field])
            if hours and monday + timedelta(days=offset) <= as_of:
                logged[(card["user"], iso_week_start(monday + timedelta(days=offset)))] += hours
    rows = []
    for user, week in sorted(person_weeks):
        sheet = sheets.get((user, week))
        u = users.get(user, {})
        state = sheet["state"] if sheet else None
        submitted_at = None
        if sheet and state in SUBMITTED_SHEET_STATES:
            # Reading: u_submitted_on, else the (one) landed version no longer pending
            submitted_at = parse_timestamp(sheet["u_submitted_on"]) or parse_timestamp(sheet["sys_updated_on"])
            if submitted_at is not None and submitted_at >= end_of_as_of:
                submitted_at = None
        deadline = sheet_deadline(week, grace_days)
        is_submitted = submitted_at is not None
        is_due = deadline < end_of_as_of
        is_expected = (user, week) in expected
        capacity = parse_number(u.get("u_weekly_capacity_hours", ""))
        days = 5 if week < as_of_week else min(as_of.isoweekday(), 5)
        capacity_hours = None if capacity is None else capacity / 5 * days
        hours = logged.get((user, week), 0.0)
        rows.append(
            {
                "resource_id": u.get("user_name"),
                "resource_name": u.get("name"),
                "department": department_of.get(user) or "Unknown",
                "week_start_date": week,
                "deadline_at": deadline,
                "time_sheet_state": state,
                "submitted_at": submitted_at,
                "is_expected": is_expected,
                "has_time_sheet": sheet is not None,
                "is_due": is_due,
                "is_submitted": is_submitted,
                "is_on_time": is_submitted and not is_sheet_late(submitted_at, week, grace_days),
                "is_late": is_submitted and bool(is_sheet_late(submitted_at, week, grace_days)),
                "is_missing": is_expected and not is_submitted and is_due,
                "is_rejected": is_submitted and state == "rejected",
                "is_recalled": state == "recalled",
                "hours_logged": hours,
                "capacity_hours": capacity_hours,
                "hours_vs_capacity_ratio": ratio(hours, capacity_hours),
                "is_partial_week": week == as_of_week,
                "as_of_date": as_of,
            }
        )
    return pd.DataFrame(rows, columns=TIMESHEET_COLUMNS, dtype=object)


def timesheet_by_department(person_weeks: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Department × month (a week in the month of its Monday); counts over expected weeks."""
    rows = []
    frame = person_weeks.assign(month=[month_start(w) for w in person_weeks["week_start_date"]])
    for (department, month), group in frame.groupby(["department", "month"]):
        g = group[group["is_expected"].astype(bool)]
        due = int((g["is_due"].astype(bool)).sum())
        on_time = int((g["is_due"].astype(bool) & g["is_on_time"].astype(bool)).sum())
        missing = int(g["is_missing"].astype(bool).sum())
        hours, capacity = total(group["hours_logged"]), total(group["capacity_hours"])
        rows.append(
            {
                "department": department,
                "month_start_date": month,
                "expected_count": len(g),
                "due_count": due,
                "submitted_on_time_count": on_time,
                "submitted_late_count": int(g["is_late"].astype(bool).sum()),
                "missing_count": missing,
                "rejected_count": int(g["is_rejected"].astype(bool).sum()),
                "recalled_count": int(g["is_recalled"].astype(bool).sum()),
                "on_time_ratio": ratio(on_time, due),
                "missing_ratio": ratio(missing, due),
                "hours_logged": hours,
                "capacity_hours": capacity,
                "hours_vs_capacity_ratio": ratio(hours, capacity),
                "is_partial_month": month == month_start(as_of),
                "as_of_date": as_of,
            }
        )
    return pd.DataFrame(rows, columns=TIMESHEET_DEPARTMENT_COLUMNS, dtype=object)


# --------------------------------------------------------------------------------------------
# Vendors
# --------------------------------------------------------------------------------------------

VENDOR_COLUMNS = [
    "vendor_id",
    "vendor_name",
    "month_start_date",
    "capex_amount",
    "opex_amount",
    "spend_amount",
    "line_count",
    "project_count",
    "portfolio_count",
    "share_of_month_spend_ratio",
    "cumulative_spend_amount",
    "red_amber_project_spend_amount",
    "is_partial_month",
    "as_of_date",
]
CONCENTRATION_COLUMNS = [
    "portfolio_name",
    "month_start_date",
    "vendor_count",
    "spend_amount",
    "top_5_vendor_spend_amount",
    "top_5_vendor_share_ratio",
    "largest_vendor_share_ratio",
    "is_partial_month",
    "as_of_date",
]


def vendor_lines(world: WorldFrames, facts: Facts) -> pd.DataFrame:
    """GL lines through the as-of month that convert, with vendor, project, portfolio and health."""
    as_of = facts.kpi_vars.as_of
    fx = FxRates(world.fx, facts.kpi_vars.reporting_currency)
    wbs_to_project = {wbs: s for s, wbs in zip(facts.projects["sys_id"], facts.projects["wbs_code"]) if wbs}
    portfolio_of = dict(zip(facts.projects["sys_id"], facts.projects["portfolio_name"]))
    health = {s: latest_health(facts.status, s, as_of) for s in facts.projects["sys_id"]}
    rows = []
    for line in world.gl.to_dict("records"):
        month = gl_month(line["fiscal_year"], line["fiscal_period"])
        rate = fx.rate(line["currency"], month)
        if month > month_start(as_of) or rate is None:
            continue
        project = wbs_to_project.get(line["wbs_code"])
        rows.append(
            {
                "vendor_id": line["vendor_id"] or UNKNOWN_VENDOR[0],
                "posting_date": line["posting_date"],
                "vendor_name": line["vendor_name"] if line["vendor_id"] else UNKNOWN_VENDOR[1],
                "month": month,
                "expense_type": str(line["expense_type"]).lower(),
                "amount": float(line["amount"]) * rate,
                "project": project,
                "portfolio": portfolio_of.get(project) if project else None,
                "health": health.get(project) if project else None,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "vendor_id",
            "posting_date",
            "vendor_name",
            "month",
            "expense_type",
            "amount",
            "project",
            "portfolio",
            "health",
        ],
    )


def vendor_performance(world: WorldFrames, facts: Facts) -> pd.DataFrame:
    as_of = facts.kpi_vars.as_of
    lines = vendor_lines(world, facts)
    month_totals = lines.groupby("month")["amount"].sum().to_dict()
    # the name on the vendor's latest posting (over every GL line)
    names = {}
    for line in sorted(world.gl.to_dict("records"), key=lambda r: r["posting_date"]):
        if line["vendor_id"]:
            names[line["vendor_id"]] = line["vendor_name"]
    names[UNKNOWN_VENDOR[0]] = UNKNOWN_VENDOR[1]
    rows = []
    for vendor, own in lines.groupby("vendor_id"):
        cumulative = 0.0
        for month in months_from_to(min(own["month"]), as_of):
            m = own[own["month"] == month]
            spend = total(m["amount"])
            cumulative += spend
            rows.append(
                {
                    "vendor_id": vendor,
                    "vendor_name": names.get(vendor),
                    "month_start_date": month,
                    "capex_amount": total(m.loc[m["expense_type"] == "capex", "amount"]),
                    "opex_amount": total(m.loc[m["expense_type"] == "opex", "amount"]),
                    "spend_amount": spend,
                    "line_count": len(m),
                    "project_count": m["project"].dropna().nunique(),
                    "portfolio_count": m["portfolio"].dropna().nunique(),
                    "share_of_month_spend_ratio": ratio(spend, month_totals.get(month)),
                    "cumulative_spend_amount": cumulative,
                    "red_amber_project_spend_amount": total(m.loc[m["health"].isin(["red", "amber"]), "amount"]),
                    "is_partial_month": month == month_start(as_of),
                    "as_of_date": as_of,
                }
            )
    return pd.DataFrame(rows, columns=VENDOR_COLUMNS, dtype=object)


def vendor_concentration(world: WorldFrames, facts: Facts) -> pd.DataFrame:
    as_of = facts.kpi_vars.as_of
    lines = vendor_lines(world, facts)
    lines = lines[lines["portfolio"].map(lambda p: not is_missing(p))]
    rows = []
    for portfolio, own in lines.groupby("portfolio"):
        for month in months_from_to(min(own["month"]), as_of):
            by_vendor = own[own["month"] == month].groupby("vendor_id")["amount"].sum().to_dict()
            top_spend, top_share, largest_share = top_vendor_share(by_vendor)
            rows.append(
                {
                    "portfolio_name": portfolio,
                    "month_start_date": month,
                    "vendor_count": len(by_vendor),
                    "spend_amount": total(by_vendor.values()),
                    "top_5_vendor_spend_amount": top_spend,
                    "top_5_vendor_share_ratio": top_share,
                    "largest_vendor_share_ratio": largest_share,
                    "is_partial_month": month == month_start(as_of),
                    "as_of_date": as_of,
                }
            )
    return pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS, dtype=object)


# --------------------------------------------------------------------------------------------
# Cross-project dependencies
# --------------------------------------------------------------------------------------------

DEPENDENCY_COLUMNS = [
    "blocked_project_id",
    "blocked_project_name",
    "blocked_portfolio_name",
    "blocking_project_id",
    "blocking_project_name",
    "blocking_portfolio_name",
    "open_jira_link_count",
    "open_task_dependency_count",
    "open_dependency_count",
    "blocker_overall_health",
    "blocker_planned_end_date",
    "blocker_baseline_end_date",
    "blocker_schedule_slip_days",
    "blocked_planned_start_date",
    "blocked_work_planned_start_date",
    "is_at_risk",
    "as_of_date",
]


@dataclass(frozen=True)
class Dependency:
    blocked: str  # project sys_id
    blocking: str
    source: str  # jira | servicenow
    dependency_id: str
    blocked_work_start: date | None


def open_dependencies(world: WorldFrames, facts: Facts) -> list[Dependency]:
    as_of = facts.kpi_vars.as_of
    projects = facts.projects
    found: list[Dependency] = []
    # Jira Blocks links between issues of Jira projects that stand for current projects
    project_of_key = {
        str(key).strip().upper(): sys_id for sys_id, key in zip(projects["sys_id"], projects["jira_project_key"]) if key
    }
    cutoff = epoch_ms_of_day(as_of + timedelta(days=1))
    changes = _changes_by_issue(world)
    issues = world.jira_issues.set_index("issue_id", drop=False)
    key_to_id = dict(zip(world.jira_issues["key"], world.jira_issues["issue_id"]))
    seen: set[str] = set()
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
            blocked_project = project_of_key.get(str(issue["jira_project_key"]).upper())
            blocking_project = project_of_key.get(str(other["jira_project_key"]).upper())
            if blocked_project is None or blocking_project is None or str(link.get("id")) in seen:
                continue
            if (
                world.jira_status_category.get(status_at(other["status_id"], changes.get(blocker_id, []), cutoff))
                == DONE
            ):
                continue
            seen.add(str(link.get("id")))
            found.append(
                Dependency(
                    blocked_project,
                    blocking_project,
                    "jira",
                    str(link.get("id")),
                    projects.loc[blocked_project]["planned_start_date"],
                )
            )
    # ServiceNow task dependencies across projects
    tasks = world.table("pm_project_task", "top_task", "state", "start_date", "work_end")
    to_project = task_to_project(projects, tasks)
    planned: dict[str, dict[str, Any]] = {}
    for t in tasks.to_dict("records"):
        planned[t["sys_id"]] = {
            "start": parse_date(t["start_date"]),
            "state": str(t["state"]),
            "work_end": parse_date(t["work_end"]),
        }
    for p in projects.to_dict("records"):
        planned[p["sys_id"]] = {"start": p["planned_start_date"], "state": p["state_code"], "work_end": p["work_end"]}
    for r in world.table("planned_task_rel_planned_task", "parent", "child", "sub_type").to_dict("records"):
        blocking, blocked = to_project.get(r["parent"]), to_project.get(r["child"])
        if blocking is None or blocked is None or blocking == blocked or r["parent"] not in planned:
            continue
        if parse_date(r["sys_created_on"]) > as_of:
            continue
        predecessor = planned[r["parent"]]
        closed_on = predecessor["work_end"] or projects.loc[blocking]["work_end"]
        if predecessor["state"] in CLOSED_TASK_STATES and closed_on is not None and closed_on <= as_of:
            continue
        found.append(
            Dependency(
                blocked,
                blocking,
                "servicenow",
                r["sys_id"],
                (planned.get(r["child"]) or {}).get("start"),
            )
        )
    return found


def dependency_risk(world: WorldFrames, facts: Facts) -> pd.DataFrame:
    as_of = facts.kpi_vars.as_of
    projects = facts.projects
    pairs: dict[tuple[str, str], list[Dependency]] = defaultdict(list)
    for dependency in open_dependencies(world, facts):
        pairs[(dependency.blocked, dependency.blocking)].append(dependency)
    rows = []
    for (blocked_id, blocking_id), deps in sorted(pairs.items()):
        blocked, blocking = projects.loc[blocked_id], projects.loc[blocking_id]
        starts = [d.blocked_work_start for d in deps if d.blocked_work_start is not None]
        work_start = min(starts) if starts else None
        health = latest_health(facts.status, blocking_id, as_of)
        planned_end, baseline_end = blocking["planned_end_date"], blocking["baseline_end_date"]
        rows.append(
            {
                "blocked_project_id": blocked["project_id"],
                "blocked_project_name": blocked["project_name"],
                "blocked_portfolio_name": blocked["portfolio_name"] or "Unknown",
                "blocking_project_id": blocking["project_id"],
                "blocking_project_name": blocking["project_name"],
                "blocking_portfolio_name": blocking["portfolio_name"] or "Unknown",
                "open_jira_link_count": sum(1 for d in deps if d.source == "jira"),
                "open_task_dependency_count": sum(1 for d in deps if d.source == "servicenow"),
                "open_dependency_count": len(deps),
                "blocker_overall_health": health,
                "blocker_planned_end_date": planned_end,
                "blocker_baseline_end_date": baseline_end,
                "blocker_schedule_slip_days": (planned_end - baseline_end).days
                if planned_end and baseline_end
                else None,
                "blocked_planned_start_date": blocked["planned_start_date"],
                "blocked_work_planned_start_date": work_start,
                "is_at_risk": is_dependency_at_risk(health, planned_end, work_start),
                "as_of_date": as_of,
            }
        )
    return pd.DataFrame(rows, columns=DEPENDENCY_COLUMNS, dtype=object)


def at_risk_dependency_counts(risk: pd.DataFrame, project_ids: Iterable[str]) -> dict[str, int]:
    """The scorecard's ``at_risk_dependency_count``: at-risk pairs per blocked project (0 if none)."""
    counts = dict.fromkeys(project_ids, 0)
    for blocked, at_risk in zip(risk["blocked_project_id"], risk["is_at_risk"]):
        if at_risk:
            counts[blocked] = counts.get(blocked, 0) + 1
    return counts


# --------------------------------------------------------------------------------------------
# Everything at once
# --------------------------------------------------------------------------------------------


@dataclass
class GovernanceResult:
    stage_gate: pd.DataFrame
    stage_gates: pd.DataFrame
    demand_pipeline: pd.DataFrame
    timesheet_compliance: pd.DataFrame
    timesheet_by_department: pd.DataFrame
    vendor_performance: pd.DataFrame
    vendor_concentration: pd.DataFrame
    dependency_risk: pd.DataFrame
    at_risk_dependency_count: dict[str, int]


def compute_governance(
    world: WorldFrames, kpi_vars: KpiVars, facts: Facts | None = None, grace_days: int = DEFAULT_GRACE_DAYS
) -> GovernanceResult:
    facts = facts or build_facts(world, kpi_vars)
    gates = fct_stage_gate(world, facts)
    sheets = timesheet_compliance(world, facts, grace_days)
    risk = dependency_risk(world, facts)
    return GovernanceResult(
        stage_gate=gates[STAGE_GATE_COLUMNS] if not gates.empty else gates,
        stage_gates=kpi_stage_gates(gates, kpi_vars.as_of),
        demand_pipeline=demand_pipeline(world, facts),
        timesheet_compliance=sheets,
        timesheet_by_department=timesheet_by_department(sheets, kpi_vars.as_of),
        vendor_performance=vendor_performance(world, facts),
        vendor_concentration=vendor_concentration(world, facts),
        dependency_risk=risk,
        at_risk_dependency_count=at_risk_dependency_counts(risk, facts.projects["project_id"]),
    )
