"""One day of the world moving on: what changes in Jira and ServiceNow between two clock readings.

Every change of a day is seeded by (world seed, the new date), so the same world advanced the same
number of days is always the same world. Each changed record is stamped at a random whole second
(ServiceNow) or millisecond (Jira) after the old clock and at least five minutes before the new
one, so it is strictly newer than its previous version and visible to any feed that hides the
last minute.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from simulators.world.jira_extras import JiraExtrasDay
from simulators.world.jira_static import PRIORITIES, RESOLUTIONS, status_body
from simulators.world.jira_world import (
    NOUNS,
    VERBS,
    backlog_issue_body,
    history_body,
    status_items,
    time_spent_text,
    user_ref,
    worklog_body,
)
from simulators.world.organisation import PARTNER_DOMAIN
from simulators.world.projects import OBJECTS, PHASE_SHARES, PHASES, estimated_effort_hours, health_colour, worst
from simulators.world.projects import VERBS as PROJECT_VERBS
from simulators.world.seeding import stream, sys_id
from simulators.world.staffing import COUNTING_STATES, DAY_FIELDS, MAX_CARD_DAY, time_card_id
from simulators.world.store import (
    INSERT_JIRA_CHANGELOG,
    INSERT_JIRA_ISSUE,
    INSERT_JIRA_WORKLOG,
    INSERT_SN,
    SERVICENOW_TABLES,
    dumps,
    epoch_ms,
    glide_date,
    glide_datetime,
    sn_row,
)
from simulators.world.time_sheets import is_chronic_late, time_sheet_id
from simulators.world.timeline import QUIET_PERIOD, add_months, monday_of, month_end, weekdays_between

JIRA_ENTITIES = (
    "jira/projects",
    "jira/issues",
    "jira/worklogs",
    "jira/issue_changelogs",
    "jira/users",
    "jira/statuses",
    "jira/fields",
    "jira/versions",
    "jira/boards",
    "jira/sprints",
)


def entity_keys() -> list[str]:
    """Every raw entity key the world serves (docs/internals.md)."""
    return [*JIRA_ENTITIES, *(f"servicenow/{table}" for table in SERVICENOW_TABLES)]


TRANSITIONS = {
    "To Do": (("In Progress", None, 0.9), ("Done", "Won't Do", 0.1)),
    "In Progress": (("In Review", None, 1.0),),
    "In Review": (("Done", "Done", 0.85), ("In Progress", None, 0.15)),
    "Blocked": (("In Progress", None, 1.0),),
}


@dataclass
class AdvanceSummary:
    """What one advance() did: keys created, updated and deleted per raw entity.

    A key created and later changed in the same advance is only in ``created``; a key deleted is
    only in ``deleted``. So ``created | updated`` equals ``changes_since(started)`` and ``deleted``
    equals ``deleted_since(started)`` whenever nothing else changed the world.
    """

    started: datetime
    ended: datetime
    created: dict[str, set[str]]
    updated: dict[str, set[str]]
    deleted: dict[str, set[str]]

    @classmethod
    def empty(cls, now: datetime, entities: list[str]) -> AdvanceSummary:
        return cls(now, now, {e: set() for e in entities}, {e: set() for e in entities}, {e: set() for e in entities})

    def then(self, later: AdvanceSummary) -> AdvanceSummary:
        """This summary followed by a later one."""
        created, updated, deleted = {}, {}, {}
        for entity in self.created.keys() | later.created.keys():
            gone = self.deleted.get(entity, set()) | later.deleted.get(entity, set())
            made = (self.created.get(entity, set()) | later.created.get(entity, set())) - gone
            changed = (self.updated.get(entity, set()) | later.updated.get(entity, set())) - made - gone
            created[entity], updated[entity], deleted[entity] = made, changed, gone
        return AdvanceSummary(self.started, later.ended, created, updated, deleted)


class DayChanges:
    """The records one day touches, held until the day is done and then written at once."""

    def __init__(self, conn: sqlite3.Connection, rng: random.Random, start: datetime, end: datetime) -> None:
        self.conn = conn
        self.rng = rng
        self.start = start
        self.end = end
        self.sn: dict[tuple[str, str], dict] = {}
        self.sn_touched: set[tuple[str, str]] = set()
        self.sn_new: set[tuple[str, str]] = set()
        self.sn_gone: list[tuple[str, str, str]] = []
        self.issues: dict[int, dict] = {}  # id -> body (touched ones)
        self.issue_rows: dict[int, tuple[str, str, int, int]] = {}  # id -> key, project, key_num, created
        self.new_issues: set[int] = set()
        self.gone_issues: list[tuple[int, str, int]] = []
        self.histories: list[tuple[int, int, int, str]] = []
        self.worklogs: dict[int, dict] = {}
        self.new_worklogs: set[int] = set()
        self.gone_worklogs: list[tuple[int, int]] = []

    # --- time ---------------------------------------------------------------------------------
    def moment(self) -> datetime:
        """A whole second after the old clock, at least five minutes before the new one."""
        span = int((self.end - QUIET_PERIOD - self.start).total_seconds())
        return self.start + timedelta(seconds=self.rng.randint(1, span))

    def moment_from(self, rng: random.Random) -> datetime:
        """As ``moment()``, drawn from another stream (so a new kind of change moves no old draw)."""
        span = int((self.end - QUIET_PERIOD - self.start).total_seconds())
        return self.start + timedelta(seconds=rng.randint(1, span))

    def moment_ms(self) -> int:
        first = epoch_ms(self.start)
        last = epoch_ms(self.end - QUIET_PERIOD)
        return self.rng.randint(first + 1, last)

    # --- ServiceNow ---------------------------------------------------------------------------
    def sn_table(self, table: str) -> list[dict]:
        """Every live record of a table, ordered by sys_id, registered for changing."""
        bodies = []
        for sys_id_, body in self.conn.execute(
            "select sys_id, body from sn_record where tbl = ? order by sys_id", (table,)
        ):
            bodies.append(self.sn.setdefault((table, sys_id_), json.loads(body)))
        return bodies

    def sn_get(self, table: str, record_id: str) -> dict | None:
        key = (table, record_id)
        if key not in self.sn:
            row = self.conn.execute("select body from sn_record where tbl = ? and sys_id = ?", key).fetchone()
            if row is None:
                return None
            self.sn[key] = json.loads(row[0])
        return self.sn[key]

    def sn_update(self, table: str, body: dict, moment: datetime | None = None) -> None:
        stamp = glide_datetime(moment or self.moment())
        key = (table, body["sys_id"])
        if key in self.sn_touched:
            stamp = max(stamp, body["sys_updated_on"])
        body["sys_updated_on"] = stamp
        self.sn[key] = body
        self.sn_touched.add(key)

    def sn_create(self, table: str, body: dict, moment: datetime | None = None) -> None:
        stamp = glide_datetime(moment or self.moment())
        body["sys_created_on"] = body["sys_updated_on"] = stamp
        key = (table, body["sys_id"])
        self.sn[key] = body
        self.sn_new.add(key)
        self.sn_touched.add(key)

    def sn_delete(self, table: str, record_id: str) -> None:
        self.sn_gone.append((table, record_id, glide_datetime(self.moment())))

    def sn_was_deleted(self, table: str, record_id: str) -> bool:
        return (
            self.conn.execute("select 1 from sn_deleted where tbl = ? and sys_id = ?", (table, record_id)).fetchone()
            is not None
        )

    # --- writing ------------------------------------------------------------------------------
    def write(self, summary: AdvanceSummary) -> None:
        conn = self.conn
        gone_sn = {(t, s) for t, s, _ in self.sn_gone}
        for key in sorted(self.sn_touched - gone_sn):
            table, record_id = key
            body = self.sn[key]
            entity = f"servicenow/{table}"
            if key in self.sn_new:
                conn.execute(INSERT_SN, sn_row(table, body))
                summary.created[entity].add(record_id)
            else:
                conn.execute(
                    "update sn_record set sys_updated_on = ?, body = ? where tbl = ? and sys_id = ?",
                    (body["sys_updated_on"], dumps(body), table, record_id),
                )
                summary.updated[entity].add(record_id)
        for table, record_id, when in self.sn_gone:
            conn.execute("delete from sn_record where tbl = ? and sys_id = ?", (table, record_id))
            conn.execute("insert into sn_deleted values (?, ?, ?)", (table, record_id, when))
            summary.deleted[f"servicenow/{table}"].add(record_id)
        for issue_id, body in sorted(self.issues.items()):
            key, project_key, key_num, created = self.issue_rows[issue_id]
            updated = body["fields"]["updated"]
            if issue_id in self.new_issues:
                conn.execute(INSERT_JIRA_ISSUE, (issue_id, key, project_key, key_num, created, updated, dumps(body)))
                summary.created["jira/issues"].add(str(issue_id))
            else:
                conn.execute(
                    "update jira_issue set updated_ms = ?, body = ? where id = ?", (updated, dumps(body), issue_id)
                )
                summary.updated["jira/issues"].add(str(issue_id))
        for issue_id, key, when in self.gone_issues:
            conn.execute("delete from jira_issue where id = ?", (issue_id,))
            conn.execute("insert into jira_issue_deleted values (?, ?, ?)", (issue_id, key, when))
            summary.deleted["jira/issues"].add(str(issue_id))
        for row in self.histories:
            conn.execute(INSERT_JIRA_CHANGELOG, row)
            summary.created["jira/issue_changelogs"].add(str(row[0]))
        for worklog_id, body in sorted(self.worklogs.items()):
            if worklog_id in self.new_worklogs:
                conn.execute(INSERT_JIRA_WORKLOG, (worklog_id, int(body["issueId"]), body["updated"], dumps(body)))
                summary.created["jira/worklogs"].add(str(worklog_id))
            else:
                conn.execute(
                    "update jira_worklog set updated_ms = ?, body = ? where id = ?",
                    (body["updated"], dumps(body), worklog_id),
                )
                summary.updated["jira/worklogs"].add(str(worklog_id))
        for worklog_id, when in self.gone_worklogs:
            conn.execute("delete from jira_worklog where id = ?", (worklog_id,))
            conn.execute("insert into jira_worklog_deleted values (?, ?)", (worklog_id, when))
            summary.deleted["jira/worklogs"].add(str(worklog_id))


def advance_one_day(conn: sqlite3.Connection, seed: int) -> AdvanceSummary:
    """Move the clock of an open world one day forward and apply that day's changes."""
    old = datetime.fromisoformat(conn.execute("select value from meta where key = 'now'").fetchone()[0])
    new = old + timedelta(days=1)
    day = new.date()
    rng = stream(seed, "advance", day.isoformat())
    changes = DayChanges(conn, rng, old, new)
    sprint_histories_before = conn.execute("select coalesce(max(id), 0) from jira_sprint_history").fetchone()[0]
    ServiceNowDay(seed, day, changes).run()
    JiraDay(seed, day, changes).run()
    # Versions, sprints and comments move after the day's issue changes, from a stream of their own.
    JiraExtrasDay(seed, day, changes).run()
    summary = AdvanceSummary.empty(old, entity_keys())
    summary.ended = new
    changes.write(summary)
    # Sprint changes are changelog histories too (kept in their own table): the day's new ones.
    for (history_id,) in conn.execute("select id from jira_sprint_history where id > ?", (sprint_histories_before,)):
        summary.created["jira/issue_changelogs"].add(str(history_id))
    conn.execute("update meta set value = ? where key = 'now'", (new.isoformat(),))
    return summary


