"""Who works on what: resource plans per person × project, and the weekly time cards they book.

Every person has a load target: the share of their capacity that ends up allocated to projects
(portfolio managers none, programme managers part, delivery staff most of it, contractors all
of it, a few people less or more than their capacity). Projects are staffed one after another;
each takes people while they have room under their target in its weeks, so most people are
allocated most of the time once enough projects run, and nobody is spread too thin.

Nobody ever books more than 24 hours on one day: a person's allocations in a week never add up
to more than ``MAX_LOAD_STEPS`` twentieths of capacity (at most 40 h a week) nor number more than
``MAX_CONCURRENT``. A weekday of a card is at most 1.25 × its share of the day's capacity (rounded
to a quarter hour, capped at ``MAX_CARD_DAY``), so a person's weekday totals at most
1.25 × 1.3 × 8 h + 5 × 0.125 h < 14 h; a weekend day of a card at most 4 h, so at most 20 h.
"""

from __future__ import annotations

import random
from array import array
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from simulators.world.organisation import Organisation, Person
from simulators.world.projects import CLOSED_SKIPPED, OPEN, PENDING, ProjectPlan
from simulators.world.seeding import stream, sys_id
from simulators.world.store import INSERT_SN, RowBuffer, glide_date, glide_datetime, sn_row
from simulators.world.timeline import Timeline, at, monday_of, weekdays_between

STEPS = 20  # loads and shares are counted in twentieths of a person's capacity
MAX_LOAD_STEPS = 26  # 130 % of capacity: the most anyone is ever allocated in a week
MAX_CONCURRENT = 5  # counting allocations of one person in one week
MAX_CARD_DAY = 8.0
COUNTING_STATES = ("confirmed", "allocated", "completed")
DAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MANAGER_SHARES = (0.3, 0.4, 0.5, 0.6)  # a project manager on one of their projects
PROGRAMME_SHARES = (0.2, 0.25, 0.3)  # a programme manager on a project of their programme
MIN_TEAM = 2  # members a started project gets even when everyone is at their target
CANDIDATES = 4  # people looked at for each place in a team


@dataclass(frozen=True, slots=True)
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


def load_targets(seed: int, org: Organisation) -> list[int]:
    """Each person's load target in twentieths of capacity, from their own random stream."""
    targets = []
    for person in org.people:
        rng = stream(seed, "load-target", person.index)
        if person.title == "Portfolio Manager":
            share = 0.0  # runs the portfolio; books nothing to projects
        elif person.title == "Programme Manager":
            share = rng.uniform(0.35, 0.65)
        elif person.title == "Project Manager":
            share = rng.uniform(0.75, 1.0)
        elif person.contractor:
            share = rng.uniform(0.95, 1.15)
        else:
            roll = rng.random()
            if roll < 0.76:
                share = rng.uniform(0.9, 1.0)
            elif roll < 0.89:
                share = rng.uniform(0.4, 0.75)  # partly on run-the-business work
            else:
                share = rng.uniform(1.05, 1.3)  # over-allocated
        targets.append(min(MAX_LOAD_STEPS, round(share * STEPS)))
    return targets


