"""Project plans: the lifecycle of every pm_project and the records that hang off it.

A project's whole story is decided up front from its own random stream: planned dates, when it
really started and ended (or will end), how its cost runs against plan. The ServiceNow records
(project, demand, tasks and milestones, baselines, cost and benefit plans, risks, status reports)
are then written as the state of that story at the world clock.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from simulators.world.organisation import COMPANIES, Company, Department, Organisation, Portfolio
from simulators.world.seeding import stream, sys_id
from simulators.world.store import INSERT_SN, RowBuffer, glide_date, glide_datetime, sn_row
from simulators.world.timeline import Timeline, add_months, at, month_end, month_start, months_between

VERBS = (
    "Modernise",
    "Migrate",
    "Consolidate",
    "Automate",
    "Replace",
    "Upgrade",
    "Launch",
    "Rebuild",
    "Integrate",
    "Digitise",
    "Harden",
    "Scale",
    "Retire",
    "Standardise",
    "Optimise",
    "Deliver",
)
OBJECTS = (
    "Payments Platform",
    "CRM",
    "Data Warehouse",
    "Mobile App",
    "Identity Management",
    "Customer Portal",
    "ERP Finance",
    "Network Core",
    "HR Onboarding",
    "Service Desk Tooling",
    "Billing Engine",
    "Supplier Portal",
    "Document Management",
    "Analytics Platform",
    "Contact Centre",
    "E-commerce Checkout",
    "Cloud Landing Zone",
    "Backup Infrastructure",
    "Pricing Engine",
    "Field Service App",
    "Loyalty Programme",
    "Order Management",
    "Regulatory Reporting",
    "Email Platform",
    "Access Reviews",
    "Treasury System",
)
PHASES = ("Initiate", "Design", "Build", "Test", "Deploy")
PHASE_SHARES = (0.1, 0.3, 0.7, 0.88, 1.0)  # planned end of each phase as a share of the plan

# ServiceNow state codes (docs/contract.md §3.3)
PENDING, OPEN, WIP, CLOSED_COMPLETE, CLOSED_INCOMPLETE, CLOSED_SKIPPED = "-5", "1", "2", "3", "4", "7"
CLOSED_STATES = (CLOSED_COMPLETE, CLOSED_INCOMPLETE, CLOSED_SKIPPED)
HEALTH_ORDER = ("green", "yellow", "red")


@dataclass
class Milestone:
    sys_id: str
    phase_sys_id: str
    name: str
    baseline_end: date
    current_end: date
    actual_end: date  # when it is (or will be) reached on the project's real timeline


@dataclass
class ProjectPlan:
    """One project's story: what was planned, what really happens, what it costs."""

    index: int
    sys_id: str
    number: str
    name: str
    portfolio: Portfolio
    program_sys_id: str
    department: Department
    manager: int
    execution_type: str
    jira_key: str
    wbs: str
    company: Company
    state: str
    phase: str
    approval: str
    created: datetime
    approved_at: datetime | None
    plan_start: date
    baseline_end: date
    current_end: date
    has_baseline: bool
    rebaseline_at: datetime | None
    work_start: datetime | None
    work_end: datetime | None
    true_end: date | None
    percent_complete: int
    # actual burn rate / planned burn rate, for as long as the work really runs
    cost_factor: float
    capex_share: float
    scores: dict[str, str]
    priority: str
    # month -> planned (capex, opex) in reporting currency, over the current plan
    planned: dict[date, tuple[float, float]] = field(default_factory=dict)
    # month -> actual spend (capex, opex) in reporting currency, up to the anchor month
    spend: dict[date, tuple[float, float]] = field(default_factory=dict)
    phase_tasks: list[tuple[str, date, date]] = field(default_factory=list)  # sys_id, actual start/end
    milestones: list[Milestone] = field(default_factory=list)
    # what the demand estimated before any replan or cut-back (reporting currency)
    estimated_cost: float = 0.0

    @property
    def started(self) -> bool:
        return self.work_start is not None

    @property
    def budget(self) -> float:
        return sum(c + o for c, o in self.planned.values())

    def progress_at(self, day: date) -> float:
        """Share of the work done by ``day`` (0–1) on the project's real timeline."""
        if self.work_start is None or self.true_end is None:
            return 0.0
        total = max(1, (self.true_end - self.work_start.date()).days)
        share = (day - self.work_start.date()).days / total
        if self.state == CLOSED_INCOMPLETE and self.work_end is not None:
            share = min(share, self.percent_complete / 100)
        return max(0.0, min(1.0, share))