def _number(changes: DayChanges, table: str, prefix: str) -> str:
    """The next record number of a table; numbers are never reused, even after a delete."""
    key = f"next_number:{table}"
    stored = changes.conn.execute("select value from meta where key = ?", (key,)).fetchone()
    if stored is None:
        live = changes.conn.execute(
            "select max(json_extract(body, '$.number')) from sn_record where tbl = ?", (table,)
        ).fetchone()[0]
        number = int(live[len(prefix) :]) + 1 if live else 1
    else:
        number = int(stored[0])
    changes.conn.execute("insert or replace into meta values (?, ?)", (key, str(number + 1)))
    return f"{prefix}{number:07d}"


class ServiceNowDay:
    """A day in ServiceNow: projects move, people book time, approvers approve, months close."""

    def __init__(self, seed: int, day: date, changes: DayChanges) -> None:
        self.seed = seed
        self.day = day
        self.changes = changes
        self.rng = stream(seed, "advance-servicenow", day.isoformat())

    def run(self) -> None:
        self.projects = {p["sys_id"]: p for p in self.changes.sn_table("pm_project")}
        self._projects()
        # Phases, time sheets and demands draw from streams of their own: adding them moved no
        # draw of the changes above and below.
        self._phases()
        self._resource_plans()
        self._time_cards()
        self._time_sheets()
        self._status_reports()
        self._risks()
        self._demands()
        if self.day.day == 1:
            self._close_month(add_months(self.day, -1))

    # --- projects ---------------------------------------------------------------------------
    def _projects(self) -> None:
        rng, day = self.rng, self.day
        for project in self.projects.values():
            start = project["start_date"][:10]
            end = project["end_date"][:10]
            if project["state"] == "1" and project["approval"] == "approved" and start <= day.isoformat():
                if rng.random() < 0.3:
                    moment = self.changes.moment()
                    project.update(
                        state="2", phase="executing", work_start=glide_datetime(moment), percent_complete="1"
                    )
                    self.changes.sn_update("pm_project", project, moment)
            elif project["state"] == "2":
                percent = int(project["percent_complete"])
                work_start = date.fromisoformat(project["work_start"][:10])
                planned = max(1, (date.fromisoformat(end) - work_start).days)
                target = 100 * (day - work_start).days / planned
                if percent >= 90 and day.isoformat() >= end and rng.random() < 0.25:
                    moment = self.changes.moment()
                    project.update(state="3", phase="closing", percent_complete="100", work_end=glide_datetime(moment))
                    self.changes.sn_update("pm_project", project, moment)
                elif percent < min(99, target) and rng.random() < 0.5:
                    percent = min(99, percent + rng.randint(1, 3))
                    project["percent_complete"] = str(percent)
                    if percent >= 70:
                        project["phase"] = "delivering"
                    self.changes.sn_update("pm_project", project)

    # --- phases -----------------------------------------------------------------------------
    def _phases(self) -> None:
        """A project in work moves through its phases as its percent complete passes each phase's
        share of the plan; the phase's milestone is reached when it closes. A project that closed
        complete closes whatever phase was still open."""
        changes = self.changes
        rng = stream(self.seed, "advance-phases", self.day.isoformat())
        tasks = changes.sn_table("pm_project_task")
        phases: dict[str, dict[str, dict]] = {}
        milestones: dict[str, dict] = {}
        for task in tasks:
            if task.get("phase_type"):
                phases.setdefault(task["top_task"], {})[task["short_description"].removesuffix(" phase")] = task
            elif task["milestone"] == "true":
                milestones[task["parent"]] = task
        for project_id, own in sorted(phases.items()):
            project = self.projects.get(project_id)
            if project is None or project["state"] not in ("2", "3"):
                continue
            percent = int(project["percent_complete"])
            closing = project["state"] == "3"
            moment: datetime | None = None
            for position, name in enumerate(PHASES):
                task = own.get(name)
                if task is None or task["state"] in ("3", "4", "7"):
                    continue
                moment = moment or changes.moment_from(rng)
                stamp = glide_datetime(moment)
                if task["state"] in ("-5", "1"):
                    task.update(state="2", work_start=stamp, percent_complete="1")
                    changes.sn_update("pm_project_task", task, moment)
                done = closing or position < len(PHASES) - 1 and percent >= round(PHASE_SHARES[position] * 100)
                if not done:
                    break
                task.update(state="3", work_end=stamp, percent_complete="100")
                changes.sn_update("pm_project_task", task, moment)
                milestone = milestones.get(task["sys_id"])
                if milestone is not None and milestone["state"] != "3":
                    milestone.update(state="3", work_start=stamp, work_end=stamp, percent_complete="100")
                    changes.sn_update("pm_project_task", milestone, moment)

    # --- resource plans ---------------------------------------------------------------------
    def _resource_plans(self) -> None:
        rng, today = self.rng, self.day.isoformat()
        self.plans = self.changes.sn_table("resource_plan")
        for plan in self.plans:
            state = plan["state"]
            new_state = None
            if state == "allocated" and plan["end_date"] < today:
                new_state = "completed"
            elif state == "confirmed" and plan["start_date"] <= today:
                new_state = "allocated"
            elif state == "planning" and rng.random() < 0.05:
                new_state = "requested"
            elif state == "requested" and rng.random() < 0.05:
                new_state = "confirmed" if rng.random() < 0.8 else "cancelled"
            if new_state:
                plan["state"] = new_state
                self.changes.sn_update("resource_plan", plan)
        if self.day.toordinal() % 3 == 2:
            removable = [
                p
                for p in self.plans
                if p["state"] in ("cancelled", "planning")
                and ("resource_plan", p["sys_id"]) not in self.changes.sn_touched
            ]
            if removable:
                victim = removable[rng.randrange(len(removable))]
                self.changes.sn_delete("resource_plan", victim["sys_id"])
                self.plans.remove(victim)

    # --- time cards -------------------------------------------------------------------------
    def _time_cards(self) -> None:
        rng, day, changes = self.rng, self.day, self.changes
        week = monday_of(day)
        recent = glide_date(week - timedelta(days=56))
        cards = [
            changes.sn.setdefault(("time_card", sys_id_), json.loads(body))
            for sys_id_, body in changes.conn.execute(
                "select sys_id, body from sn_record where tbl = 'time_card' "
                "and json_extract(body, '$.week_starts_on') >= ? order by sys_id",
                (recent,),
            )
        ]
        if day.toordinal() % 3 == 0:
            pending = [c for c in cards if c["state"] == "pending"]
            if pending:
                victim = pending[rng.randrange(len(pending))]
                changes.sn_delete("time_card", victim["sys_id"])
                cards.remove(victim)
        gone = {s for t, s, _ in changes.sn_gone if t == "time_card"}
        field_name = DAY_FIELDS[day.weekday()]
        for plan in self.plans:
            if plan["state"] not in COUNTING_STATES or not plan["start_date"] <= day.isoformat() <= plan["end_date"]:
                continue
            project = self.projects.get(plan["task"])
            if project is None or project["state"] != "2":
                continue
            workdays = weekdays_between(date.fromisoformat(plan["start_date"]), date.fromisoformat(plan["end_date"]))
            weekly = float(plan["planned_hours"]) / max(1, workdays) * 5
            if day.weekday() < 5:
                hours = min(MAX_CARD_DAY, round(weekly / 5 * rng.uniform(0.75, 1.25) * 4) / 4)
            else:
                hours = float(rng.randint(1, 4)) if rng.random() < 0.04 else 0.0
            card_id = time_card_id(self.seed, plan["user"], project["sys_id"], week)
            if card_id in gone:
                continue
            card = changes.sn_get("time_card", card_id)
            if card is None:
                if hours == 0 or changes.sn_was_deleted("time_card", card_id):
                    continue
                card = {
                    "sys_id": card_id,
                    "user": plan["user"],
                    "task": project["sys_id"],
                    "week_starts_on": glide_date(week),
                    **dict.fromkeys(DAY_FIELDS, "0.00"),
                    "total": "0.00",
                    "state": "pending",
                    "category": rng.choices(("task", "meeting", "training", "admin"), weights=(80, 10, 5, 5))[0],
                }
                card[field_name] = f"{hours:.2f}"
                card["total"] = f"{hours:.2f}"
                changes.sn_create("time_card", card)
            elif card["state"] == "pending" and hours:
                card[field_name] = f"{hours:.2f}"
                card["total"] = f"{sum(float(card[f]) for f in DAY_FIELDS):.2f}"
                changes.sn_update("time_card", card)
        weekday = day.weekday()
        for card in cards:
            state = card["state"]
            card_week = date.fromisoformat(card["week_starts_on"])
            new_state = None
            if state == "pending":
                if card_week < week and rng.random() < (0.6 if weekday == 0 else 0.35):
                    new_state = "submitted"
                elif card_week == week and weekday >= 4 and rng.random() < 0.3:
                    new_state = "submitted"
            elif state == "submitted":
                roll = rng.random()
                new_state = "approved" if roll < 0.3 else "rejected" if roll < 0.31 else None
            elif state == "approved" and rng.random() < 0.15:
                new_state = "processed"
            elif state == "recalled" and rng.random() < 0.4:
                new_state = "submitted"
            if new_state:
                card["state"] = new_state
                changes.sn_update("time_card", card)

    # --- time sheets ------------------------------------------------------------------------
    def _time_sheets(self) -> None:
        """Every active person gets the week's sheet on Monday; sheets are submitted (the chronic
        late submitters days after the others), approved and processed; a sheet's total follows
        its week's time cards."""
        changes, day = self.changes, self.day
        rng = stream(self.seed, "advance-time-sheets", day.isoformat())
        week = monday_of(day)
        sheets = {
            sys_id_: changes.sn.setdefault(("time_sheet", sys_id_), json.loads(body))
            for sys_id_, body in changes.conn.execute(
                "select sys_id, body from sn_record where tbl = 'time_sheet' "
                "and json_extract(body, '$.week_starts_on') >= ? order by sys_id",
                (glide_date(week - timedelta(days=56)),),
            )
        }
        gone = {record_id for table, record_id, _ in changes.sn_gone if table == "time_card"}
        totals: dict[tuple[str, str], float] = {}
        for (table, record_id), card in changes.sn.items():
            if (
                table == "time_card"
                and record_id not in gone
                and card["week_starts_on"] >= glide_date(week - timedelta(days=56))
            ):
                key = (card["user"], card["week_starts_on"])
                totals[key] = totals.get(key, 0.0) + float(card["total"])
        users = [
            user_id
            for user_id, active, capacity in changes.conn.execute(
                "select sys_id, json_extract(body, '$.active'), json_extract(body, '$.u_weekly_capacity_hours') "
                "from sn_record where tbl = 'sys_user' order by sys_id"
            )
            if active == "true" and float(capacity or 0) > 0
        ]
        for user_id in users:
            sheet_id = time_sheet_id(self.seed, user_id, week)
            if sheet_id in sheets:
                continue
            body = {
                "sys_id": sheet_id,
                "user": user_id,
                "week_starts_on": glide_date(week),
                "state": "pending",
                "total_hours": f"{totals.get((user_id, glide_date(week)), 0.0):.2f}",
                "u_submitted_on": "",
            }
            changes.sn_create("time_sheet", body, changes.moment_from(rng))
        chronic: dict[str, bool] = {}
        for sheet in sorted(sheets.values(), key=lambda s: s["sys_id"]):
            moment = None
            total = f"{totals.get((sheet['user'], sheet['week_starts_on']), 0.0):.2f}"
            if total != sheet["total_hours"]:
                sheet["total_hours"] = total
                moment = changes.moment_from(rng)
            state = sheet["state"]
            sheet_week = date.fromisoformat(sheet["week_starts_on"])
            new_state = None
            if state in ("pending", "recalled"):
                if sheet["user"] not in chronic:
                    chronic[sheet["user"]] = is_chronic_late(self.seed, sheet["user"])
                due = sheet_week < week or day.weekday() >= 4
                chance = (0.12 if chronic[sheet["user"]] else 0.5) if state == "pending" else 0.4
                if due and rng.random() < chance:
                    new_state = "submitted"
            elif state == "submitted":
                roll = rng.random()
                new_state = "approved" if roll < 0.35 else "rejected" if roll < 0.36 else None
            elif state == "approved" and rng.random() < 0.15:
                new_state = "processed"
            elif state == "rejected" and rng.random() < 0.3:
                new_state = "submitted"
            if new_state:
                moment = moment or changes.moment_from(rng)
                sheet["state"] = new_state
                if new_state == "submitted":
                    sheet["u_submitted_on"] = glide_datetime(moment)
            if moment is not None:
                changes.sn_update("time_sheet", sheet, moment)

    # --- status reports ---------------------------------------------------------------------
    def _status_reports(self) -> None:
        rng, day, changes = self.rng, self.day, self.changes
        last_report = dict(
            changes.conn.execute(
                "select json_extract(body, '$.project'), max(json_extract(body, '$.as_on')) "
                "from sn_record where tbl = 'project_status' group by 1"
            ).fetchall()
        )
        breakdowns = self._cost_by_project()
        for project in self.projects.values():
            if project["state"] != "2":
                continue
            last = last_report.get(project["sys_id"])
            gap = (day - date.fromisoformat(last)).days if last else 99
            if not (gap >= 28 or gap >= 14 and rng.random() < 0.4):
                continue
            start = date.fromisoformat(project["start_date"][:10])
            end = date.fromisoformat(project["end_date"][:10])
            expected = 100 * (day - start).days / max(1, (end - start).days)
            percent = int(project["percent_complete"])
            schedule = health_colour((expected - percent) / 100, 0.1, 0.25)
            if day > end:
                schedule = "red" if percent < 95 else "yellow"
            planned, actual = breakdowns.get(project["sys_id"], (0.0, 0.0))
            cost = health_colour(actual / planned - 1, 0.05, 0.15) if planned else "green"
            scope = rng.choices(("green", "yellow", "red"), weights=(85, 12, 3))[0]
            resources = rng.choices(("green", "yellow", "red"), weights=(80, 15, 5))[0]
            body = {
                "sys_id": sys_id(self.seed, "project_status", f"advance|{day.isoformat()}|{project['sys_id']}"),
                "number": _number(changes, "project_status", "PRJSTAT"),
                "project": project["sys_id"],
                "as_on": glide_date(day),
                "overall_health": worst(schedule, cost, "yellow" if "red" in (scope, resources) else "green"),
                "schedule": schedule,
                "cost": cost,
                "scope": scope,
                "resources": resources,
                "percent_complete": str(percent),
            }
            changes.sn_create("project_status", body)

    def _cost_by_project(self) -> dict[str, tuple[float, float]]:
        """Planned and ServiceNow-actual cost per project over the months that have an actual."""
        totals: dict[str, tuple[float, float]] = {}
        for task, cost, actual in self.changes.conn.execute(
            "select json_extract(body, '$.task'), json_extract(body, '$.cost'), json_extract(body, '$.actual') "
            "from sn_record where tbl = 'cost_plan_breakdown'"
        ):
            if actual:
                planned, spent = totals.get(task, (0.0, 0.0))
                totals[task] = (planned + float(cost), spent + float(actual))
        return totals

    # --- risks ------------------------------------------------------------------------------
    def _risks(self) -> None:
        rng, changes = self.rng, self.changes
        risks = changes.sn_table("risk")
        live = [r for r in risks if r["state"] not in ("closed", "retired")]
        moves = {
            "open": ("mitigating", "monitoring"),
            "mitigating": ("closed", "monitoring"),
            "monitoring": ("closed", "retired", "mitigating"),
        }
        for risk in rng.sample(live, min(len(live), 2)):
            risk["state"] = rng.choice(moves[risk["state"]])
            changes.sn_update("risk", risk)
        active = [p for p in self.projects.values() if p["state"] == "2"]
        if active and rng.random() < 0.3:
            project = active[rng.randrange(len(active))]
            body = {
                "sys_id": sys_id(self.seed, "risk", f"advance|{self.day.isoformat()}"),
                "number": _number(changes, "risk", "RISK"),
                "short_description": "New dependency on a delayed supplier release",
                "task": project["sys_id"],
                "probability": str(rng.randint(1, 5)),
                "impact": str(rng.randint(1, 5)),
                "estimated_cost": f"{float(project['cost']) * rng.uniform(0.01, 0.1):.2f}",
                "state": "open",
            }
            changes.sn_create("risk", body)
        if self.day.toordinal() % 3 == 1:
            removable = [r for r in risks if ("risk", r["sys_id"]) not in changes.sn_touched]
            if removable:
                changes.sn_delete("risk", removable[rng.randrange(len(removable))]["sys_id"])

    # --- demands ----------------------------------------------------------------------------
    def _demands(self) -> None:
        """Demands move through intake: submitted, screened, qualified, then approved, deferred or
        rejected; now and then a new one is submitted."""
        changes = self.changes
        rng = stream(self.seed, "advance-demands", self.day.isoformat())
        moves = {
            "draft": (("submitted", 0.03),),
            "submitted": (("screening", 0.06),),
            "screening": (("qualified", 0.05), ("rejected", 0.005)),
            "qualified": (("approved", 0.03), ("deferred", 0.01), ("rejected", 0.01)),
            "deferred": (("qualified", 0.01),),
        }
        for demand in changes.sn_table("dmn_demand"):
            if demand["project"]:
                continue
            roll = rng.random()
            for target, share in moves.get(demand["state"], ()):
                if roll < share:
                    moment = changes.moment_from(rng)
                    demand["state"] = target
                    if target == "submitted":
                        demand["submitted_date"] = glide_datetime(moment)
                    changes.sn_update("dmn_demand", demand, moment)
                    break
                roll -= share
        if rng.random() < 0.15:
            portfolios = [
                row[0]
                for row in changes.conn.execute(
                    "select sys_id from sn_record where tbl = 'pm_portfolio' order by sys_id"
                )
            ]
            key = f"advance|{self.day.isoformat()}"
            moment = changes.moment_from(rng)
            cost = rng.uniform(80_000, 2_500_000)
            body = {
                "sys_id": sys_id(self.seed, "dmn_demand", key),
                "number": _number(changes, "dmn_demand", "DMND"),
                "short_description": f"{rng.choice(PROJECT_VERBS)} {rng.choice(OBJECTS)} (proposal)",
                "portfolio": portfolios[rng.randrange(len(portfolios))],
                "state": "submitted",
                "submitted_date": glide_datetime(moment),
                "project": "",
                "u_estimated_cost": f"{cost:.2f}",
                "u_estimated_benefit": f"{cost * rng.uniform(0.6, 3.5):.2f}",
                **{
                    name: str(rng.randint(1, 10))
                    for name in (
                        "u_strategic_alignment",
                        "u_business_value",
                        "u_time_criticality",
                        "u_risk_reduction",
                        "u_job_size",
                    )
                },
            }
            body["u_estimated_effort_hours"] = estimated_effort_hours(self.seed, key, float(body["u_estimated_cost"]))
            changes.sn_create("dmn_demand", body, moment)

    # --- month end --------------------------------------------------------------------------
    def _close_month(self, month: date) -> None:
        """ServiceNow books the month's actual cost and measured benefits once it has ended."""
        rng, changes, conn = self.rng, self.changes, self.changes.conn
        name = f"FY{month.year % 100:02d}: M{month.month:02d}"
        row = conn.execute(
            "select sys_id from sn_record where tbl = 'fiscal_period' and json_extract(body, '$.name') = ?", (name,)
        ).fetchone()
        if row is None:
            return
        period = row[0]
        cost_plans = {p["sys_id"]: p for p in changes.sn_table("cost_plan")}
        touched_projects: set[str] = set()
        moment = self.changes.moment()
        for breakdown in changes.sn_table("cost_plan_breakdown"):
            if breakdown["fiscal_period"] != period or breakdown["actual"] != "":
                continue
            project = self.projects.get(breakdown["task"])
            value = 0.0
            if project and project["work_start"] and project["work_start"][:10] <= month_end(month).isoformat():
                expense_type = cost_plans[breakdown["cost_plan"]]["expense_type"].upper()
                value = self._gl_actual(project["u_wbs_code"], month, expense_type)
                if value is None:
                    value = float(breakdown["cost"]) * self._actual_ratio(project["sys_id"])
                value *= rng.uniform(0.97, 1.03)
            breakdown["actual"] = f"{value:.2f}"
            changes.sn_update("cost_plan_breakdown", breakdown, moment)
            touched_projects.add(breakdown["task"])
        for project_id in sorted(touched_projects):
            total = sum(
                float(b["actual"])
                for (t, _), b in changes.sn.items()
                if t == "cost_plan_breakdown" and b["task"] == project_id and b["actual"]
            )
            project = self.projects[project_id]
            project["work_cost"] = f"{total:.2f}"
            changes.sn_update("pm_project", project, moment)
        for breakdown in changes.sn_table("benefit_plan_breakdown"):
            if breakdown["fiscal_period"] != period or breakdown["actual_benefit"] != "":
                continue
            project = self.projects.get(breakdown["task"])
            value = 0.0
            if project and project["state"] == "3" and project["work_end"][:10] < month.isoformat():
                value = float(breakdown["planned_benefit"]) * rng.uniform(0.6, 1.1)
            breakdown["actual_benefit"] = f"{value:.2f}"
            changes.sn_update("benefit_plan_breakdown", breakdown, moment)

    def _gl_actual(self, wbs: str, month: date, expense_type: str) -> float | None:
        rows = self.changes.conn.execute(
            "select g.amount, coalesce(f.rate_to_reporting, '1') from fin_gl_line g "
            "left join fin_fx_rate f on f.period = ? and f.currency = g.currency "
            "where g.wbs_code = ? and g.fiscal_year = ? and g.fiscal_period = ? and g.expense_type = ?",
            (f"{month:%Y-%m}", wbs, month.year, month.month, expense_type),
        ).fetchall()
        if not rows:
            return None
        return float(sum(Decimal(amount) * Decimal(rate) for amount, rate in rows))

    def _actual_ratio(self, project_id: str) -> float:
        planned = spent = 0.0
        for (table, _), body in self.changes.sn.items():
            if table == "cost_plan_breakdown" and body["task"] == project_id and body["actual"]:
                planned += float(body["cost"])
                spent += float(body["actual"])
        return spent / planned if planned else 1.0