class WeeklyLoad:
    """Allocated twentieths and counting allocations per person and week, over the world's calendar."""

    def __init__(self, targets: list[int], first_monday: date, weeks: int) -> None:
        self.targets = targets
        self.first_monday = first_monday
        self.weeks = weeks
        self._steps = [array("B", bytes(weeks)) for _ in targets]
        self._count = [array("B", bytes(weeks)) for _ in targets]

    def _span(self, first: date, last: date) -> tuple[int, int]:
        start = max(0, (first - self.first_monday).days // 7)
        stop = min(self.weeks, (last - self.first_monday).days // 7 + 1)
        return start, stop

    def place(
        self, person: int, first: date, last: date, steps: int, minimum: int, cap: int | None = None
    ) -> tuple[date, date, int] | None:
        """Where in ``first``..``last`` (a Monday..a Friday) the person can take ``steps``, and how much.

        The whole span when it has room for all of ``steps``; otherwise the longer (by hours) of
        the longest run of weeks with room for ``steps`` and the longest run with room for at
        least ``minimum`` at the share that fits all of it. None when no run of at least
        min(4, span) weeks has room. Room is ``cap`` (the person's target unless given) less the load.
        """
        cap = self.targets[person] if cap is None else cap
        start, stop = self._span(first, last)
        if stop <= start:
            return None
        load = self._steps[person][start:stop]
        count = self._count[person][start:stop]
        if max(load) + steps <= cap and max(count) < MAX_CONCURRENT:
            return first, last, steps
        rooms = [cap - used if n < MAX_CONCURRENT else 0 for used, n in zip(load, count, strict=True)]
        shortest = min(4, len(rooms))
        best: tuple[int, int, int] | None = None  # first week, last week, steps
        for need in sorted({steps, minimum}, reverse=True):
            run = _longest_run(rooms, need)
            if run is None or run[1] - run[0] + 1 < shortest:
                continue
            share = min(steps, min(rooms[run[0] : run[1] + 1]))
            if best is None or (run[1] - run[0] + 1) * share > (best[1] - best[0] + 1) * best[2]:
                best = (run[0], run[1], share)
        if best is None:
            return None
        run_first = max(first, self.first_monday + timedelta(days=7 * (start + best[0])))
        run_last = min(last, self.first_monday + timedelta(days=7 * (start + best[1]) + 4))
        return run_first, run_last, best[2]

    def used(self, person: int, first: date, last: date) -> int:
        """Twentieths already allocated over the weeks of ``first``..``last``, summed."""
        start, stop = self._span(first, last)
        return sum(self._steps[person][start:stop])

    def take(self, person: int, first: date, last: date, steps: int) -> None:
        start, stop = self._span(first, last)
        load, count = self._steps[person], self._count[person]
        for week in range(start, stop):
            load[week] += steps
            count[week] += 1


def _longest_run(rooms: list[int], need: int) -> tuple[int, int] | None:
    """First and last index of the longest run of ``rooms`` ≥ ``need`` (the earliest of equals)."""
    best = None
    run_start = None
    for position, room in enumerate([*rooms, -1]):
        if room >= need:
            if run_start is None:
                run_start = position
        elif run_start is not None:
            if best is None or position - run_start > best[1] - best[0] + 1:
                best = (run_start, position - 1)
            run_start = None
    return best


def _hours(placed: tuple[date, date, int]) -> int:
    """Size of a placement: weeks × twentieths."""
    return ((placed[1] - placed[0]).days // 7 + 1) * placed[2]


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
    seed: int,
    plan: ProjectPlan,
    org: Organisation,
    load: WeeklyLoad,
    team_size: tuple[int, int],
    shares: tuple[tuple[float, int], ...],
    timeline: Timeline,
    rows: RowBuffer,
    counter: list[int],
) -> list[Allocation]:
    """Choose the project's people and write their resource plans."""
    window = staffing_window(plan)
    if window is None:
        return []
    rng = stream(seed, "team", plan.index)
    first, last = window
    allocations: list[Allocation] = []
    members: set[int] = set()
    future = plan.work_start is None

    def placement(
        person: Person, member_first: date, member_last: date, share: float, cap: int | None = None
    ) -> tuple[date, date, int] | None:
        fitted = _fit_window(person, member_first, member_last)
        if fitted is None or person.index in members:
            return None
        steps = round(share * STEPS)
        return load.place(person.index, *fitted, steps, max(2, steps // 2), cap)

    def rank(person: int, placed: tuple[date, date, int]) -> tuple[int, int]:
        """The better placement: more hours, then the person with less already on their plate."""
        return _hours(placed), -load.used(person, placed[0], placed[1])

    def join(person: Person, placed: tuple[date, date, int]) -> None:
        members.add(person.index)
        allocations.append(_allocation(seed, plan, person, placed, future, timeline, rng))

    # The project manager books part of their time on each of their projects (the PMO gives the
    # project to another manager when the one first named has no room), and a programme's manager
    # a little on each project of the programme.
    share = rng.choice(MANAGER_SHARES)
    best = None
    for attempt in range(CANDIDATES):
        manager = plan.manager if attempt == 0 else org.project_managers[rng.randrange(len(org.project_managers))]
        placed = placement(org.people[manager], first, last, share)
        if placed is not None and (best is None or rank(manager, placed) > rank(*best)):
            best = (manager, placed)
    if best is not None:
        plan.manager = best[0]
        join(org.people[best[0]], best[1])
    programme = next((p for p in plan.portfolio.programs if p.sys_id == plan.program_sys_id), None)
    if programme is not None:
        placed = placement(org.people[programme.manager], first, last, rng.choice(PROGRAMME_SHARES))
        if placed is not None:
            join(org.people[programme.manager], placed)
    # The project asks for a number of people at typical shares: that much capacity over its
    # window. Who is free may only give a part of what was asked, so the team grows (up to half as
    # many heads again) until the capacity is there.
    wanted = rng.randint(*team_size)
    values, weights = zip(*shares, strict=True)
    demand = wanted * sum(v * w for v, w in shares) / sum(weights) * STEPS
    home = org.delivery_by_department.get(plan.department.index, [])
    weeks = (last - first).days // 7
    team = 0
    given = 0.0  # twentieths placed, weighted by the share of the window each placement covers
    tries = wanted * 6
    for attempt in range(tries + 20):
        if given >= demand or 2 * team >= 3 * wanted or attempt >= tries and (team >= MIN_TEAM or future):
            break
        member_first, member_last = first, last
        if weeks > 8 and rng.random() < 0.2:
            member_first = first + timedelta(days=7 * rng.randint(1, weeks // 3))
        if weeks > 8 and rng.random() < 0.15:
            member_last = last - timedelta(days=7 * rng.randint(1, weeks // 3))
        share = rng.choices(values, weights=weights)[0]
        # Past the usual tries a started project still gets a minimal team, over people's targets.
        cap = MAX_LOAD_STEPS if attempt >= tries else None
        # The resource manager looks at a few people and takes the one with the most room.
        best = None
        for _ in range(CANDIDATES):
            pool = home if home and rng.random() < 0.6 else org.delivery
            person = org.people[pool[rng.randrange(len(pool))]]
            placed = placement(person, member_first, member_last, share, cap)
            if placed is not None and (best is None or rank(person.index, placed) > rank(best[0].index, best[1])):
                best = (person, placed)
        if best is not None:
            join(*best)
            team += 1
            given += _hours(best[1]) / (weeks + 1)
    # A request that never went ahead.
    if rng.random() < 0.1 and org.delivery:
        person = org.people[org.delivery[rng.randrange(len(org.delivery))]]
        fitted = _fit_window(person, first, last)
        if fitted and person.index not in members:
            allocations.append(
                Allocation(
                    sys_id(seed, "resource_plan", f"{plan.index}|{person.index}|cancelled"),
                    person.index,
                    fitted[0],
                    fitted[1],
                    8.0,
                    "cancelled",
                )
            )
    if plan.state == CLOSED_SKIPPED:
        allocations = [
            Allocation(a.sys_id, a.person, a.first, a.last, a.weekly_hours, "cancelled") for a in allocations
        ]
    for allocation in allocations:
        if allocation.counts:
            steps = round(allocation.weekly_hours / org.people[allocation.person].capacity * STEPS)
            load.take(allocation.person, allocation.first, allocation.last, steps)
        counter[0] += 1
        _write_resource_plan(plan, allocation, org, timeline, rows, rng, counter[0])
    return allocations


def _allocation(
    seed: int,
    plan: ProjectPlan,
    person: Person,
    placed: tuple[date, date, int],
    future: bool,
    timeline: Timeline,
    rng: random.Random,
) -> Allocation:
    first, last, steps = placed
    if future or first > timeline.anchor:
        state = rng.choice(("planning", "requested", "confirmed", "confirmed")) if plan.state == OPEN else "confirmed"
    elif last < timeline.anchor:
        state = "completed"
    else:
        state = "allocated"
    return Allocation(
        sys_id(seed, "resource_plan", f"{plan.index}|{person.index}"),
        person.index,
        first,
        last,
        person.capacity * steps / STEPS,
        state,
    )


def _write_resource_plan(
    plan: ProjectPlan,
    allocation: Allocation,
    org: Organisation,
    timeline: Timeline,
    rows: RowBuffer,
    rng: random.Random,
    number: int,
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
            hours.append(min(MAX_CARD_DAY, round(base * rng.uniform(0.75, 1.25) * 4) / 4))
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
    if roll < 0.06:
        submitted += timedelta(days=rng.randint(7, 21))  # late
    elif roll < 0.16:
        submitted += timedelta(days=3, hours=-8)  # Monday morning
    events = [("submitted", submitted)]
    roll = rng.random()
    if roll < 0.015:
        events.append(("recalled", submitted + timedelta(hours=rng.randint(4, 40))))
        return events
    decided = submitted + timedelta(seconds=rng.randint(3 * 3600, 3 * 86400))  # approvers keep up
    if roll < 0.035:
        events.append(("rejected", decided))
        return events
    events.append(("approved", decided))
    if rng.random() < 0.55:
        events.append(("processed", decided + timedelta(days=rng.randint(1, 9), seconds=rng.randint(0, 20000))))
    return events


def write_time_cards(
    seed: int,
    plan: ProjectPlan,
    allocations: list[Allocation],
    org: Organisation,
    timeline: Timeline,
    rows: RowBuffer,
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
