"""Who works on what: resource plans per person × project, and the weekly time cards they book.

People are drawn to projects while a per-person weekly load count keeps anyone from holding more
than ``MAX_CONCURRENT`` counting allocations in a week. With each card capped at ``MAX_CARD_DAY``
hours a day, nobody ever books more than 24 hours on one day.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from simulators.organisation import Organisation, Person
from simulators.projects import CLOSED_SKIPPED, OPEN, PENDING, ProjectPlan
from simulators.seeding import stream, sys_id
from simulators.store import INSERT_SN, RowBuffer, glide_date, glide_datetime, sn_row
from simulators.timeline import Timeline, at, monday_of, weekdays_between

MAX_CONCURRENT = 3
MAX_CARD_DAY = 8.0
COUNTING_STATES = ("confirmed", "allocated", "completed")
DAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALLOCATION_SHARES = (0.2, 0.4, 0.5, 0.6, 0.8, 1.0)
ALLOCATION_WEIGHTS = (2, 3, 3, 2, 3, 4)


@dataclass(frozen=True)
class Allocation:
    """One resource plan: a person on a project from a Monday to a Friday."""

    sys_id: str
    person: int
    first: date
    last: date
    weekly_hours: float
    state: str

    @property
    def counts(self) -> bool:
        return self.state in COUNTING_STATES


class WeeklyLoad:
    """Counting allocations per person and week, over the whole calendar the world can use."""

    def __init__(self, people: int, first_monday: date, weeks: int) -> None:
        self.first_monday = first_monday
        self.weeks = weeks
        self._load = [array("b", bytes(weeks)) for _ in range(people)]

    def _span(self, first: date, last: date) -> range:
        start = max(0, (first - self.first_monday).days // 7)
        stop = min(self.weeks, (last - self.first_monday).days // 7 + 1)
        return range(start, stop)

    def fits(self, person: int, first: date, last: date) -> bool:
        load = self._load[person]
        return all(load[week] < MAX_CONCURRENT for week in self._span(first, last))

    def take(self, person: int, first: date, last: date) -> None:
        load = self._load[person]
        for week in self._span(first, last):
            load[week] += 1


def staffing_window(plan: ProjectPlan) -> tuple[date, date] | None:
    """Monday..Friday span resource plans cover: the real work, or the plan before it starts."""
    if plan.state == PENDING:
        return None
    if plan.work_start is not None:
        first = plan.work_start.date()
        last = plan.work_end.date() if plan.work_end else max(plan.current_end, plan.true_end or plan.current_end)
    else:
        first, last = plan.plan_start, plan.current_end
    first = monday_of(first)
    last = monday_of(last) + timedelta(days=4)
    return (first, last) if last > first else None


def _fit_window(person: Person, first: date, last: date) -> tuple[date, date] | None:
    if person.joined > first:
        first = monday_of(person.joined) + timedelta(days=7)
    if person.left is not None and person.left <= last:
        last = monday_of(person.left) - timedelta(days=3)
    return (first, last) if (last - first).days >= 11 else None


def allocate_team(
    seed: int, plan: ProjectPlan, org: Organisation, load: WeeklyLoad, team_size: tuple[int, int],
    timeline: Timeline, rows: RowBuffer, counter: list[int],
) -> list[Allocation]:
    """Choose the project's people and write their resource plans."""
    window = staffing_window(plan)
    if window is None:
        return []
    rng = stream(seed, "team", plan.index)
    first, last = window
    allocations: list[Allocation] = []
    members: set[int] = set()
    wanted = rng.randint(*team_size)
    home = org.delivery_by_department.get(plan.department.index, [])
    future = plan.work_start is None
    candidates_tried = 0
    while len(allocations) < wanted and candidates_tried < wanted * 8:
        candidates_tried += 1
        pool = home if home and rng.random() < 0.6 else org.delivery
        person = org.people[pool[rng.randrange(len(pool))]]
        if person.index in members:
            continue
        member_first, member_last = first, last
        weeks = (last - first).days // 7
        if weeks > 8 and rng.random() < 0.2:
            member_first = first + timedelta(days=7 * rng.randint(1, weeks // 3))
        if weeks > 8 and rng.random() < 0.15:
            member_last = last - timedelta(days=7 * rng.randint(1, weeks // 3))
        fitted = _fit_window(person, member_first, member_last)
        if fitted is None or not load.fits(person.index, *fitted):
            continue
        members.add(person.index)
        allocations.append(_allocation(seed, plan, person, fitted, future, timeline, rng))
    # The project manager books a share of their time on larger projects.
    if rng.random() < 0.5:
        manager = org.people[plan.manager]
        fitted = _fit_window(manager, first, last)
        if fitted and load.fits(manager.index, *fitted):
            allocations.append(_allocation(seed, plan, manager, fitted, future, timeline, rng, share=0.2))
    # A request that never went ahead.
    if rng.random() < 0.1 and org.delivery:
        person = org.people[org.delivery[rng.randrange(len(org.delivery))]]
        fitted = _fit_window(person, first, last)
        if fitted and person.index not in members:
            allocations.append(
                Allocation(
                    sys_id(seed, "resource_plan", f"{plan.index}|{person.index}|cancelled"),
                    person.index, fitted[0], fitted[1], 8.0, "cancelled",
                )
            )
    if plan.state == CLOSED_SKIPPED:
        allocations = [
            Allocation(a.sys_id, a.person, a.first, a.last, a.weekly_hours, "cancelled") for a in allocations
        ]
    for allocation in allocations:
        if allocation.counts:
            load.take(allocation.person, allocation.first, allocation.last)
        counter[0] += 1
        _write_resource_plan(plan, allocation, org, timeline, rows, rng, counter[0])
    return allocations


def _allocation(
    seed: int, plan: ProjectPlan, person: Person, window: tuple[date, date], future: bool,
    timeline: Timeline, rng: random.Random, share: float | None = None,
) -> Allocation:
    first, last = window
    if share is None:
        share = rng.choices(ALLOCATION_SHARES, weights=ALLOCATION_WEIGHTS)[0]
    if future or first > timeline.anchor:
        state = rng.choice(("planning", "requested", "confirmed", "confirmed")) if plan.state == OPEN else "confirmed"
    elif last < timeline.anchor:
        state = "completed"
    else:
        state = "allocated"
    return Allocation(
        sys_id(seed, "resource_plan", f"{plan.index}|{person.index}"),
        person.index, first, last, person.capacity * share, state,
    )


def _write_resource_plan(
    plan: ProjectPlan, allocation: Allocation, org: Organisation, timeline: Timeline,
    rows: RowBuffer, rng: random.Random, number: int,
) -> None:
    created = plan.approved_at or plan.created
    created = max(created, at(allocation.first - timedelta(days=rng.randint(7, 40)), 10 * 3600))
    created = min(created, timeline.latest - timedelta(hours=1))
    updated = created
    if allocation.state == "allocated":
        updated = at(allocation.first - timedelta(days=1), 11 * 3600)
    elif allocation.state == "completed":
        updated = at(allocation.last + timedelta(days=rng.randint(1, 5)), 12 * 3600)
    updated = min(max(created, updated), timeline.latest)
    planned = allocation.weekly_hours / 5 * weekdays_between(allocation.first, allocation.last)
    body = {
        "sys_id": allocation.sys_id,
        "number": f"RPLN{10000 + number:07d}",
        "user": org.people[allocation.person].sys_id,
        "task": plan.sys_id,
        "start_date": glide_date(allocation.first),
        "end_date": glide_date(allocation.last),
        "planned_hours": f"{planned:.2f}",
        "state": allocation.state,
        "sys_created_on": glide_datetime(created),
        "sys_updated_on": glide_datetime(updated),
    }
    rows.add(INSERT_SN, sn_row("resource_plan", body))


def card_hours(rng: random.Random, weekly_hours: float, days: list[bool]) -> list[float]:
    """Hours per day Mon..Sun for one card: weekdays around the allocation, rare weekend work."""
    hours = []
    base = weekly_hours / 5
    for weekday, open_ in enumerate(days):
        if not open_:
            hours.append(0.0)
        elif weekday < 5:
            hours.append(min(MAX_CARD_DAY, round(base * rng.uniform(0.6, 1.25) * 4) / 4))
        elif rng.random() < 0.04:
            hours.append(float(rng.randint(1, 4)))
        else:
            hours.append(0.0)
    return hours


def card_timeline(rng: random.Random, week: date) -> list[tuple[str, datetime]]:
    """The states a card of ``week`` passes through, with their times (before any cut-off)."""
    friday = week + timedelta(days=4)
    submitted = at(friday, rng.randint(14 * 3600, 20 * 3600))
    roll = rng.random()
    if roll < 0.12:
        submitted += timedelta(days=rng.randint(7, 28))  # late
    elif roll < 0.2:
        submitted += timedelta(days=3, hours=-8)  # Monday morning
    events = [("submitted", submitted)]
    roll = rng.random()
    if roll < 0.015:
        events.append(("recalled", submitted + timedelta(hours=rng.randint(4, 40))))
        return events
    decided = submitted + timedelta(days=rng.randint(1, 6), seconds=rng.randint(0, 20000))
    if roll < 0.035:
        events.append(("rejected", decided))
        return events
    events.append(("approved", decided))
    if rng.random() < 0.55:
        events.append(("processed", decided + timedelta(days=rng.randint(1, 9), seconds=rng.randint(0, 20000))))
    return events


def write_time_cards(
    seed: int, plan: ProjectPlan, allocations: list[Allocation], org: Organisation,
    timeline: Timeline, rows: RowBuffer,
) -> int:
    """Write the weekly cards people booked on the project up to the world clock; return the count."""
    if plan.work_start is None:
        return 0
    rng = stream(seed, "time-cards", plan.index)
    work_first = plan.work_start.date()
    work_last = min(plan.work_end.date() if plan.work_end else timeline.anchor, timeline.anchor)
    latest = timeline.latest
    tasks = [task_id for task_id, _, _ in plan.phase_tasks]
    written = 0
    for allocation in allocations:
        if not allocation.counts:
            continue
        person = org.people[allocation.person]
        week = max(allocation.first, monday_of(work_first))
        last_week = min(allocation.last, work_last)
        while week <= last_week:
            if rng.random() < 0.07:  # leave, sickness
                week += timedelta(days=7)
                continue
            days = [
                work_first <= (day := week + timedelta(days=offset)) <= work_last
                and allocation.first <= day <= allocation.last + timedelta(days=2)
                for offset in range(7)
            ]
            hours = card_hours(rng, allocation.weekly_hours, days)
            total = sum(hours)
            if total == 0:
                week += timedelta(days=7)
                continue
            created = at(week, 8 * 3600 + rng.randint(0, 9 * 3600))
            state, updated = "pending", created
            last_open = max(offset for offset, open_ in enumerate(days) if open_)
            updated = max(created, min(at(week + timedelta(days=last_open), 17 * 3600 + rng.randint(0, 7200)), latest))
            for event, moment in card_timeline(rng, week):
                if moment > latest:
                    break
                state, updated = event, moment
            task = plan.sys_id if rng.random() < 0.75 or not tasks else tasks[rng.randrange(len(tasks))]
            category = rng.choices(("task", "meeting", "training", "admin"), weights=(80, 10, 5, 5))[0]
            body = {
                "sys_id": time_card_id(seed, person.sys_id, plan.sys_id, week),
                "user": person.sys_id,
                "task": task,
                "week_starts_on": glide_date(week),
                **{name: f"{value:.2f}" for name, value in zip(DAY_FIELDS, hours, strict=True)},
                "total": f"{total:.2f}",
                "state": state,
                "category": category,
                "sys_created_on": glide_datetime(min(created, updated)),
                "sys_updated_on": glide_datetime(updated),
            }
            rows.add(INSERT_SN, sn_row("time_card", body))
            written += 1
            week += timedelta(days=7)
    return written


def time_card_id(seed: int, user_sys_id: str, project_sys_id: str, week: date) -> str:
    """One card per person, project and week: its sys_id is derived from exactly that."""
    return sys_id(seed, "time_card", f"{user_sys_id}|{project_sys_id}|{week.isoformat()}")
