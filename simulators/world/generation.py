"""Generate a whole world into an open store: organisation, projects, staffing, finance, Jira.

Projects are generated one at a time in index order, each from its own random streams; their
records stream into SQLite through a ``RowBuffer``, so memory holds the organisation, the weekly
load of every person and every project's resource plans (a few MB at the large scale), and one
project's other records at a time whatever the scale. Staffing runs first, in the order projects
start (``_staff_projects``); a plan is cheap to decide again from its stream.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from simulators.world import jira_static
from simulators.world.finance import REPORTING_CURRENCY, Ledger
from simulators.world.jira_extras import ExtrasWriter, write_groups
from simulators.world.jira_world import (
    IssueWriter,
    JiraIds,
    JiraProject,
    Member,
    epoch,
    members_from,
    write_accounts,
    write_links,
)
from simulators.world.organisation import Organisation, build_organisation
from simulators.world.projects import (
    CLOSED_SKIPPED,
    PENDING,
    Counters,
    plan_project,
    write_open_demands,
    write_project_records,
)
from simulators.world.scales import Scale
from simulators.world.staffing import (
    Allocation,
    WeeklyLoad,
    allocate_team,
    load_targets,
    staffing_window,
    write_time_cards,
)
from simulators.world.store import SCHEMA_VERSION, RowBuffer, drop_secondary_indexes, dumps
from simulators.world.task_dependencies import PlannedProject, write_task_dependencies
from simulators.world.time_sheets import write_time_sheets
from simulators.world.timeline import Timeline, add_months, monday_of

DEFAULT_CREDENTIALS = {
    "jira_email": "pwh-bot@example.com",
    "jira_api_token": "sim-jira-token",
    "servicenow_user": "pwh.integration",
    "servicenow_password": "sim-servicenow-password",
}
UNMATCHED_PROJECTS = (("OPS", "Ops Guild"), ("PLAT", "Platform Community"), ("LAB", "Innovation Lab"))


def _staff_projects(
    seed: int,
    scale: Scale,
    timeline: Timeline,
    org: Organisation,
    team_budget: float,
    load: WeeklyLoad,
    rows: RowBuffer,
) -> tuple[list[int], dict[int, list[Allocation]]]:
    """Staff every project in the order their work (or plan) starts, as resource managers would.

    A project starting in March sees the people earlier projects already hold, never those that
    later ones will want, so it gets whoever is free then. Returns each project's manager (the PMO
    may have handed it to one with room) and its allocations; plans are decided again, cheaply and
    identically, from their own streams.
    """
    starts = []
    managers = []
    for index in range(scale.projects):
        plan = plan_project(seed, index, timeline, org, team_budget, set())
        managers.append(plan.manager)
        window = staffing_window(plan)
        if window is not None:
            starts.append((window[0], index))
    teams: dict[int, list[Allocation]] = {}
    plan_numbers = [0]
    for _, index in sorted(starts):
        plan = plan_project(seed, index, timeline, org, team_budget, set())
        teams[index] = allocate_team(
            seed, plan, org, load, scale.team_size, scale.allocation_shares, timeline, rows, plan_numbers
        )
        managers[index] = plan.manager
    return managers, teams


def generate_world(conn: sqlite3.Connection, scale: Scale, seed: int, anchor: date, jira_timezone: str) -> None:
    """Fill an empty store with the world of (scale, seed, anchor)."""
    timeline = Timeline(anchor, scale.history_months)
    drop_secondary_indexes(conn)
    conn.execute("pragma synchronous=off")
    conn.execute("pragma cache_size=-262144")
    conn.execute("pragma temp_store=memory")
    rows = RowBuffer(conn)
    meta = {
        "schema_version": SCHEMA_VERSION,
        "scale": scale.name,
        "seed": str(seed),
        "anchor": anchor.isoformat(),
        "now": timeline.now.isoformat(),
        "history_start": timeline.history_start.isoformat(),
        "jira_timezone": jira_timezone,
        "reporting_currency": REPORTING_CURRENCY,
        **DEFAULT_CREDENTIALS,
    }
    conn.executemany("insert into meta values (?, ?)", sorted(meta.items()))

    org = build_organisation(seed, scale, timeline, rows)
    accounts, partners, bot = write_accounts(seed, org, rows, jira_timezone)
    static = {
        "fields": jira_static.fields(),
        "statuses": jira_static.statuses(),
        "myself": jira_static.myself(bot, jira_timezone),
        "serverInfo": jira_static.server_info(),
        "issueLinkTypes": jira_static.issue_link_types(),
    }
    conn.executemany("insert into jira_static values (?, ?)", [(k, dumps(v)) for k, v in static.items()])

    ledger = Ledger(seed, scale, timeline, org, rows)
    first_monday = monday_of(timeline.history_start - timedelta(days=120))
    horizon = add_months(timeline.anchor, 36)  # past the latest real end a project can have
    load = WeeklyLoad(load_targets(seed, org), first_monday, (horizon - first_monday).days // 7 + 1)
    ids = JiraIds()
    cutoff = epoch(timeline.latest)
    extras = ExtrasWriter(seed, rows, cutoff)
    write_groups(seed, rows, list(accounts.values()), partners, bot)
    issues = IssueWriter(
        seed, rows, ids, cutoff, scale.issues_per_month, scale.worklogs_per_started_issue, extras=extras
    )
    counters = Counters()
    taken_keys = {key for key, _ in UNMATCHED_PROJECTS[: scale.unmatched_jira_projects]}
    # A month of the people a project typically asks for (140 h at $90); its plan adds the rest.
    weights = sum(weight for _, weight in scale.allocation_shares)
    team_fte = sum(scale.team_size) / 2 * sum(share * weight for share, weight in scale.allocation_shares) / weights
    team_budget = team_fte * 140 * 90
    jira_projects: list[JiraProject] = []
    managers, teams = _staff_projects(seed, scale, timeline, org, team_budget, load, rows)
    planned: list[PlannedProject] = []
    for index in range(scale.projects):
        plan = plan_project(seed, index, timeline, org, team_budget, taken_keys)
        plan.manager = managers[index]
        allocations = teams.pop(index, [])
        sn_actuals = ledger.post_project(plan)
        write_project_records(seed, plan, timeline, org, rows, counters, sn_actuals)
        if plan.state != PENDING:  # a pending project has no plan of phase tasks yet
            planned.append(PlannedProject(index, plan.portfolio.index, plan.approved_at or plan.created))
        write_time_cards(seed, plan, allocations, org, timeline, rows)
        ledger.forecast_project(plan)
        if plan.jira_key:
            if plan.work_start is not None:
                first = epoch(plan.work_start) - 14 * 86400
                last = epoch(plan.work_end) if plan.work_end else cutoff
            elif plan.state in (PENDING, CLOSED_SKIPPED):
                first = last = cutoff
            else:
                first, last = epoch(plan.plan_start) - 21 * 86400, cutoff
            windows = [(org.people[a.person], a.first, a.last) for a in allocations if a.counts]
            project = JiraProject(
                id=str(ids.project + len(jira_projects)),
                key=plan.jira_key,
                name=plan.name,
                ordinal=len(jira_projects),
                lead=accounts.get(plan.manager, bot),
                style=plan.execution_type,
                first=first,
                last=last,
                members=members_from(windows, accounts),
            )
            issues.write_project(project)
            project.members = []  # only the link sample is needed from here on
            jira_projects.append(project)

    write_open_demands(seed, max(4, scale.projects // 2), timeline, org, rows, counters)
    write_task_dependencies(seed, planned, timeline, rows)

    history_first = epoch(timeline.history_start)
    for key, name in UNMATCHED_PROJECTS[: scale.unmatched_jira_projects]:
        project = JiraProject(
            id=str(ids.project + len(jira_projects)),
            key=key,
            name=name,
            ordinal=len(jira_projects),
            lead=partners[0],
            style="hybrid",
            first=history_first + 30 * 86400,
            last=cutoff,
            members=[Member(account, history_first, cutoff) for account in partners],
        )
        issues.write_project(project)
        project.members = []
        jira_projects.append(project)
    rows.flush()
    # every time card is in the file now: each sheet's total_hours adds up its week's cards
    write_time_sheets(seed, conn, org, timeline, rows)
    rows.flush()
    write_links(seed, conn, jira_projects, ids, cutoff)
    ledger.post_unmapped()
    ledger.finalize(conn)
    rows.flush()
