"""The Jira side: accounts, projects, issues with status histories, worklogs and issue links.

Issues are generated one Jira project at a time from the project's own random stream, and only
by people whose resource plan covers the day they work; nothing but a small sample of issues per
project (for cross-project links) stays in memory.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from simulators.world import jira_static
from simulators.world.jira_static import ISSUE_TYPES, LINK_TYPES, PRIORITIES, RESOLUTIONS, STATUSES, status_body
from simulators.world.organisation import FIRST_NAMES, LAST_NAMES, PARTNER_DOMAIN, Organisation, Person
from simulators.world.seeding import account_id, stream
from simulators.world.store import (
    BASE_URL_PLACEHOLDER as BASE,
)
from simulators.world.store import (
    INSERT_JIRA_CHANGELOG,
    INSERT_JIRA_ISSUE,
    INSERT_JIRA_WORKLOG,
    SPRINT_FIELD_ID,
    STORY_POINTS_FIELD_ID,
    RowBuffer,
    dumps,
)

if TYPE_CHECKING:  # jira_extras imports this module's word lists
    from simulators.world.jira_extras import ExtrasWriter

DAY = 86400
LABELS = ("backend", "frontend", "api", "infra", "ux", "tech-debt", "security", "data", "performance")
COMPONENT_NAMES = ("Backend", "Frontend", "API", "Data", "Infrastructure", "Mobile", "Reporting")
VERBS = ("Add", "Fix", "Refactor", "Migrate", "Document", "Test", "Automate", "Remove", "Improve")
NOUNS = (
    "login flow",
    "invoice export",
    "search API",
    "audit log",
    "user settings",
    "batch job",
    "dashboard",
    "payment retry",
    "notification service",
    "report filter",
    "SSO integration",
    "data pipeline",
    "cache layer",
    "error handling",
    "deployment script",
    "access roles",
)
WORKLOG_SECONDS = (1800, 3600, 5400, 7200, 10800, 14400, 21600, 28800)
BOT_EMAIL = "pwh-bot@example.com"


def user_ref(account: dict) -> dict:
    """How an issue, worklog, changelog history or comment embeds a user."""
    return {
        "accountId": account["accountId"],
        "emailAddress": account["emailAddress"],
        "displayName": account["displayName"],
        "active": account["active"],
        "timeZone": account["timeZone"],
        "accountType": "atlassian",
    }


def time_spent_text(seconds: int) -> str:
    """Jira's duration text with an 8-hour day: 37800 -> '1d 2h 30m'."""
    days, rest = divmod(seconds, 8 * 3600)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{minutes}m" if minutes else ""]
    return " ".join(p for p in parts if p) or "0m"


def ms(seconds: int) -> int:
    """Epoch ms with a deterministic sub-second part, so timestamps do not all end in .000."""
    return seconds * 1000 + (seconds * 7919) % 1000


@dataclass
class JiraIds:
    """Running ids: Jira numbers issues, worklogs, histories and links site-wide."""

    issue: int = 10000
    worklog: int = 100000
    history: int = 1000000
    link: int = 20000
    project: int = 10000


@dataclass
class Member:
    """A person who may work on a project's issues, and when."""

    account: dict
    first: int  # epoch seconds, inclusive
    last: int


@dataclass
class JiraProject:
    id: str
    key: str
    name: str
    ordinal: int
    lead: dict
    style: str  # agile | hybrid | waterfall | unmatched
    first: int  # issues are created from here...
    last: int  # ...to here (epoch seconds)
    members: list[Member]
    sample: list[tuple[int, str, int]] = field(default_factory=list)  # (id, key, created s)