def _project_name(index: int) -> str:
    verb = VERBS[index % len(VERBS)]
    obj = OBJECTS[(index // len(VERBS) + index * 7) % len(OBJECTS)]
    wave = index // (len(VERBS) * len(OBJECTS))
    return f"{verb} {obj}" + (f" Wave {wave + 1}" if wave else "")


def _jira_key(name: str, taken: set[str], rng: random.Random) -> str:
    words = [w for w in name.replace("-", " ").split() if w[0].isalpha()]
    candidates = ["".join(w[0] for w in words).upper()[:5]]
    candidates += [words[0][:n].upper() for n in (3, 4, 5)]
    candidates += [(words[0][:2] + words[-1][:2]).upper(), (words[0][:3] + words[-1][:1]).upper()]
    for candidate in candidates:
        if 2 <= len(candidate) <= 5 and candidate.isalpha() and candidate not in taken:
            taken.add(candidate)
            return candidate
    while True:
        candidate = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(3, 5)))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _business_time(rng: random.Random, day: date, latest: datetime) -> datetime:
    moment = at(day, rng.randint(8 * 3600, 18 * 3600))
    return min(moment, latest)


def special_lifecycle(index: int) -> str:
    """The rare lifecycle a project index is given on purpose: one project in 25 of each kind."""
    return ("stalled", "skipped", "cancelled")[index % 25 // 8] if index % 25 in (2, 10, 18) else ""


def keeps_portfolio_running(index: int, portfolios: int) -> bool:
    """Whether this project is its portfolio's guaranteed running one.

    Projects are dealt to portfolios in turn (index mod the portfolio count); each portfolio's
    first project without a special lifecycle is in work at the anchor, so no portfolio ever
    shows nothing active.
    """
    candidate = index % portfolios
    while special_lifecycle(candidate):
        candidate += portfolios
    return candidate == index


def plan_project(
    seed: int,
    index: int,
    timeline: Timeline,
    org: Organisation,
    team_budget: float,
    taken_keys: set[str],
) -> ProjectPlan:
    """Decide one project's whole story from its own random stream."""
    rng = stream(seed, "project", index)
    anchor, latest = timeline.anchor, timeline.latest
    history_start = timeline.history_start
    span = (add_months(anchor, 6) - history_start).days
    plan_start = history_start + timedelta(days=rng.randint(0, span))
    # Every world, however small, has each rare lifecycle: one project in 25 of each kind.
    special = special_lifecycle(index)
    running = keeps_portfolio_running(index, len(org.portfolios))
    if special:
        plan_start = history_start + timedelta(days=rng.randint(30, span // 3))
    elif running:
        plan_start = max(history_start, anchor - timedelta(days=rng.randint(45, 240)))
    months = rng.randint(4, 16)
    if running:
        # Long enough to be still in work at the anchor whatever its start and pace.
        months = max(months, (anchor - plan_start).days // 30 + 4)
    baseline_end = plan_start + timedelta(days=int(months * 30.4))
    name = _project_name(index)
    portfolio = org.portfolios[index % len(org.portfolios)]  # dealt round, so portfolios are alike in size
    program = "" if rng.random() < 0.2 or not portfolio.programs else rng.choice(portfolio.programs).sys_id
    department = org.departments[rng.randrange(len(org.departments))]
    roll = rng.random()
    execution_type = "agile" if roll < 0.45 else "hybrid" if roll < 0.65 else "waterfall"
    company = rng.choices(COMPANIES, weights=[c.share for c in COMPANIES])[0]
    scores = {
        key: str(rng.randint(1, 10))
        for key in (
            "u_strategic_alignment",
            "u_business_value",
            "u_time_criticality",
            "u_risk_reduction",
            "u_job_size",
        )
    }
    roll = rng.random()
    state, approval = OPEN, "approved"
    work_start = work_end = None
    true_end: date | None = None
    percent = 0
    cancel_share = 1.0
    if plan_start > anchor + timedelta(days=30):
        if roll < 0.5:
            state, approval = PENDING, rng.choice(("not requested", "requested"))
    elif special == "stalled":
        state, approval = PENDING, "requested"  # stuck at the gate
    elif special == "skipped" or not running and roll < 0.03 and plan_start < anchor - timedelta(days=30):
        state = CLOSED_SKIPPED
        work_end = _business_time(rng, plan_start + timedelta(days=rng.randint(0, 25)), latest)
    else:
        start_day = plan_start + timedelta(days=rng.randint(-10, 14))
        if at(start_day, 9 * 3600) < latest - timedelta(days=1):
            work_start = _business_time(rng, start_day, latest - timedelta(days=1))
            roll = rng.random()
            factor = (
                rng.uniform(0.85, 0.97)
                if roll < 0.25
                else rng.uniform(0.97, 1.03)
                if roll < 0.55
                else rng.uniform(1.05, 1.5)
            )
            true_end = work_start.date() + timedelta(days=int((baseline_end - plan_start).days * factor))
            cancel_roll = rng.random()
            if (special == "cancelled" or cancel_roll < 0.06 and not running) and work_start.date() + timedelta(
                days=60
            ) < anchor:
                cancel_share = rng.uniform(0.3, 0.8)
                cancel_day = work_start.date() + timedelta(days=int((true_end - work_start.date()).days * cancel_share))
                if cancel_day < anchor:
                    state = CLOSED_INCOMPLETE
                    work_end = _business_time(rng, cancel_day, latest)
                    percent = int(cancel_share * 90)
            if state == OPEN:
                if true_end < anchor:
                    state = CLOSED_COMPLETE
                    work_end = _business_time(rng, true_end, latest)
                    percent = 100
                else:
                    state = WIP
                    elapsed = (anchor - work_start.date()).days
                    percent = max(1, min(97, round(100 * elapsed / max(1, (true_end - work_start.date()).days))))
    if state == PENDING:
        phase = "initiating"
    elif state == OPEN:
        phase = "planning"
    elif state == WIP:
        phase = "executing" if percent < 70 else "delivering"
    else:
        phase = "closing"

    approved_at = None
    created_day = plan_start - timedelta(days=rng.randint(60, 150))
    if state != PENDING:
        approved_at = _business_time(rng, plan_start - timedelta(days=rng.randint(14, 45)), latest - timedelta(days=2))
        created_day = min(created_day, approved_at.date() - timedelta(days=7))
    created = _business_time(rng, min(created_day, anchor - timedelta(days=3)), latest - timedelta(days=3))
    if approved_at is not None and approved_at <= created:
        approved_at = created + timedelta(hours=2)

    has_baseline = state not in (PENDING,) and rng.random() < 0.88 and approved_at is not None
    current_end = baseline_end
    rebaseline_at = None
    if work_start is not None and true_end is not None and true_end > baseline_end + timedelta(days=20):
        when = work_start + timedelta(days=int((true_end - work_start.date()).days * rng.uniform(0.35, 0.6)))
        stop = work_end or latest
        if when < stop and rng.random() < 0.75:
            current_end = true_end + timedelta(days=rng.randint(-10, 20))
            if has_baseline:
                rebaseline_at = min(when, latest)
    plan = ProjectPlan(
        index=index,
        sys_id=sys_id(seed, "pm_project", index),
        number=f"PRJ{10001 + index:07d}",
        name=name,
        portfolio=portfolio,
        program_sys_id=program,
        department=department,
        manager=org.project_managers[rng.randrange(len(org.project_managers))],
        execution_type=execution_type,
        jira_key="",
        wbs=f"WBS-{10001 + index * 3}",
        company=company,
        state=state,
        phase=phase,
        approval=approval,
        created=created,
        approved_at=approved_at,
        plan_start=plan_start,
        baseline_end=baseline_end,
        current_end=current_end,
        has_baseline=has_baseline,
        rebaseline_at=rebaseline_at,
        work_start=work_start,
        work_end=work_end,
        true_end=true_end if state != CLOSED_INCOMPLETE else (work_end.date() if work_end else None),
        percent_complete=percent,
        cost_factor=_cost_factor(rng),
        capex_share=0.0 if rng.random() < 0.3 else rng.uniform(0.3, 0.7),
        scores=scores,
        priority=str(rng.randint(1, 5)),
    )
    if execution_type != "waterfall" or rng.random() < 0.1:
        # Its own stream: which keys are taken must not change anything else about the project.
        plan.jira_key = _jira_key(name, taken_keys, stream(seed, "jira-key", index))

    # Planned cost per month over the current plan; actual spend per month of real work.
    monthly = team_budget * rng.uniform(1.2, 1.9)
    plan_first, plan_last = plan_start, current_end
    if special == "stalled":
        # Stuck at the gate: finance moved the budget to a replanned start a few months ahead.
        plan_first = add_months(anchor, rng.randint(1, 3))
        plan_last = plan.current_end = plan_first + (current_end - plan_start)
    for month in months_between(plan_first, plan_last):
        # A month the plan only partly covers gets its share of the days.
        covered = (min(month_end(month), plan_last) - max(month, plan_first)).days + 1
        share = covered / ((month_end(month) - month).days + 1)
        total = monthly * share * rng.uniform(0.9, 1.1)
        plan.planned[month] = (round(total * plan.capex_share, 2), round(total * (1 - plan.capex_share), 2))
    plan.estimated_cost = plan.budget
    if state == CLOSED_SKIPPED:
        plan.planned = {}  # closed before it started: the cost plan was withdrawn
    if work_start is not None and true_end is not None:
        # Work burns at the planned rate times the cost factor, eased a little by the real pace:
        # over its whole run a project costs about plan × cost factor × stretch^0.7 (stretch = real
        # / planned duration), so one running late spends a little slower to date and overruns at
        # the end. A cancelled one stops spending while its plan runs on.
        stretch = max(1, (true_end - work_start.date()).days) / max(1, (current_end - plan_start).days)
        plan.cost_factor *= stretch**-0.3
        last_day = min(work_end.date() if work_end else anchor, anchor)
        for month in months_between(work_start.date(), last_day):
            first = max(month, work_start.date())
            last = min(month_end(month), last_day)
            active = ((last - first).days + 1) / ((month_end(month) - month).days + 1)
            total = monthly * plan.cost_factor * rng.uniform(0.9, 1.1) * active
            capex = total * max(0.0, min(1.0, plan.capex_share + rng.uniform(-0.05, 0.05))) if plan.capex_share else 0.0
            plan.spend[month] = (capex, total - capex)
    return plan


def _cost_factor(rng: random.Random) -> float:
    """Actual burn rate / planned burn rate: mostly on plan, some overruns, a few under-runs."""
    roll = rng.random()
    if roll < 0.68:
        return rng.uniform(0.94, 1.06)
    if roll < 0.88:
        return rng.uniform(1.08, 1.3)
    return rng.uniform(0.82, 0.93)


@dataclass
class Counters:
    """Running record numbers (PRJTASK…, RISK…): unique across the world, in generation order."""

    task: int = 0
    risk: int = 0
    status: int = 0
    demand: int = 0


def _stamp(body: dict[str, str], created: datetime, updated: datetime) -> dict[str, str]:
    body["sys_created_on"] = glide_datetime(created)
    body["sys_updated_on"] = glide_datetime(max(created, updated))
    return body


def _dt(day: date, hour: int) -> str:
    return f"{day.isoformat()} {hour:02d}:00:00"


def write_project_records(
    seed: int,
    plan: ProjectPlan,
    timeline: Timeline,
    org: Organisation,
    rows: RowBuffer,
    counters: Counters,
    sn_actuals: dict[date, tuple[float, float]],
) -> None:
    """Write the project and everything ServiceNow keeps about it.

    ``sn_actuals`` is ServiceNow's own view of the monthly actuals (from expense lines), close to
    the GL but not equal; only months that ended before the clock have one.
    """
    rng = stream(seed, "project-records", plan.index)
    latest = timeline.latest
    now_month = month_start(timeline.now.date())
    people = org.people
    _write_tasks(seed, plan, timeline, rows, counters, rng)
    last_event = plan.approved_at or plan.created
    for moment in (plan.work_start, plan.work_end, plan.rebaseline_at):
        if moment is not None:
            last_event = max(last_event, moment)
    if plan.state == WIP:
        last_event = max(last_event, latest - timedelta(days=rng.randint(0, 6), seconds=rng.randint(0, 30000)))

    # Cost plans and their monthly breakdown (none once a plan was withdrawn)
    work_cost = 0.0
    for expense_type, slot in (("capex", 0), ("opex", 1)):
        if slot == 0 and plan.capex_share == 0 or not plan.planned:
            continue
        plan_id = sys_id(seed, "cost_plan", f"{plan.index}|{expense_type}")
        created = plan.approved_at or plan.created
        total = 0.0
        last_update = created
        for month, amounts in sorted(plan.planned.items()):
            actual = ""
            updated = created
            if month < now_month:
                value = sn_actuals.get(month, (0.0, 0.0))[slot]
                actual = f"{value:.2f}"
                work_cost += value
                updated = max(created, min(at(add_months(month, 1), 2 * 3600 + rng.randint(0, 20000)), latest))
            last_update = max(last_update, updated)
            total += amounts[slot]
            body = {
                "sys_id": sys_id(seed, "cost_plan_breakdown", f"{plan_id}|{month}"),
                "cost_plan": plan_id,
                "task": plan.sys_id,
                "fiscal_period": org.fiscal_months[month],
                "cost": f"{amounts[slot]:.2f}",
                "actual": actual,
            }
            rows.add(INSERT_SN, sn_row("cost_plan_breakdown", _stamp(body, created, updated)))
        body = {
            "sys_id": plan_id,
            "name": f"{plan.number} {expense_type} plan",
            "task": plan.sys_id,
            "expense_type": expense_type,
            "total_planned_cost": f"{total:.2f}",
        }
        rows.add(INSERT_SN, sn_row("cost_plan", _stamp(body, created, created)))
        last_event = max(last_event, last_update)

    body = {
        "sys_id": plan.sys_id,
        "number": plan.number,
        "short_description": plan.name,
        "portfolio": plan.portfolio.sys_id,
        "program": plan.program_sys_id,
        "project_manager": people[plan.manager].sys_id,
        "department": plan.department.sys_id,
        "state": plan.state,
        "phase": plan.phase,
        "priority": plan.priority,
        "execution_type": plan.execution_type,
        "start_date": _dt(plan.plan_start, 8),
        "end_date": _dt(plan.current_end, 17),
        "work_start": glide_datetime(plan.work_start) if plan.work_start else "",
        "work_end": glide_datetime(plan.work_end) if plan.work_end else "",
        "percent_complete": str(plan.percent_complete),
        "cost": f"{sum(c + o for c, o in plan.planned.values()):.2f}",
        "work_cost": f"{work_cost:.2f}",
        "approval": plan.approval,
        "u_jira_project_key": plan.jira_key,
        "u_wbs_code": plan.wbs,
        **plan.scores,
    }
    rows.add(INSERT_SN, sn_row("pm_project", _stamp(body, plan.created, min(last_event, latest))))

    _write_demand(seed, plan, timeline, rows, counters, rng)
    _write_baselines(seed, plan, rows, timeline.latest)
    _write_benefits(seed, plan, timeline, org, rows, rng)
    _write_risks(seed, plan, timeline, rows, counters, rng)
    _write_status_reports(seed, plan, timeline, rows, counters, rng)


def _write_tasks(
    seed: int,
    plan: ProjectPlan,
    timeline: Timeline,
    rows: RowBuffer,
    counters: Counters,
    rng: random.Random,
) -> None:
    if plan.state == PENDING:
        return
    latest = timeline.latest
    base_days = (plan.baseline_end - plan.plan_start).days
    current_days = (plan.current_end - plan.plan_start).days
    current_prev = plan.plan_start
    actual_prev = plan.work_start.date() if plan.work_start else None
    real_days = (plan.true_end - plan.work_start.date()).days if plan.work_start and plan.true_end else 0
    if plan.state == CLOSED_INCOMPLETE and plan.work_start is not None:
        real_days = int(real_days / max(0.01, plan.percent_complete / 90))
    created = plan.approved_at or plan.created
    for position, (phase, share) in enumerate(zip(PHASES, PHASE_SHARES, strict=True)):
        counters.task += 1
        task_id = sys_id(seed, "pm_project_task", f"{plan.index}|{phase}")
        base_end = plan.plan_start + timedelta(days=int(base_days * share))
        current_end = plan.plan_start + timedelta(days=int(current_days * share))
        actual_end = None
        if actual_prev is not None:
            actual_end = plan.work_start.date() + timedelta(days=int(real_days * share) + rng.randint(-6, 6))
            actual_end = max(actual_end, actual_prev)
        done_by = plan.work_end.date() if plan.work_end else timeline.anchor
        if plan.state == CLOSED_COMPLETE and actual_end is not None:
            # a project closes complete with its last phase: no phase outlives it
            actual_end = min(actual_end, done_by)
        started = actual_prev is not None and actual_prev <= done_by and at(actual_prev, 9 * 3600) < latest
        finished = started and actual_end is not None and actual_end <= done_by and at(actual_end, 16 * 3600) < latest
        if plan.state == CLOSED_INCOMPLETE and not finished:
            state = CLOSED_INCOMPLETE
        elif finished:
            state = CLOSED_COMPLETE
        elif started:
            state = WIP
        else:
            state = OPEN if plan.state != CLOSED_SKIPPED else CLOSED_SKIPPED
        percent = 100 if finished else 0
        if state == WIP and actual_end is not None and actual_prev is not None:
            span = max(1, (actual_end - actual_prev).days)
            percent = max(1, min(95, round(100 * (timeline.anchor - actual_prev).days / span)))
        work_start = at(actual_prev, 9 * 3600) if started else None
        work_end = at(actual_end, 16 * 3600) if finished else None
        updated = max(m for m in (created, work_start, work_end, plan.rebaseline_at) if m is not None)
        body = {
            "sys_id": task_id,
            "number": f"PRJTASK{10000 + counters.task:07d}",
            "short_description": f"{phase} phase",
            "top_task": plan.sys_id,
            "parent": plan.sys_id,
            "milestone": "false",
            "state": state,
            "start_date": _dt(current_prev, 8),
            "end_date": _dt(current_end, 17),
            "work_start": glide_datetime(work_start) if work_start else "",
            "work_end": glide_datetime(work_end) if work_end else "",
            "percent_complete": str(percent),
            # a top-level task of a waterfall plan: a phase, whose end is a stage gate
            "phase_type": "waterfall",
        }
        rows.add(INSERT_SN, sn_row("pm_project_task", _stamp(body, created, min(updated, latest))))
        if actual_prev is not None and actual_end is not None:
            plan.phase_tasks.append((task_id, actual_prev, actual_end))
        else:
            plan.phase_tasks.append((task_id, current_prev, current_end))
        if position > 0:
            counters.task += 1
            milestone_id = sys_id(seed, "pm_project_task", f"{plan.index}|{phase}|milestone")
            reached = at(actual_end, 15 * 3600) if finished and actual_end else None
            body = {
                "sys_id": milestone_id,
                "number": f"PRJTASK{10000 + counters.task:07d}",
                "short_description": f"{phase} complete",
                "top_task": plan.sys_id,
                "parent": task_id,
                "milestone": "true",
                "state": CLOSED_COMPLETE if reached else state if state in CLOSED_STATES else OPEN,
                "start_date": _dt(current_end, 17),
                "end_date": _dt(current_end, 17),
                "work_start": glide_datetime(reached) if reached else "",
                "work_end": glide_datetime(reached) if reached else "",
                "percent_complete": "100" if reached else "0",
                "phase_type": "",
            }
            updated = max(m for m in (created, reached, plan.rebaseline_at) if m is not None)
            rows.add(INSERT_SN, sn_row("pm_project_task", _stamp(body, created, min(updated, latest))))
            plan.milestones.append(
                Milestone(milestone_id, task_id, phase, base_end, current_end, actual_end or current_end)
            )
        current_prev = current_end
        if actual_end is not None:
            actual_prev = actual_end


def _write_baselines(seed: int, plan: ProjectPlan, rows: RowBuffer, latest: datetime) -> None:
    if not plan.has_baseline or plan.approved_at is None:
        return
    first = min(plan.approved_at + timedelta(days=3), latest)
    versions = [("Initial baseline", first, plan.baseline_end, True)]
    if plan.rebaseline_at is not None:
        when = max(plan.rebaseline_at, first + timedelta(hours=1))
        if when <= latest:
            versions.append((f"Re-baseline {when:%Y-%m-%d}", when, plan.current_end, False))
    for number, (name, created, end, original) in enumerate(versions):
        baseline_id = sys_id(seed, "planned_task_baseline", f"{plan.index}|{number}")
        body = {"sys_id": baseline_id, "name": name, "task": plan.sys_id}
        rows.add(INSERT_SN, sn_row("planned_task_baseline", _stamp(body, created, created)))
        items = [(plan.sys_id, plan.plan_start, end, 8)]
        for milestone in plan.milestones:
            milestone_end = milestone.baseline_end if original else milestone.current_end
            items.append((milestone.sys_id, milestone_end, milestone_end, 17))
        for task, first, last, hour in items:
            body = {
                "sys_id": sys_id(seed, "planned_task_baseline_item", f"{baseline_id}|{task}"),
                "baseline": baseline_id,
                "task": task,
                "start_date": _dt(first, hour),
                "end_date": _dt(last, 17),
            }
            rows.add(INSERT_SN, sn_row("planned_task_baseline_item", _stamp(body, created, created)))


def _write_demand(
    seed: int,
    plan: ProjectPlan,
    timeline: Timeline,
    rows: RowBuffer,
    counters: Counters,
    rng: random.Random,
) -> None:
    if rng.random() > 0.65:
        return
    counters.demand += 1
    key = f"project|{plan.index}"
    submitted = plan.created - timedelta(days=rng.randint(20, 90))
    state = "approved" if plan.state in (PENDING, OPEN) else "completed"
    if plan.state == PENDING and plan.approval == "not requested":
        state = "qualified"
    body = {
        "sys_id": sys_id(seed, "dmn_demand", f"project|{plan.index}"),
        "number": f"DMND{10000 + counters.demand:07d}",
        "short_description": plan.name,
        "portfolio": plan.portfolio.sys_id,
        "state": state,
        "submitted_date": glide_datetime(submitted),
        "project": plan.sys_id if state != "qualified" else "",
        "u_estimated_cost": f"{plan.estimated_cost * rng.uniform(0.8, 1.2):.2f}",
        "u_estimated_benefit": f"{plan.estimated_cost * rng.uniform(1.0, 3.0):.2f}",
        **{name: str(max(1, min(10, int(value) + rng.randint(-1, 1)))) for name, value in plan.scores.items()},
    }
    body["u_estimated_effort_hours"] = estimated_effort_hours(seed, key, float(body["u_estimated_cost"]))
    rows.add(INSERT_SN, sn_row("dmn_demand", _stamp(body, submitted - timedelta(days=3), plan.created)))


def estimated_effort_hours(seed: int, key: str, estimated_cost: float) -> str:
    """The demand's estimated effort in hours: its cost at a blended rate of its own stream (so that
    adding it drew nothing from the streams every other field comes from)."""
    rate = stream(seed, "demand-effort", key).uniform(85.0, 130.0)
    return f"{estimated_cost / rate:.1f}"


def write_open_demands(
    seed: int, count: int, timeline: Timeline, org: Organisation, rows: RowBuffer, counters: Counters
) -> None:
    """Demands still in the intake pipeline (or turned down): no project yet."""
    rng = stream(seed, "open-demands")
    states = ("draft", "submitted", "screening", "qualified", "approved", "deferred", "rejected")
    weights = (1, 3, 3, 3, 1, 1, 1)
    for index in range(count):
        counters.demand += 1
        state = rng.choices(states, weights=weights)[0]
        created = timeline.latest - timedelta(days=rng.randint(2, 400), seconds=rng.randint(0, 80000))
        submitted = "" if state == "draft" else glide_datetime(created + timedelta(days=rng.randint(0, 10)))
        updated = min(timeline.latest, created + timedelta(days=rng.randint(0, 60)))
        cost = rng.uniform(80_000, 2_500_000)
        body = {
            "sys_id": sys_id(seed, "dmn_demand", f"open|{index}"),
            "number": f"DMND{10000 + counters.demand:07d}",
            "short_description": f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} (proposal)",
            "portfolio": org.portfolios[rng.randrange(len(org.portfolios))].sys_id,
            "state": state,
            "submitted_date": submitted,
            "project": "",
            "u_estimated_cost": f"{cost:.2f}",
            "u_estimated_benefit": f"{cost * rng.uniform(0.6, 3.5):.2f}",
            **{
                key: str(rng.randint(1, 10))
                for key in (
                    "u_strategic_alignment",
                    "u_business_value",
                    "u_time_criticality",
                    "u_risk_reduction",
                    "u_job_size",
                )
            },
        }
        if submitted and submitted > glide_datetime(updated):
            updated = created + timedelta(days=11)
        body["u_estimated_effort_hours"] = estimated_effort_hours(
            seed, f"open|{index}", float(body["u_estimated_cost"])
        )
        rows.add(INSERT_SN, sn_row("dmn_demand", _stamp(body, created, min(updated, timeline.latest))))


def _write_benefits(
    seed: int,
    plan: ProjectPlan,
    timeline: Timeline,
    org: Organisation,
    rows: RowBuffer,
    rng: random.Random,
) -> None:
    if plan.state in (PENDING, CLOSED_SKIPPED) or rng.random() > 0.85:
        return
    monetary = rng.random() < 0.8
    plan_id = sys_id(seed, "benefit_plan", plan.index)
    created = plan.approved_at or plan.created
    body = {
        "sys_id": plan_id,
        "name": f"{plan.number} {'cost savings' if monetary else 'customer satisfaction'}",
        "task": plan.sys_id,
        "benefit_type": "monetary" if monetary else "non_monetary",
    }
    rows.add(INSERT_SN, sn_row("benefit_plan", _stamp(body, created, created)))
    months = rng.randint(12, 24)
    total = plan.budget * (rng.uniform(1.2, 3.0) if rng.random() < 0.85 else rng.uniform(0.6, 1.0))
    if not monetary:
        total = rng.uniform(50, 500)
    per_month = total / months
    first = add_months(plan.current_end, 1)
    last_fiscal = max(org.fiscal_months)
    now_month = month_start(timeline.now.date())
    go_live = plan.work_end.date() if plan.state == CLOSED_COMPLETE and plan.work_end else None
    realisation = rng.uniform(0.5, 1.2)
    for offset in range(months):
        month = add_months(first, offset)
        if month > last_fiscal:
            break
        actual = ""
        updated = created
        if month < now_month:
            value = 0.0
            if go_live is not None and month > go_live:
                value = per_month * realisation * rng.uniform(0.85, 1.15)
            actual = f"{value:.2f}"
            updated = max(created, min(at(add_months(month, 1), 3 * 3600 + rng.randint(0, 20000)), timeline.latest))
        body = {
            "sys_id": sys_id(seed, "benefit_plan_breakdown", f"{plan_id}|{month}"),
            "benefit_plan": plan_id,
            "task": plan.sys_id,
            "fiscal_period": org.fiscal_months[month],
            "planned_benefit": f"{per_month:.2f}",
            "actual_benefit": actual,
        }
        rows.add(INSERT_SN, sn_row("benefit_plan_breakdown", _stamp(body, created, updated)))


RISK_TITLES = (
    "Key supplier delivers late",
    "Integration partner lacks capacity",
    "Data migration quality",
    "Regulatory requirements change",
    "Key staff leave",
    "Performance targets not met",
    "Licence costs rise",
    "Security findings delay go-live",
    "Business adoption is slow",
)


def _write_risks(
    seed: int,
    plan: ProjectPlan,
    timeline: Timeline,
    rows: RowBuffer,
    counters: Counters,
    rng: random.Random,
) -> None:
    if plan.state == CLOSED_SKIPPED:
        return
    for number in range(rng.randint(0, 5)):
        counters.risk += 1
        created = plan.created + timedelta(days=rng.randint(1, 60), seconds=rng.randint(0, 30000))
        if created >= timeline.latest:
            continue
        if plan.state in CLOSED_STATES:
            state = rng.choice(("closed", "closed", "retired"))
        elif plan.state == WIP:
            state = rng.choices(("open", "monitoring", "mitigating", "closed"), weights=(45, 20, 20, 15))[0]
        else:
            state = "open"
        updated = created + timedelta(days=rng.randint(0, 200))
        if plan.work_end and state in ("closed", "retired"):
            updated = max(updated, plan.work_end)
        body = {
            "sys_id": sys_id(seed, "risk", f"{plan.index}|{number}"),
            "number": f"RISK{10000 + counters.risk:07d}",
            "short_description": rng.choice(RISK_TITLES),
            "task": plan.sys_id,
            "probability": str(rng.randint(1, 5)),
            "impact": str(rng.randint(1, 5)),
            "estimated_cost": f"{max(1000.0, plan.budget * rng.uniform(0.01, 0.15)):.2f}",
            "state": state,
        }
        rows.add(INSERT_SN, sn_row("risk", _stamp(body, created, min(updated, timeline.latest))))


def health_colour(gap: float, yellow: float, red: float) -> str:
    """green / yellow / red for a variance ``gap`` against thresholds."""
    return "red" if gap > red else "yellow" if gap > yellow else "green"


def worst(*colours: str) -> str:
    return max(colours, key=HEALTH_ORDER.index)


def cost_ratio_to(plan: ProjectPlan, day: date) -> float | None:
    """Actual spend / planned cost through the month of ``day`` (None without a plan to date)."""
    month = month_start(day)
    planned = sum(c + o for m, (c, o) in plan.planned.items() if m <= month)
    actual = sum(c + o for m, (c, o) in plan.spend.items() if m <= month)
    return actual / planned if planned else None


def _write_status_reports(
    seed: int,
    plan: ProjectPlan,
    timeline: Timeline,
    rows: RowBuffer,
    counters: Counters,
    rng: random.Random,
) -> None:
    if plan.work_start is None or plan.true_end is None:
        return
    stop = min(plan.work_end.date() if plan.work_end else timeline.anchor, timeline.anchor)
    day = plan.work_start.date() + timedelta(days=rng.randint(10, 20))
    duration = max(30, (plan.true_end - plan.work_start.date()).days)
    number = 0
    while day <= stop:
        progress = plan.progress_at(day)
        # The PM sees the slip grow as the project goes on.
        slip = (plan.true_end - plan.baseline_end).days / duration * progress
        schedule = health_colour(slip, 0.05, 0.15)
        ratio = cost_ratio_to(plan, day)
        cost = "green" if ratio is None else health_colour(ratio - 1, 0.05, 0.15)
        scope = rng.choices(HEALTH_ORDER, weights=(85, 12, 3))[0]
        resources = rng.choices(HEALTH_ORDER, weights=(80, 15, 5))[0]
        overall = worst(schedule, cost, "yellow" if "red" in (scope, resources) else "green")
        counters.status += 1
        created = min(at(day, 10 * 3600 + rng.randint(0, 20000)), timeline.latest)
        body = {
            "sys_id": sys_id(seed, "project_status", f"{plan.index}|{number}"),
            "number": f"PRJSTAT{10000 + counters.status:07d}",
            "project": plan.sys_id,
            "as_on": glide_date(day),
            "overall_health": overall,
            "schedule": schedule,
            "cost": cost,
            "scope": scope,
            "resources": resources,
            "percent_complete": str(round(progress * 100) if plan.state != CLOSED_COMPLETE or day < stop else 100),
        }
        updated = min(created + timedelta(seconds=rng.randint(0, 7200)), timeline.latest)
        rows.add(INSERT_SN, sn_row("project_status", _stamp(body, created, updated)))
        number += 1
        if day == stop:
            break
        day += timedelta(days=rng.choice((14, 14, 21, 28)))
        if plan.work_end is not None and day > stop:
            day = stop  # the closing report
