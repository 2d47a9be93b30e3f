"""Jira around the issues: fix versions, components, boards, sprints, comments and groups.

The warehouse reads issues, status histories and worklogs; clients such as tap-jira, Airbyte's
source-jira and the ``jira`` library read more, and stop on the first endpoint a site cannot
answer. This module generates what they read, with the rest of the world and from random streams
of its own (``jira-comments|<project>``, ``jira-sprint-goals|<project>``, ``jira-groups``,
``advance-jira-extras|<day>``), so adding it moved no draw of the issues, worklogs and histories:
every record the world held before is unchanged.

- Versions and components are the ones issues already name in ``fixVersions`` and ``components``.
- Each project has one board: scrum where the project runs sprints, kanban otherwise. A scrum
  board's sprints are the two-week sprints its issues' Sprint field names, the current one active
  and, while the project is live, the next one planned.
- Sprint changes are changelog histories as Jira records them (field ``Sprint``, ``from``/``to``
  the comma-separated sprint ids before and after), kept in ``jira_sprint_history``.
- Comments fall between an issue's creation and its last update (a comment updates the issue).

``JiraExtrasDay`` moves all of it on with the clock: versions are released, sprints close and the
next ones start, unfinished issues move to the next sprint and backlog issues are planned into it,
and new comments appear; every change to an issue bumps its ``updated``.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from simulators.world.jira_world import COMPONENT_NAMES, NOUNS, user_ref
from simulators.world.seeding import stream
from simulators.world.store import BASE_URL_PLACEHOLDER as BASE
from simulators.world.store import (
    INSERT_JIRA_COMMENT,
    INSERT_JIRA_ISSUE_SPRINT,
    INSERT_JIRA_SPRINT_HISTORY,
    SPRINT_FIELD_ID,
    RowBuffer,
    dumps,
    epoch_ms,
)

if TYPE_CHECKING:  # the advance side only needs these for type hints
    from simulators.world.advance import DayChanges

DAY_MS = 86_400_000
SPRINT_DAYS = 14
FIRST_COMMENT_ID = 10000
# Sprint histories are numbered apart from the status histories (which count up from 1,000,000 and
# grow with the world clock), so the two never share an id.
FIRST_SPRINT_HISTORY_ID = 900_000_000
COMMENT_TEXTS = (
    ("Picked this up; starting with the {noun}.",),
    ("Reviewed the change, looks good to me.",),
    ("Blocked until the {noun} change is deployed.", "Will pick it up again once it is live."),
    ("Can we split this into smaller pieces?",),
    ("Tested on staging: works as expected.",),
    ("Updated the estimate after the refinement session.",),
    ("Open questions:", "- who owns the {noun}?", "- do we need a feature flag?"),
    ("Paired on this today, almost there.",),
)
GOALS = (
    "Ship the {noun}",
    "Harden the {noun}",
    "Close the open bugs in the {noun}",
    "Demo the {noun} to the stakeholders",
    "",
)
GROUPS = ("jira-software-users", "jira-administrators", "site-admins", "external-partners")


def comment_body(texts: tuple[str, ...], noun: str) -> dict:
    """An Atlassian Document Format body: one paragraph per line, lines starting '- ' as a bullet list."""
    content: list[dict] = []
    bullets: list[dict] = []
    for line in texts:
        text = line.format(noun=noun)
        if text.startswith("- "):
            bullets.append({"type": "listItem", "content": [{"type": "paragraph", "content": [_text(text[2:])]}]})
            continue
        content.append({"type": "paragraph", "content": [_text(text)]})
    if bullets:
        content.append({"type": "bulletList", "content": bullets})
    return {"type": "doc", "version": 1, "content": content}


def _text(text: str) -> dict:
    return {"type": "text", "text": text}


def iso_utc(moment_ms: int) -> str:
    """A Jira Software date: ``2026-06-29T09:00:00.000Z`` (the Agile API and the Sprint field write UTC)."""
    seconds, millis = divmod(moment_ms, 1000)
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"


def iso_ms(text: str) -> int:
    """Epoch milliseconds of an ``iso_utc`` text."""
    return epoch_ms(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC))


def sprint_change_items(before: list[dict], after: list[dict]) -> list[dict]:
    """The changelog item of a Sprint change, as Jira writes it: ids and names as comma lists."""
    return [
        {
            "field": "Sprint",
            "fieldtype": "custom",
            "fieldId": SPRINT_FIELD_ID,
            "from": ", ".join(str(s["id"]) for s in before),
            "fromString": ", ".join(s["name"] for s in before),
            "to": ", ".join(str(s["id"]) for s in after),
            "toString": ", ".join(s["name"] for s in after),
        }
    ]


def sprint_ref(sprint: dict) -> dict:
    """How an issue's Sprint field holds a sprint (the server shows the sprint's current state)."""
    ref = {
        "id": sprint["id"],
        "name": sprint["name"],
        "state": sprint["state"],
        "boardId": sprint["originBoardId"],
        "goal": sprint.get("goal", ""),
    }
    for name in ("startDate", "endDate", "completeDate"):
        if sprint.get(name):
            ref[name] = sprint[name]
    return ref


def group_id(seed: int, name: str) -> str:
    """A group id shaped like Jira Cloud's (a UUID), derived from the seed and the group name."""
    digest = hashlib.md5(f"{seed}|jira-group|{name}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def write_groups(seed: int, rows: RowBuffer, people: list[dict], partners: list[dict], bot: dict) -> None:
    """Groups and their members: everyone uses Jira Software, a few people administer it."""
    rng = stream(seed, "jira-groups")
    admins = sorted(rng.sample(people, min(3, len(people))), key=lambda a: a["accountId"]) if people else []
    members = {
        "jira-software-users": [*people, *partners, bot],
        "jira-administrators": [*admins, bot],
        "site-admins": [bot],
        "external-partners": partners,
    }
    for name in GROUPS:
        gid = group_id(seed, name)
        rows.add("insert into jira_group values (?, ?, ?)", (gid, name, dumps({"name": name, "groupId": gid})))
        for account_id_ in sorted({account["accountId"] for account in members[name]}):
            rows.add("insert into jira_group_member values (?, ?)", (gid, account_id_))


class ExtrasWriter:
    """Writes each project's versions, components, board and sprints, and each issue's comments and
    sprint histories, as ``IssueWriter`` generates them (it calls ``issue`` and ``project``)."""

    def __init__(self, seed: int, rows: RowBuffer, cutoff: int) -> None:
        self.seed = seed
        self.rows = rows
        self.cutoff = cutoff  # epoch seconds: nothing generated is later
        self.next_comment = FIRST_COMMENT_ID
        self.next_history = FIRST_SPRINT_HISTORY_ID
        self._project_key = ""
        self._rng = random.Random()
        self._sprints_used: set[int] = set()

    def _begin(self, project: Any) -> None:
        if project.key != self._project_key:
            self._project_key = project.key
            self._rng = stream(self.seed, "jira-comments", project.key)
            self._sprints_used = set()

    # -- per issue ------------------------------------------------------------------------------

    def issue(self, project: Any, issue_id: int, fields: dict) -> None:
        """The comments, sprint memberships and sprint histories of one generated issue."""
        self._begin(project)
        created, updated = fields["created"], fields["updated"]
        sprints = fields.get(SPRINT_FIELD_ID) or []
        for sprint in sprints:
            self._sprints_used.add(sprint["id"])
            self.rows.add(INSERT_JIRA_ISSUE_SPRINT, (sprint["id"], issue_id))
        self._sprint_histories(project, issue_id, created, updated, sprints)
        self._comments(project, issue_id, fields)

    def _sprint_histories(self, project: Any, issue_id: int, created: int, updated: int, sprints: list[dict]) -> None:
        """Planned into its first sprint before the sprint started (unless created in it), then moved
        on when a sprint ended unfinished; never after the issue's last update."""
        last = created
        for position, sprint in enumerate(sprints):
            if position == 0:
                moment = min(iso_ms(sprint["startDate"]) - 3_600_000, updated)
                if moment <= created:
                    continue  # created into the sprint: Jira records no change
            else:
                moment = min(max(iso_ms(sprints[position - 1]["endDate"]) + 600_000, last + 1), updated)
                if moment <= last:
                    return
            last = moment
            self.next_history += 1
            body = {
                "id": str(self.next_history),
                "author": user_ref(project.lead),
                "created": moment,
                "items": sprint_change_items(sprints[:position], sprints[: position + 1]),
            }
            self.rows.add(INSERT_JIRA_SPRINT_HISTORY, (self.next_history, issue_id, moment, dumps(body)))

    def _comments(self, project: Any, issue_id: int, fields: dict) -> None:
        rng = self._rng
        created, updated = fields["created"], fields["updated"]
        count = rng.choices((0, 1, 2, 3, 4), weights=(45, 25, 15, 10, 5))[0]
        if updated - created < 60_000:
            return
        moments = sorted(created + 1 + int((updated - created - 1) * rng.random()) for _ in range(count))
        for moment in moments:
            covering = [m.account for m in project.members if m.first * 1000 <= moment <= m.last * 1000 + 999]
            author = covering[rng.randrange(len(covering))] if covering else fields["reporter"]
            edited = moment
            if rng.random() < 0.1:
                edited = min(updated, moment + rng.randint(60_000, 2 * DAY_MS))
            texts = COMMENT_TEXTS[rng.randrange(len(COMMENT_TEXTS))]
            noun = str(fields["summary"]).split(" ", 1)[-1].lower()
            self.next_comment += 1
            adf = comment_body(texts, noun)
            body = comment(self.next_comment, issue_id, user_ref(author), moment, edited, adf)
            self.rows.add(INSERT_JIRA_COMMENT, (self.next_comment, issue_id, moment, edited, dumps(body)))

    # -- per project ----------------------------------------------------------------------------

    def project(self, project: Any, context: Any | None) -> None:
        """A project's versions, components, board and sprints (``context``: its issue generator's
        lookups, None when the project has no issues yet)."""
        self._begin(project)
        project_id = int(project.id)
        versions = context._versions if context is not None else []
        for number, version in enumerate(versions, start=1):
            release = date.fromisoformat(version["releaseDate"])
            body = {
                "self": version["self"],
                "id": version["id"],
                "description": f"Release {number} of {project.name}",
                "name": version["name"],
                "archived": version["archived"],
                "released": version["released"],
                "startDate": (release - timedelta(days=55)).isoformat(),
                "releaseDate": version["releaseDate"],
                "projectId": project_id,
            }
            self.rows.add(
                "insert into jira_version values (?, ?, ?, ?)", (int(version["id"]), project.id, number, dumps(body))
            )
        if context is not None:
            components = context.components
        else:
            names = stream(self.seed, "jira-components", project.key).sample(COMPONENT_NAMES, 3)
            components = [{"id": str(10000 + project.ordinal * 10 + i), "name": n} for i, n in enumerate(names)]
        lead = user_ref(project.lead)
        for component in components:
            body = {
                "self": f"{BASE}/rest/api/3/component/{component['id']}",
                "id": component["id"],
                "name": component["name"],
                "description": f"{component['name']} work of {project.name}",
                "lead": lead,
                "assigneeType": "PROJECT_DEFAULT",
                "realAssignee": lead,
                "realAssigneeType": "PROJECT_DEFAULT",
                "isAssigneeTypeValid": True,
                "project": project.key,
                "projectId": project_id,
            }
            row = (int(component["id"]), project.id, dumps(body))
            self.rows.add("insert into jira_component values (?, ?, ?)", row)
        board_id = 1 + project.ordinal
        scrum = context.sprinted if context is not None else project.style == "agile"
        self.rows.add(
            "insert into jira_board values (?, ?, ?, ?)",
            (board_id, project.id, "scrum" if scrum else "kanban", dumps(board_body(board_id, project, scrum))),
        )
        if context is None or not scrum:
            return
        numbers = [sprint_id - board_id * 1000 - 1 for sprint_id in self._sprints_used]
        current = (self.cutoff - context.sprint_zero) // (SPRINT_DAYS * 86400)
        if project.last >= self.cutoff:  # live: the current sprint runs and the next one is planned
            numbers += [current, current + 1]
        if not numbers:
            return
        goals = stream(self.seed, "jira-sprint-goals", project.key)
        for n in range(max(numbers) + 1):
            ref = context._sprint(n)
            start = iso_ms(ref["startDate"])
            body = {
                "id": ref["id"],
                "self": f"{BASE}/rest/agile/1.0/sprint/{ref['id']}",
                "state": ref["state"],
                "name": ref["name"],
                "startDate": ref["startDate"],
                "endDate": ref["endDate"],
                "createdDate": iso_utc(start - 3 * DAY_MS),
                "originBoardId": board_id,
                "goal": goals.choice(GOALS).format(noun=goals.choice(NOUNS)),
            }
            if ref.get("completeDate"):
                body["completeDate"] = ref["completeDate"]
            self.rows.add(
                "insert into jira_sprint values (?, ?, ?, ?, ?)", (ref["id"], board_id, n, ref["state"], dumps(body))
            )


def comment(comment_id: int, issue_id: int, author: dict, created: int, updated: int, adf: dict) -> dict:
    """A comment as stored: REST v3's Comment with its datetimes as epoch milliseconds."""
    return {
        "self": f"{BASE}/rest/api/3/issue/{issue_id}/comment/{comment_id}",
        "id": str(comment_id),
        "author": author,
        "body": adf,
        "updateAuthor": author,
        "created": created,
        "updated": updated,
        "jsdPublic": True,
    }


def board_body(board_id: int, project: Any, scrum: bool) -> dict:
    """A Jira Software board of one project, with the location the Agile API reports."""
    return {
        "id": board_id,
        "self": f"{BASE}/rest/agile/1.0/board/{board_id}",
        "name": f"{project.key} board",
        "type": "scrum" if scrum else "kanban",
        "location": {
            "projectId": int(project.id),
            "displayName": f"{project.name} ({project.key})",
            "projectName": project.name,
            "projectKey": project.key,
            "projectTypeKey": "software",
            "avatarURI": f"{BASE}/rest/api/2/universal_avatar/view/type/project/avatar/"
            f"{10400 + project.ordinal % 20}?size=small",
            "name": f"{project.name} ({project.key})",
        },
        "isPrivate": False,
    }


# -- the world moving on ----------------------------------------------------------------------------


class JiraExtrasDay:
    """A day around the issues: releases, sprint ends and starts, sprint planning and comments.

    Runs after the day's ``JiraDay`` (whose draws it leaves alone), from a stream of its own; it
    changes issues through ``DayChanges`` so their new ``updated`` is written and reported.
    """

    def __init__(self, seed: int, day: date, changes: DayChanges) -> None:
        self.seed = seed
        self.day = day
        self.changes = changes
        self.conn: sqlite3.Connection = changes.conn
        self.rng = stream(seed, "advance-jira-extras", day.isoformat())
        self.gone = {issue_id for issue_id, _, _ in changes.gone_issues}
        self.next_history = (
            1
            + (
                self.conn.execute("select coalesce(max(id), ?) from jira_sprint_history", (FIRST_SPRINT_HISTORY_ID,))
            ).fetchone()[0]
        )
        self.next_comment = (
            1 + (self.conn.execute("select coalesce(max(id), ?) from jira_comment", (FIRST_COMMENT_ID,))).fetchone()[0]
        )

    def run(self) -> None:
        """Apply the day's changes (the issues' new bodies are written with the rest of the day)."""
        self._forget_deleted_issues()
        live = self._live_projects()
        self._release_versions(live)
        self._sprints(live)
        self._comments(live)

    # -- helpers ----------------------------------------------------------------------------------

    def _moment(self) -> int:
        return epoch_ms(self.changes.moment_from(self.rng)) + self.rng.randrange(1000)

    def _peek(self, issue_id: int) -> dict | None:
        """The issue's body as the day left it so far, without marking it changed."""
        if issue_id in self.gone:
            return None
        if issue_id in self.changes.issues:
            return self.changes.issues[issue_id]
        row = self.conn.execute("select body from jira_issue where id = ?", (issue_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def _issue(self, issue_id: int) -> dict | None:
        """The issue's body, registered with the day's changes (None when deleted)."""
        if issue_id in self.gone:
            return None
        if issue_id not in self.changes.issues:
            row = self.conn.execute(
                "select key, project_key, key_num, created_ms, body from jira_issue where id = ?", (issue_id,)
            ).fetchone()
            if row is None:
                return None
            self.changes.issues[issue_id] = json.loads(row[4])
            self.changes.issue_rows[issue_id] = (row[0], row[1], row[2], row[3])
        return self.changes.issues[issue_id]

    def _live_projects(self) -> dict[str, str]:
        """Jira project key -> id of the projects people work in today (as ``JiraDay`` decides)."""
        sn_state = {
            body["u_jira_project_key"]: body["state"]
            for (table, _), body in sorted(self.changes.sn.items())
            if table == "pm_project" and body["u_jira_project_key"]
        }
        return {
            key: project_id
            for key, project_id in self.conn.execute("select key, id from jira_project order by key")
            if sn_state.get(key, "2") == "2"
        }

    def _forget_deleted_issues(self) -> None:
        """A deleted issue takes its comments, sprint memberships and sprint histories with it."""
        for issue_id in sorted(self.gone):
            for table in ("jira_comment", "jira_issue_sprint", "jira_sprint_history"):
                self.conn.execute(f"delete from {table} where issue_id = ?", (issue_id,))

    # -- versions ---------------------------------------------------------------------------------

    def _release_versions(self, live: dict[str, str]) -> None:
        """Due versions of live projects are released (most on the day, some late: overdue a while),
        and a live project whose last planned version goes out plans the next one."""
        today = self.day.isoformat()
        for project_id in sorted(live.values(), key=int):
            rows = self.conn.execute(
                "select id, sequence, body from jira_version where project_id = ? order by sequence", (project_id,)
            ).fetchall()
            released_last = False
            for version_id, sequence, text in rows:
                version = json.loads(text)
                if version["released"] or version["archived"] or version.get("releaseDate", "9999") > today:
                    continue
                if self.rng.random() < 0.6:
                    version["released"] = True
                    self.conn.execute("update jira_version set body = ? where id = ?", (dumps(version), version_id))
                    released_last = sequence == rows[-1][1]
            if released_last:
                self._plan_version(project_id, json.loads(rows[-1][2]), rows[-1][1])

    def _plan_version(self, project_id: str, last: dict, sequence: int) -> None:
        version_id = 1 + self.conn.execute("select max(id) from jira_version").fetchone()[0]
        release = date.fromisoformat(last["releaseDate"]) + timedelta(days=56)
        number = sequence + 1
        key = last["name"].rsplit(" ", 1)[0]
        body = {
            "self": f"{BASE}/rest/api/3/version/{version_id}",
            "id": str(version_id),
            "description": f"Release {number} of {last['description'].split(' of ', 1)[-1]}",
            "name": f"{key} {number}.0",
            "archived": False,
            "released": False,
            "startDate": (release - timedelta(days=55)).isoformat(),
            "releaseDate": release.isoformat(),
            "projectId": int(project_id),
        }
        self.conn.execute("insert into jira_version values (?, ?, ?, ?)", (version_id, project_id, number, dumps(body)))

    # -- sprints ----------------------------------------------------------------------------------

    def _sprints(self, live: dict[str, str]) -> None:
        """Every active sprint past its end closes; on a live project's board the next one starts,
        takes the unfinished issues and a few from the backlog, and the one after is planned."""
        end_ms = epoch_ms(self.changes.end)
        boards = self.conn.execute(
            "select b.id, p.key from jira_board b join jira_project p on p.id = b.project_id "
            "where b.type = 'scrum' order by b.id"
        ).fetchall()
        for board_id, key in boards:
            row = self.conn.execute(
                "select id, sequence, body from jira_sprint where board_id = ? and state = 'active' order by sequence",
                (board_id,),
            ).fetchone()
            if row is None or iso_ms(json.loads(row[2])["endDate"]) > end_ms:
                continue
            sprint_id, sequence, text = row
            closing = json.loads(text)
            moment = self._moment()
            closing.update(state="closed", completeDate=iso_utc(moment))
            self._save_sprint(closing, sequence)
            if key not in live:
                continue  # nobody works there: the unfinished issues go back to the backlog
            following = self._next_sprint(board_id, sequence, key, moment)
            unfinished = [
                issue_id
                for (issue_id,) in self.conn.execute(
                    "select s.issue_id from jira_issue_sprint s join jira_issue i on i.id = s.issue_id "
                    "where s.sprint_id = ? and json_extract(i.body, '$.fields.status.statusCategory.key') != 'done' "
                    "order by s.issue_id",
                    (sprint_id,),
                )
            ]
            backlog = [
                issue_id
                for (issue_id,) in self.conn.execute(
                    "select id from jira_issue where project_key = ? "
                    "and json_extract(body, '$.fields.status.name') = 'To Do' "
                    f"and coalesce(json_array_length(body, '$.fields.{SPRINT_FIELD_ID}'), 0) = 0 order by id",
                    (key,),
                )
            ]
            planned = self.rng.sample(backlog, min(len(backlog), self.rng.randint(2, 6)))
            for issue_id in unfinished:
                self._move_into(issue_id, following, moment, unfinished_only=True)
            for issue_id in sorted(planned):
                self._move_into(issue_id, following, moment, unfinished_only=False)

    def _save_sprint(self, sprint: dict, sequence: int) -> None:
        self.conn.execute(
            "insert or replace into jira_sprint values (?, ?, ?, ?, ?)",
            (sprint["id"], sprint["originBoardId"], sequence, sprint["state"], dumps(sprint)),
        )

    def _next_sprint(self, board_id: int, sequence: int, key: str, moment: int) -> dict:
        """Start the board's next sprint a minute after the last one closed, and plan the one after."""
        row = self.conn.execute(
            "select body from jira_sprint where board_id = ? and sequence = ?", (board_id, sequence + 1)
        ).fetchone()
        start = moment + 60_000
        sprint = json.loads(row[0]) if row else self._new_sprint(board_id, sequence + 1, key, start)
        sprint.update(state="active", startDate=iso_utc(start), endDate=iso_utc(start + SPRINT_DAYS * DAY_MS))
        self._save_sprint(sprint, sequence + 1)
        if (
            self.conn.execute(
                "select 1 from jira_sprint where board_id = ? and sequence = ?", (board_id, sequence + 2)
            ).fetchone()
            is None
        ):
            self._save_sprint(self._new_sprint(board_id, sequence + 2, key, start + SPRINT_DAYS * DAY_MS), sequence + 2)
        return sprint

    def _new_sprint(self, board_id: int, sequence: int, key: str, start: int) -> dict:
        sprint_id = board_id * 1000 + sequence + 1
        return {
            "id": sprint_id,
            "self": f"{BASE}/rest/agile/1.0/sprint/{sprint_id}",
            "state": "future",
            "name": f"{key} Sprint {sequence + 1}",
            "startDate": iso_utc(start),
            "endDate": iso_utc(start + SPRINT_DAYS * DAY_MS),
            "createdDate": iso_utc(epoch_ms(self.changes.start) + 1000),
            "originBoardId": board_id,
            "goal": self.rng.choice(GOALS).format(noun=self.rng.choice(NOUNS)),
        }

    def _move_into(self, issue_id: int, sprint: dict, moment: int, *, unfinished_only: bool) -> None:
        """Add ``sprint`` to the issue's Sprint field (closed sprints stay in it), with its history."""
        peek = self._peek(issue_id)
        if peek is None:
            return
        current = peek["fields"]
        if unfinished_only and current["status"]["statusCategory"]["key"] == "done":
            return  # finished today, after the sprint's issues were listed
        if any(s["id"] == sprint["id"] for s in current.get(SPRINT_FIELD_ID) or []):
            return
        body = self._issue(issue_id)
        assert body is not None
        fields = body["fields"]
        before = list(fields.get(SPRINT_FIELD_ID) or [])
        after = [*before, sprint_ref(sprint)]
        when = max(moment, fields["updated"] + 1)
        fields[SPRINT_FIELD_ID] = after
        fields["updated"] = when
        author = _project_lead(self.conn, fields["project"]["id"]) or fields["reporter"]
        history = {
            "id": str(self.next_history),
            "author": user_ref(author),
            "created": when,
            "items": sprint_change_items(before, after),
        }
        self.conn.execute(INSERT_JIRA_SPRINT_HISTORY, (self.next_history, issue_id, when, dumps(history)))
        self.conn.execute(INSERT_JIRA_ISSUE_SPRINT, (sprint["id"], issue_id))
        self.next_history += 1

    # -- comments ---------------------------------------------------------------------------------

    def _comments(self, live: dict[str, str]) -> None:
        """A few open issues of live projects get a comment from their assignee or reporter."""
        keys = sorted(live)
        if not keys:
            return
        marks = ", ".join("?" * len(keys))
        candidates = [
            issue_id
            for (issue_id,) in self.conn.execute(
                f"select id from jira_issue where project_key in ({marks}) "
                "and json_extract(body, '$.fields.status.statusCategory.key') != 'done' order by id",
                keys,
            )
            if issue_id not in self.gone
        ]
        for issue_id in candidates:
            if self.rng.random() >= 0.04:
                continue
            body = self._issue(issue_id)
            if body is None:
                continue
            fields = body["fields"]
            author = fields["assignee"] if fields["assignee"] and self.rng.random() < 0.7 else fields["reporter"]
            when = max(self._moment(), fields["updated"] + 1)
            texts = COMMENT_TEXTS[self.rng.randrange(len(COMMENT_TEXTS))]
            noun = str(fields["summary"]).split(" ", 1)[-1].lower()
            stored = comment(self.next_comment, issue_id, user_ref(author), when, when, comment_body(texts, noun))
            self.conn.execute(INSERT_JIRA_COMMENT, (self.next_comment, issue_id, when, when, dumps(stored)))
            self.next_comment += 1
            fields["updated"] = when


def _project_lead(conn: sqlite3.Connection, project_id: str) -> dict | None:
    row = conn.execute(
        "select u.body from jira_project p join jira_user u on u.account_id = json_extract(p.body, '$.lead.accountId') "
        "where p.id = ?",
        (project_id,),
    ).fetchone()
    return json.loads(row[0]) if row else None