def write_accounts(
    seed: int, org: Organisation, rows: RowBuffer, time_zone: str
) -> tuple[dict[int, dict], list[dict], dict]:
    """Write jira_user rows: people's accounts, partner accounts no HR system knows, the API user.

    Returns (person index -> account, partner accounts, API user account).
    """
    rng = stream(seed, "jira-accounts")
    by_person: dict[int, dict] = {}
    for person in org.people:
        if person.jira_account is None:
            continue
        account = {
            "accountId": person.jira_account,
            "accountType": "atlassian",
            "emailAddress": person.jira_email,
            "displayName": person.name,
            "active": person.left is None,
            "timeZone": person.time_zone,
            "locale": "en_US",
        }
        by_person[person.index] = account
    partners = []
    for index in range(max(2, len(org.people) // 50)):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        partners.append(
            {
                "accountId": account_id(seed, f"partner|{index}"),
                "accountType": "atlassian",
                "emailAddress": f"{first.lower()}.{last.lower()}{index}@{PARTNER_DOMAIN}",
                "displayName": f"{first} {last} (partner)",
                "active": True,
                "timeZone": rng.choice(("Asia/Kolkata", "Europe/Warsaw", "America/Sao_Paulo")),
                "locale": "en_US",
            }
        )
    bot = {
        "accountId": account_id(seed, "api-user"),
        "accountType": "atlassian",
        "emailAddress": BOT_EMAIL,
        "displayName": "Portfolio Warehouse Bot",
        "active": True,
        "timeZone": time_zone,
        "locale": "en_US",
    }
    for account in [*by_person.values(), *partners, bot]:
        body = {
            "self": f"{BASE}/rest/api/3/user?accountId={account['accountId']}",
            **account,
            "avatarUrls": jira_static.avatar_urls(account["accountId"]),
        }
        rows.add("insert into jira_user values (?, ?, ?)", (account["accountId"], account["emailAddress"], dumps(body)))
    return by_person, partners, bot


def project_body(project: JiraProject) -> dict:
    """A /project/search value."""
    return {
        "expand": "description,lead,issueTypes,url,projectKeys,permissions,insight",
        "self": f"{BASE}/rest/api/3/project/{project.id}",
        "id": project.id,
        "key": project.key,
        "name": project.name,
        "avatarUrls": {
            size: (
                f"{BASE}/rest/api/3/universal_avatar/view/type/project/avatar/"
                f"{10400 + project.ordinal % 20}?size={name}"
            )
            for size, name in (("48x48", "large"), ("24x24", "small"), ("16x16", "xsmall"), ("32x32", "medium"))
        },
        "projectTypeKey": "software",
        "simplified": project.style == "agile",
        "style": "next-gen" if project.style == "agile" else "classic",
        "isPrivate": False,
        "properties": {},
        "lead": {
            "accountId": project.lead["accountId"],
            "displayName": project.lead["displayName"],
            "active": project.lead["active"],
        },
        "archived": False,
    }


class IssueWriter:
    """Generates the issues, histories and worklogs of one Jira project after another."""

    def __init__(
        self,
        seed: int,
        rows: RowBuffer,
        ids: JiraIds,
        cutoff: int,
        issues_per_month: tuple[int, int],
        worklogs_per_started_issue: float,
        extras: ExtrasWriter | None = None,
    ) -> None:
        self.seed = seed
        # Versions, components, boards, sprints and comments (jira_extras.py), from streams of their own.
        self.extras = extras
        self.rows = rows
        self.ids = ids
        self.cutoff = cutoff
        self.issues_per_month = issues_per_month
        self.worklog_mean = worklogs_per_started_issue
        self.counts = {"issues": 0, "worklogs": 0, "histories": 0}

    def write_project(self, project: JiraProject) -> None:
        self.rows.add(
            "insert into jira_project values (?, ?, ?)", (project.id, project.key, dumps(project_body(project)))
        )
        last = min(project.last, self.cutoff - DAY)
        if last <= project.first or not project.members:
            if self.extras is not None:
                self.extras.project(project, None)
            return
        rng = stream(self.seed, "jira-issues", project.key)
        months = (last - project.first) / (30.4 * DAY)
        count = max(3, int(months * rng.randint(*self.issues_per_month)))
        epics = max(2, count // 18)
        skeleton: list[tuple[int, str]] = []
        span = last - project.first
        for n in range(count):
            if n < epics:
                kind = "Epic"
                created = project.first + int(span * 0.4 * rng.random())
            else:
                kind = rng.choices(("Story", "Task", "Bug", "Sub-task"), weights=(55, 20, 15, 10))[0]
                created = project.first + int(span * rng.random())
            skeleton.append((created, kind))
        skeleton.sort()
        context = _ProjectContext(project, rng, self.cutoff)
        for key_num, (created, kind) in enumerate(skeleton, start=1):
            self._write_issue(context, key_num, created, kind)
        if self.extras is not None:
            self.extras.project(project, context)

    def _write_issue(self, ctx: _ProjectContext, key_num: int, created: int, kind: str) -> None:
        rng, project, cutoff = ctx.rng, ctx.project, self.cutoff
        self.ids.issue += 1
        issue_id = self.ids.issue
        key = f"{project.key}-{key_num}"
        parent = None
        if kind == "Sub-task":
            if ctx.stories:
                parent = ctx.stories[rng.randrange(len(ctx.stories))]
            else:
                kind = "Task"
        elif kind != "Epic" and ctx.epics and rng.random() < 0.85:
            parent = ctx.epics[rng.randrange(len(ctx.epics))]
        events = _lifecycle(rng, kind, created, project, cutoff)
        status = events[-1][2] if events else "To Do"
        reporter = ctx.member_at(created) or project.lead
        assignee = None
        started = next((t for t, _, to, _ in events if to == "In Progress"), None)
        if started is not None:
            assignee = ctx.member_at(started) or ctx.member_at(created) or project.members[0].account
        elif rng.random() < 0.5:
            assignee = ctx.member_at(created)
        # Histories
        updated = created
        status_change = created
        resolution = None
        resolved_at = None
        for moment, old, new, resolution_name in events:
            self.ids.history += 1
            author = (assignee if assignee and rng.random() < 0.8 else ctx.member_at(moment)) or project.lead
            items = [_status_item(old, new)]
            if new == "Done":
                items.append(_resolution_item(None, resolution_name))
                resolution, resolved_at = resolution_name, moment
            elif old == "Done":
                items.append(_resolution_item(resolution, None))
                resolution, resolved_at = None, None
            body = {
                "id": str(self.ids.history),
                "author": user_ref(author),
                "created": ms(moment),
                "items": items,
            }
            self.rows.add(INSERT_JIRA_CHANGELOG, (self.ids.history, issue_id, ms(moment), dumps(body)))
            self.counts["histories"] += 1
            if STATUSES[old][1] != STATUSES[new][1]:
                status_change = moment
            updated = max(updated, moment)
        # Worklogs while in progress
        spent = 0
        if kind != "Epic" and started is not None:
            spans = _work_spans(events, cutoff)
            wanted = min(12, max(1, int(rng.expovariate(1 / self.worklog_mean) + 0.5)))
            for _ in range(wanted):
                first, last = spans[rng.randrange(len(spans))]
                when = first + int((last - first) * rng.random())
                author = assignee if assignee and ctx.covers(assignee, when) else ctx.member_at(when)
                if author is None:
                    continue
                seconds = WORKLOG_SECONDS[rng.randrange(len(WORKLOG_SECONDS))]
                logged = when + seconds + rng.randint(600, 30 * 3600)
                if logged > cutoff:
                    continue
                changed = logged
                editor = author
                if rng.random() < 0.08:
                    changed = min(cutoff, logged + rng.randint(3600, 5 * DAY))
                    if rng.random() < 0.3:
                        editor = ctx.member_at(changed) or author
                self.ids.worklog += 1
                if rng.random() < 0.003:
                    # Logged by mistake and removed again: only the deleted feed remembers it.
                    self.rows.add("insert into jira_worklog_deleted values (?, ?)", (self.ids.worklog, ms(changed) + 1))
                    continue
                spent += seconds
                updated = max(updated, changed)
                body = {
                    "self": f"{BASE}/rest/api/3/issue/{issue_id}/worklog/{self.ids.worklog}",
                    "author": user_ref(author),
                    "updateAuthor": user_ref(editor),
                    "created": ms(logged),
                    "updated": ms(changed),
                    "started": ms(when),
                    "timeSpent": time_spent_text(seconds),
                    "timeSpentSeconds": seconds,
                    "id": str(self.ids.worklog),
                    "issueId": str(issue_id),
                }
                self.rows.add(INSERT_JIRA_WORKLOG, (self.ids.worklog, issue_id, ms(changed), dumps(body)))
                self.counts["worklogs"] += 1
        points = None
        if kind in ("Story", "Bug") and rng.random() < 0.7 or kind == "Task" and rng.random() < 0.3:
            points = float(rng.choice((1, 2, 3, 5, 8, 13)))
        fields = {
            "summary": f"{rng.choice(VERBS)} {rng.choice(NOUNS)}"
            if kind != "Epic"
            else f"Epic: {rng.choice(NOUNS).title()}",
            "issuetype": ISSUE_TYPES[kind],
            "status": status_body(status),
            "priority": PRIORITIES[rng.choices(range(5), weights=(3, 15, 60, 17, 5))[0]],
            "assignee": user_ref(assignee) if assignee else None,
            "reporter": user_ref(reporter),
            "project": {
                "id": project.id,
                "key": project.key,
                "name": project.name,
                "projectTypeKey": "software",
                "simplified": project.style == "agile",
            },
            "created": ms(created),
            "updated": ms(updated),
            "resolutiondate": ms(resolved_at) if resolved_at is not None else None,
            "resolution": RESOLUTIONS[resolution] if resolution else None,
            "statuscategorychangedate": ms(status_change),
            "duedate": _day(created + rng.randint(14, 60) * DAY) if rng.random() < 0.25 else None,
            "labels": sorted(rng.sample(LABELS, rng.choice((0, 0, 1, 1, 2)))),
            "components": [ctx.components[rng.randrange(len(ctx.components))]] if rng.random() < 0.6 else [],
            "fixVersions": ctx.version_for(resolved_at) if resolved_at is not None else [],
            "timeoriginalestimate": int(points * 4 * 3600) if points and rng.random() < 0.5 else None,
            "timespent": spent or None,
            "issuelinks": [],
            STORY_POINTS_FIELD_ID: points,
            SPRINT_FIELD_ID: ctx.sprints_for(created, started, resolved_at) if kind not in ("Epic",) else None,
        }
        if parent is not None:
            fields["parent"] = {"id": str(parent[0]), "key": parent[1]}
        body = {"id": str(issue_id), "key": key, "self": f"{BASE}/rest/api/3/issue/{issue_id}", "fields": fields}
        self.rows.add(INSERT_JIRA_ISSUE, (issue_id, key, project.key, key_num, ms(created), ms(updated), dumps(body)))
        self.counts["issues"] += 1
        if self.extras is not None:
            self.extras.issue(project, issue_id, fields)
        if kind == "Epic":
            ctx.epics.append((issue_id, key))
        elif kind in ("Story", "Task") and len(ctx.stories) < 400:
            ctx.stories.append((issue_id, key))
        if len(project.sample) < 40 and rng.random() < 0.15:
            project.sample.append((issue_id, key, created))


class _ProjectContext:
    """Per-project lookups while its issues are generated."""

    def __init__(self, project: JiraProject, rng: random.Random, cutoff: int) -> None:
        self.project = project
        self.rng = rng
        self.cutoff = cutoff
        self.epics: list[tuple[int, str]] = []
        self.stories: list[tuple[int, str]] = []
        base = 10000 + project.ordinal * 10
        names = rng.sample(COMPONENT_NAMES, 3)
        self.components = [{"id": str(base + i), "name": name} for i, name in enumerate(names)]
        self.board = 1 + project.ordinal
        self.sprinted = project.style == "agile" or (project.style == "hybrid" and rng.random() < 0.5)
        self.sprint_zero = project.first - project.first % (7 * DAY) + 4 * DAY  # a Monday (epoch day 4)
        self._versions: list[dict] = []
        release = project.first + 56 * DAY
        number = 0
        while release < project.last + 56 * DAY:
            number += 1
            self._versions.append(
                {
                    "self": f"{BASE}/rest/api/3/version/{100000 + project.ordinal * 100 + number}",
                    "id": str(100000 + project.ordinal * 100 + number),
                    "name": f"{project.key} {number}.0",
                    "archived": False,
                    "released": release <= cutoff,
                    "releaseDate": _day(release),
                }
            )
            release += 56 * DAY

    def member_at(self, moment: int) -> dict | None:
        members = [m for m in self.project.members if m.first <= moment <= m.last]
        if not members:
            return None
        return members[self.rng.randrange(len(members))].account

    def covers(self, account: dict, moment: int) -> bool:
        return any(m.account is account and m.first <= moment <= m.last for m in self.project.members)

    def version_for(self, resolved: int) -> list[dict]:
        day = _day(resolved)
        for version in self._versions:
            if version["releaseDate"] >= day:
                return [version]
        return []

    def sprints_for(self, created: int, started: int | None, resolved: int | None) -> list[dict] | None:
        if not self.sprinted:
            return None
        if started is None:
            if self.cutoff - created > 14 * DAY:
                return None  # still in the backlog
            started = self.cutoff
        first = max(0, (started - self.sprint_zero) // (14 * DAY))
        last = max(first, ((resolved or self.cutoff) - self.sprint_zero) // (14 * DAY))
        return [self._sprint(n) for n in range(first, min(last, first + 2) + 1)]

    def _sprint(self, n: int) -> dict:
        start = self.sprint_zero + n * 14 * DAY
        end = start + 14 * DAY
        state = "closed" if end <= self.cutoff else "active" if start <= self.cutoff else "future"
        sprint = {
            "id": self.board * 1000 + n + 1,
            "name": f"{self.project.key} Sprint {n + 1}",
            "state": state,
            "boardId": self.board,
            "goal": "",
            "startDate": _iso(start),
            "endDate": _iso(end),
        }
        if state == "closed":
            sprint["completeDate"] = _iso(end)
        return sprint


def _lifecycle(
    rng: random.Random, kind: str, created: int, project: JiraProject, cutoff: int
) -> list[tuple[int, str, str, str | None]]:
    """Status transitions (time, from, to, resolution) of one issue, cut at the clock."""
    events: list[tuple[int, str, str, str | None]] = []
    t = created
    if kind == "Epic":
        t += rng.randint(2, 10) * DAY
        events.append((t, "To Do", "In Progress", None))
        if rng.random() < 0.6:
            events.append(
                (t + int((project.last - project.first) * rng.uniform(0.3, 0.8)), "In Progress", "Done", "Done")
            )
    elif rng.random() < 0.06:
        events.append((t + int(rng.expovariate(1 / (10 * DAY))) + 600, "To Do", "Done", "Won't Do"))
    else:
        t += int(rng.expovariate(1 / (6 * DAY))) + 900
        events.append((t, "To Do", "In Progress", None))
        t += int(rng.expovariate(1 / (3 * DAY))) + 1800
        events.append((t, "In Progress", "In Review", None))
        if rng.random() < 0.12:
            t += int(rng.expovariate(1 / DAY)) + 600
            events.append((t, "In Review", "In Progress", None))
            t += int(rng.expovariate(1 / (2 * DAY))) + 600
            events.append((t, "In Progress", "In Review", None))
        t += int(rng.expovariate(1 / (1.5 * DAY))) + 600
        events.append((t, "In Review", "Done", "Done"))
        if rng.random() < 0.03:
            t += int(rng.expovariate(1 / (3 * DAY))) + 600
            events.append((t, "Done", "In Progress", None))
            t += int(rng.expovariate(1 / (3 * DAY))) + 600
            events.append((t, "In Progress", "Done", "Done"))
    return [e for e in events if e[0] <= cutoff]


def _work_spans(events: list[tuple[int, str, str, str | None]], cutoff: int) -> list[tuple[int, int]]:
    spans = []
    start = None
    for moment, _, new, _ in events:
        if new == "In Progress" and start is None:
            start = moment
        elif new != "In Progress" and start is not None:
            spans.append((start, max(start + 3600, moment)))
            start = None
    if start is not None:
        spans.append((start, max(start + 3600, cutoff - DAY)))
    return spans


def _status_item(old: str, new: str) -> dict:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": STATUSES[old][0],
        "fromString": old,
        "to": STATUSES[new][0],
        "toString": new,
    }


def _resolution_item(old: str | None, new: str | None) -> dict:
    return {
        "field": "resolution",
        "fieldtype": "jira",
        "fieldId": "resolution",
        "from": RESOLUTIONS[old]["id"] if old else None,
        "fromString": old,
        "to": RESOLUTIONS[new]["id"] if new else None,
        "toString": new,
    }


def _day(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d")


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def write_links(seed: int, conn: sqlite3.Connection, projects: list[JiraProject], ids: JiraIds, cutoff: int) -> int:
    """Blocks (and a few Relates) links between sampled issues, some across projects.

    A link is stored on both issues: as ``outwardIssue`` on the blocker ("blocks") and as
    ``inwardIssue`` on the blocked issue ("is blocked by"), with the same link id.
    """
    rng = stream(seed, "jira-links")
    with_samples = [p for p in projects if len(p.sample) >= 2]
    if not with_samples:
        return 0
    pending: dict[int, list[dict]] = {}
    touched: dict[int, int] = {}
    made = 0
    seen: set[tuple[int, int]] = set()
    for project in with_samples:
        for blocked in project.sample[: len(project.sample) // 2]:
            if rng.random() < 0.4 and len(with_samples) > 1:
                other = with_samples[rng.randrange(len(with_samples))]
            else:
                other = project
            blocker = other.sample[rng.randrange(len(other.sample))]
            pair = (min(blocked[0], blocker[0]), max(blocked[0], blocker[0]))
            if blocker[0] == blocked[0] or pair in seen:
                continue
            seen.add(pair)
            moment = max(blocked[2], blocker[2]) + rng.randint(600, 3 * DAY)
            if moment > cutoff:
                continue
            link_type = LINK_TYPES["Blocks"] if rng.random() < 0.8 else LINK_TYPES["Relates"]
            ids.link += 1
            link_id = str(ids.link)
            pending.setdefault(blocked[0], []).append(
                {
                    "id": link_id,
                    "self": f"{BASE}/rest/api/3/issueLink/{link_id}",
                    "type": link_type,
                    "inwardIssue": {"id": str(blocker[0]), "key": blocker[1]},
                }
            )
            pending.setdefault(blocker[0], []).append(
                {
                    "id": link_id,
                    "self": f"{BASE}/rest/api/3/issueLink/{link_id}",
                    "type": link_type,
                    "outwardIssue": {"id": str(blocked[0]), "key": blocked[1]},
                }
            )
            for issue in (blocked[0], blocker[0]):
                touched[issue] = max(touched.get(issue, 0), ms(moment))
            made += 1
    for issue_id in sorted(pending):
        body = json.loads(conn.execute("select body from jira_issue where id = ?", (issue_id,)).fetchone()[0])
        body["fields"]["issuelinks"].extend(pending[issue_id])
        updated = max(body["fields"]["updated"], touched[issue_id])
        body["fields"]["updated"] = updated
        conn.execute("update jira_issue set body = ?, updated_ms = ? where id = ?", (dumps(body), updated, issue_id))
    return made


def members_from(person_windows: list[tuple[Person, date, date]], accounts: dict[int, dict]) -> list[Member]:
    """Members of a project's Jira team: allocated people who have a Jira account."""
    members = []
    for person, first, last in person_windows:
        account = accounts.get(person.index)
        if account is None:
            continue
        start = int(datetime(first.year, first.month, first.day, tzinfo=UTC).timestamp())
        end = int(datetime(last.year, last.month, last.day, 23, 59, 59, tzinfo=UTC).timestamp())
        members.append(Member(account, start, end))
    return members


def epoch(moment: datetime | date) -> int:
    if isinstance(moment, datetime):
        return int(moment.timestamp())
    return int(datetime(moment.year, moment.month, moment.day, tzinfo=UTC).timestamp())


def backlog_issue_body(
    issue_id: int,
    key: str,
    project: dict,
    kind: str,
    reporter: dict,
    created_ms: int,
    summary: str,
    priority: dict,
    parent: dict | None,
) -> dict:
    """A newly created To Do issue as Jira stores it (used when the world moves on)."""
    fields = {
        "summary": summary,
        "issuetype": ISSUE_TYPES[kind],
        "status": status_body("To Do"),
        "priority": priority,
        "assignee": None,
        "reporter": user_ref(reporter),
        "project": project,
        "created": created_ms,
        "updated": created_ms,
        "resolutiondate": None,
        "resolution": None,
        "statuscategorychangedate": created_ms,
        "duedate": None,
        "labels": [],
        "components": [],
        "fixVersions": [],
        "timeoriginalestimate": None,
        "timespent": None,
        "issuelinks": [],
        STORY_POINTS_FIELD_ID: None,
        SPRINT_FIELD_ID: None,
    }
    if parent is not None:
        fields["parent"] = parent
    return {"id": str(issue_id), "key": key, "self": f"{BASE}/rest/api/3/issue/{issue_id}", "fields": fields}


def worklog_body(worklog_id: int, issue_id: int, author: dict, started_ms: int, created_ms: int, seconds: int) -> dict:
    """A new worklog as Jira stores it."""
    return {
        "self": f"{BASE}/rest/api/3/issue/{issue_id}/worklog/{worklog_id}",
        "author": user_ref(author),
        "updateAuthor": user_ref(author),
        "created": created_ms,
        "updated": created_ms,
        "started": started_ms,
        "timeSpent": time_spent_text(seconds),
        "timeSpentSeconds": seconds,
        "id": str(worklog_id),
        "issueId": str(issue_id),
    }


def history_body(history_id: int, author: dict, created_ms: int, items: list[dict]) -> dict:
    return {"id": str(history_id), "author": user_ref(author), "created": created_ms, "items": items}


def status_items(old: str, new: str, old_resolution: str | None, new_resolution: str | None) -> list[dict]:
    """The items of a status transition, with the resolution change Jira records beside it."""
    items = [_status_item(old, new)]
    if old_resolution != new_resolution:
        items.append(_resolution_item(old_resolution, new_resolution))
    return items
