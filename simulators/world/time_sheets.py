"""Weekly time sheets: one per active person and week, submitted on time, late or never.

ServiceNow groups a person's time cards of one week in a ``time_sheet``; submitting the sheet submits
its cards, and approvers approve it as a whole (docs/sources.md "Time sheets"). Resource managers
chase the sheets that are late: this module decides, for every person, how punctual they are.

- Most people submit on Friday afternoon or on the following Monday or Tuesday morning; some let a
  week slip now and then, and a few never send one at all.
- A few people are chronic late submitters: their sheets come in days after the week, most weeks.
- Holiday weeks (Christmas to New Year, and two weeks of leave a year per person) come in late,
  after the person is back, or not at all.

Each person's sheets are drawn from the person's own random stream, week after week, so nothing
here moves a draw of any other record. A sheet's ``total_hours`` is the sum of its week's time
cards (0 for a person who booked nothing). ``u_submitted_on`` is the instance's stamp of the latest
submission (a business rule sets it when the state becomes ``submitted``); empty until then.
"""

from __future__ import annotations

import random
import sqlite3
from datetime import date, datetime, timedelta

from simulators.world.organisation import Organisation, Person
from simulators.world.seeding import stream, sys_id
from simulators.world.store import INSERT_SN, RowBuffer, glide_date, glide_datetime, sn_row
from simulators.world.timeline import Timeline, at, monday_of

CHRONIC_SHARE = 0.08  # people who are late most weeks
LEAVE_WEEKS_PER_YEAR = 2


def time_sheet_id(seed: int, user_sys_id: str, week: date) -> str:
    """One sheet per person and week: its sys_id is derived from exactly that."""
    return sys_id(seed, "time_sheet", f"{user_sys_id}|{week.isoformat()}")


def is_chronic_late(seed: int, user_sys_id: str) -> bool:
    """Whether this person submits late most weeks (their own stream; also read by advance())."""
    return stream(seed, "time-sheet-habits", user_sys_id).random() < CHRONIC_SHARE


def is_holiday_week(week: date) -> bool:
    """The week holds a day from 24 December to 1 January."""
    return any(
        (day.month == 12 and day.day >= 24) or (day.month == 1 and day.day == 1)
        for day in (week + timedelta(days=offset) for offset in range(7))
    )


def submission_moment(rng: random.Random, week: date, chronic: bool, away: bool) -> datetime | None:
    """When the sheet of ``week`` is submitted (None: never). The deadline the warehouse checks
    against is not known here: the habits alone decide."""
    friday = week + timedelta(days=4)
    roll = rng.random()
    if away:
        if roll < 0.1:
            return None
        if roll < 0.3:
            return at(friday, rng.randint(14 * 3600, 20 * 3600))  # sent before leaving
        return at(week + timedelta(days=rng.randint(14, 21)), rng.randint(8 * 3600, 18 * 3600))
    on_friday, on_monday, on_tuesday, late = (0.25, 0.4, 0.5, 0.92) if chronic else (0.64, 0.82, 0.92, 0.985)
    if roll < on_friday:
        return at(friday, rng.randint(14 * 3600, 20 * 3600))
    if roll < on_monday:
        return at(week + timedelta(days=7), rng.randint(8 * 3600, 12 * 3600))
    if roll < on_tuesday:
        return at(week + timedelta(days=8), rng.randint(8 * 3600, 23 * 3600 + 59 * 60))
    if roll < late:
        return at(week + timedelta(days=rng.randint(9, 25 if chronic else 16)), rng.randint(8 * 3600, 19 * 3600))
    return None


def sheet_events(rng: random.Random, submitted: datetime) -> list[tuple[str, datetime]]:
    """The states a submitted sheet passes through, with their times (before any cut-off)."""
    events = [("submitted", submitted)]
    roll = rng.random()
    if roll < 0.015:
        events.append(("recalled", submitted + timedelta(hours=rng.randint(4, 40))))
        return events
    decided = submitted + timedelta(seconds=rng.randint(3 * 3600, 3 * 86400))
    if roll < 0.035:
        events.append(("rejected", decided))
        return events
    events.append(("approved", decided))
    if rng.random() < 0.55:
        events.append(("processed", decided + timedelta(days=rng.randint(1, 9), seconds=rng.randint(0, 20000))))
    return events


def _leave_weeks(rng: random.Random, first: date, last: date) -> set[date]:
    weeks: set[date] = set()
    for year in range(first.year, last.year + 1):
        for _ in range(LEAVE_WEEKS_PER_YEAR):
            weeks.add(monday_of(date(year, 1, 1) + timedelta(days=rng.randint(7, 350))))
    return weeks


def _sheet_weeks(person: Person, timeline: Timeline) -> tuple[date, date] | None:
    first = monday_of(max(timeline.history_start, person.joined - timedelta(days=7)))
    last = timeline.anchor_week
    if person.left is not None:
        last = monday_of(person.left) - timedelta(days=7)
    return (first, last) if first <= last else None


def card_totals(conn: sqlite3.Connection) -> dict[tuple[str, str], float]:
    """(user sys_id, week_starts_on) → hours on the person's time cards of that week."""
    return {
        (user, week): float(total or 0)
        for user, week, total in conn.execute(
            "select json_extract(body, '$.user'), json_extract(body, '$.week_starts_on'), "
            "sum(cast(json_extract(body, '$.total') as real)) from sn_record where tbl = 'time_card' group by 1, 2"
        )
    }


def write_time_sheets(
    seed: int, conn: sqlite3.Connection, org: Organisation, timeline: Timeline, rows: RowBuffer
) -> int:
    """Write every person's weekly sheets up to the world clock (after the time cards); return the count."""
    totals = card_totals(conn)
    latest = timeline.latest
    written = 0
    for person in org.people:
        weeks = _sheet_weeks(person, timeline)
        if weeks is None or person.capacity <= 0:
            continue
        rng = stream(seed, "time-sheets", person.sys_id)
        chronic = is_chronic_late(seed, person.sys_id)
        leave = _leave_weeks(rng, *weeks)
        week = weeks[0]
        while week <= weeks[1]:
            created = at(week, 7 * 3600 + rng.randint(0, 3600))
            submitted = submission_moment(rng, week, chronic, is_holiday_week(week) or week in leave)
            state, updated, stamp = "pending", created, ""
            events = sheet_events(rng, submitted) if submitted is not None else []
            for event, moment in events:
                if moment > latest:
                    break
                state, updated = event, moment
                if event == "submitted":
                    stamp = glide_datetime(moment)
            if created > latest:
                break
            body = {
                "sys_id": time_sheet_id(seed, person.sys_id, week),
                "user": person.sys_id,
                "week_starts_on": glide_date(week),
                "state": state,
                "total_hours": f"{totals.get((person.sys_id, glide_date(week)), 0.0):.2f}",
                "u_submitted_on": stamp,
                "sys_created_on": glide_datetime(created),
                "sys_updated_on": glide_datetime(max(created, min(updated, latest))),
            }
            rows.add(INSERT_SN, sn_row("time_sheet", body))
            written += 1
            week += timedelta(days=7)
    return written