class JiraDay:
    """A day in Jira: issues are created and move through the workflow, people log work."""

    def __init__(self, seed: int, day: date, changes: DayChanges) -> None:
        self.seed = seed
        self.day = day
        self.changes = changes
        self.rng = stream(seed, "advance-jira", day.isoformat())
        self.conn = changes.conn

    def run(self) -> None:
        conn, changes = self.conn, self.changes
        accounts_by_email: dict[str, dict] = {}
        partners = []
        for email, body in conn.execute("select email, body from jira_user order by account_id"):
            account = json.loads(body)
            if email:
                accounts_by_email.setdefault(email.lower(), account)
                if email.lower().endswith("@" + PARTNER_DOMAIN):
                    partners.append(account)
        user_email = {
            sys_id_: (email or "").lower()
            for sys_id_, email in conn.execute(
                "select sys_id, json_extract(body, '$.email') from sn_record where tbl = 'sys_user'"
            )
        }
        projects = {b["sys_id"]: b for (t, _), b in changes.sn.items() if t == "pm_project"}
        sn_keys = {p["u_jira_project_key"]: p for p in projects.values() if p["u_jira_project_key"]}
        members: dict[str, list[tuple[dict, int, int]]] = {}
        for (table, _), plan in sorted(changes.sn.items()):
            if table != "resource_plan" or plan["state"] not in COUNTING_STATES:
                continue
            project = projects.get(plan["task"])
            account = accounts_by_email.get(user_email.get(plan["user"], ""))
            if project is None or account is None or not project["u_jira_project_key"]:
                continue
            first = epoch_ms(datetime.fromisoformat(plan["start_date"]).replace(tzinfo=UTC))
            last = epoch_ms(datetime.fromisoformat(plan["end_date"]).replace(tzinfo=UTC)) + 86_399_999
            members.setdefault(project["u_jira_project_key"], []).append((account, first, last))
        self.next_issue = 1 + max(
            conn.execute("select coalesce(max(id), 0) from jira_issue").fetchone()[0],
            conn.execute("select coalesce(max(id), 0) from jira_issue_deleted").fetchone()[0],
        )
        self.next_history = 1 + conn.execute("select coalesce(max(id), 0) from jira_changelog").fetchone()[0]
        self.next_worklog = 1 + max(
            conn.execute("select coalesce(max(id), 0) from jira_worklog").fetchone()[0],
            conn.execute("select coalesce(max(id), 0) from jira_worklog_deleted").fetchone()[0],
        )
        for key, project_id, name in conn.execute(
            "select key, id, json_extract(body, '$.name') from jira_project order by key"
        ).fetchall():
            sn_project = sn_keys.get(key)
            if sn_project is not None:
                if sn_project["state"] != "2":
                    continue
                team = [
                    m for m in members.get(key, []) if m[1] <= epoch_ms(changes.end) and m[2] >= epoch_ms(changes.start)
                ]
            else:
                team = [(a, 0, 2**62) for a in partners]
            if not team:
                continue
            self._project_day(
                key,
                {"id": project_id, "key": key, "name": name, "projectTypeKey": "software", "simplified": False},
                team,
            )
        self._worklog_edits()
        if self.day.toordinal() % 2 == 0:
            self._delete_an_issue()

    def _issue(self, issue_id: int, key: str, project_key: str, key_num: int, created: int, body: str | dict) -> dict:
        if issue_id not in self.changes.issues:
            self.changes.issues[issue_id] = json.loads(body) if isinstance(body, str) else body
            self.changes.issue_rows[issue_id] = (key, project_key, key_num, created)
        return self.changes.issues[issue_id]

    def _member(self, team: list[tuple[dict, int, int]], moment: int) -> dict | None:
        covering = [a for a, first, last in team if first <= moment <= last]
        return covering[self.rng.randrange(len(covering))] if covering else None

    def _project_day(self, key: str, project: dict, team: list[tuple[dict, int, int]]) -> None:
        rng, changes, conn = self.rng, self.changes, self.conn
        rows = conn.execute(
            "select id, key, key_num, created_ms, body from jira_issue where project_key = ? "
            "and json_extract(body, '$.fields.status.statusCategory.key') != 'done' order by id",
            (key,),
        ).fetchall()
        for issue_id, issue_key, key_num, created, text in rows:
            if rng.random() < 0.15:
                body = self._issue(issue_id, issue_key, key, key_num, created, text)
                self._transition(body, team)
            elif '"name":"In Progress"' in text and rng.random() < 0.3:
                body = self._issue(issue_id, issue_key, key, key_num, created, text)
                self._log_work(body, team)
        max_num = conn.execute(
            "select coalesce(max(key_num), 0) from jira_issue where project_key = ?", (key,)
        ).fetchone()[0]
        for (deleted_key,) in conn.execute("select key from jira_issue_deleted where key like ?", (f"{key}-%",)):
            max_num = max(max_num, int(deleted_key.rsplit("-", 1)[1]))
        max_num = max([max_num, *(row[2] for i, row in changes.issue_rows.items() if row[1] == key)])
        for _ in range(sum(rng.random() < 0.4 for _ in range(4))):
            created = changes.moment_ms()
            reporter = self._member(team, created) or team[0][0]
            max_num += 1
            issue_id = self.next_issue
            self.next_issue += 1
            kind = rng.choices(("Story", "Task", "Bug"), weights=(55, 25, 20))[0]
            body = backlog_issue_body(
                issue_id,
                f"{key}-{max_num}",
                project,
                kind,
                reporter,
                created,
                f"{rng.choice(VERBS)} {rng.choice(NOUNS)}",
                PRIORITIES[rng.choice((1, 2, 2, 3))],
                None,
            )
            changes.issues[issue_id] = body
            changes.issue_rows[issue_id] = (f"{key}-{max_num}", key, max_num, created)
            changes.new_issues.add(issue_id)

    def _transition(self, body: dict, team: list[tuple[dict, int, int]]) -> None:
        rng, changes = self.rng, self.changes
        fields = body["fields"]
        old = fields["status"]["name"]
        options = TRANSITIONS.get(old)
        if not options:
            return
        roll, target, resolution = rng.random(), None, None
        for name, resolution_name, share in options:
            if roll < share:
                target, resolution = name, resolution_name
                break
            roll -= share
        if target is None:
            return
        moment = max(changes.moment_ms(), fields["updated"] + 1)
        if fields["assignee"] is None and target == "In Progress":
            member = self._member(team, moment)
            fields["assignee"] = user_ref(member) if member else None
        old_resolution = fields["resolution"]["name"] if fields["resolution"] else None
        items = status_items(old, target, old_resolution, resolution)
        old_category = fields["status"]["statusCategory"]["key"]
        fields["status"] = status_body(target)
        if fields["status"]["statusCategory"]["key"] != old_category:
            fields["statuscategorychangedate"] = moment
        fields["resolution"] = RESOLUTIONS[resolution] if resolution else None
        fields["resolutiondate"] = moment if resolution else None
        fields["updated"] = max(fields["updated"], moment)
        author = self._member(team, moment) or fields["reporter"]
        history_id = self.next_history
        self.next_history += 1
        changes.histories.append(
            (history_id, int(body["id"]), moment, dumps(history_body(history_id, author, moment, items)))
        )

    def _log_work(self, body: dict, team: list[tuple[dict, int, int]]) -> None:
        rng, changes = self.rng, self.changes
        fields = body["fields"]
        created = changes.moment_ms()
        seconds = rng.choice((1800, 3600, 5400, 7200, 10800, 14400))
        started = created - seconds * 1000 - rng.randint(0, 3_600_000)
        assignee = fields["assignee"]
        author = None
        if assignee is not None:
            author = next(
                (a for a, first, last in team if a["accountId"] == assignee["accountId"] and first <= started <= last),
                None,
            )
        author = author or self._member(team, started)
        if author is None:
            return
        worklog_id = self.next_worklog
        self.next_worklog += 1
        changes.worklogs[worklog_id] = worklog_body(worklog_id, int(body["id"]), author, started, created, seconds)
        changes.new_worklogs.add(worklog_id)
        fields["timespent"] = (fields["timespent"] or 0) + seconds
        fields["updated"] = max(fields["updated"], created)

    def _worklog_edits(self) -> None:
        rng, changes, conn = self.rng, self.changes, self.conn
        since = epoch_ms(changes.start) - 30 * 86_400_000
        recent = conn.execute(
            "select w.id, w.body, i.id, i.key, i.project_key, i.key_num, i.created_ms, i.body "
            "from jira_worklog w join jira_issue i on i.id = w.issue_id where w.updated_ms >= ? order by w.id",
            (since,),
        ).fetchall()
        if not recent:
            return
        picks = rng.sample(recent, min(3, len(recent)))
        for position, (worklog_id, text, issue_id, key, project_key, key_num, created, issue_text) in enumerate(picks):
            if worklog_id in changes.worklogs:
                continue
            issue = self._issue(issue_id, key, project_key, key_num, created, issue_text)
            worklog = json.loads(text)
            moment = max(changes.moment_ms(), worklog["updated"] + 1)
            issue["fields"]["updated"] = max(issue["fields"]["updated"], moment)
            if position == 0:
                # Deleted: the author logged it on the wrong issue.
                issue["fields"]["timespent"] = (issue["fields"]["timespent"] or 0) - worklog["timeSpentSeconds"] or None
                changes.gone_worklogs.append((worklog_id, moment))
                changes.worklogs.pop(worklog_id, None)
                continue
            change = rng.choice((-1800, 1800, 3600))
            seconds = max(900, worklog["timeSpentSeconds"] + change)
            issue["fields"]["timespent"] = (issue["fields"]["timespent"] or 0) + seconds - worklog["timeSpentSeconds"]
            worklog.update(timeSpentSeconds=seconds, timeSpent=time_spent_text(seconds), updated=moment)
            changes.worklogs[worklog_id] = worklog

    def _delete_an_issue(self) -> None:
        rng, changes, conn = self.rng, self.changes, self.conn
        candidates = conn.execute(
            "select i.id, i.key from jira_issue i where "
            "json_extract(i.body, '$.fields.status.name') = 'To Do' "
            "and json_extract(i.body, '$.fields.issuetype.name') in ('Bug', 'Sub-task') "
            "and json_array_length(i.body, '$.fields.issuelinks') = 0 "
            "and not exists (select 1 from jira_changelog c where c.issue_id = i.id) "
            "and not exists (select 1 from jira_worklog w where w.issue_id = i.id) order by i.id"
        ).fetchall()
        candidates = [c for c in candidates if c[0] not in changes.issues]
        if candidates:
            issue_id, key = candidates[rng.randrange(len(candidates))]
            changes.gone_issues.append((issue_id, key, changes.moment_ms()))
