"""Versions, components, comments, users and groups, and the Agile API over real HTTP on the small world.

Every page walk below goes to the end by the envelope's own signals (``isLast``, ``total``,
``nextPage``) and must meet the world file's rows exactly once; the Agile API, which Atlassian's
platform spec does not cover, is checked against the shapes Jira Software documents. The last tests
move the world clock and watch sprints close and start, versions get released and comments arrive,
each bumping the issue's ``updated`` so incremental readers see it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from simulators import FaultConfig, Simulators, start_simulators
from simulators.api.jira_common import adf_text
from simulators.world import World
from simulators.world.store import SPRINT_FIELD_ID

SPRINT_KEYS = {"id": int, "self": str, "state": str, "name": str, "originBoardId": int, "goal": str}
BOARD_KEYS = {"id": int, "self": str, "name": str, "type": str, "location": dict}
LOCATION_KEYS = {"projectId": int, "projectKey": str, "projectName": str, "displayName": str}
AGILE_UTC = "%Y-%m-%dT%H:%M:%S.%fZ"


@pytest.fixture(scope="module")
def sims(small_world_path: Path) -> Iterator[Simulators]:
    """The simulators serving the session's small world (read-only)."""
    with start_simulators(small_world_path) as running:
        yield running


@pytest.fixture(scope="module")
def http(sims: Simulators) -> Iterator[requests.Session]:
    """A session logged in as the world's API user."""
    with requests.Session() as session:
        session.auth = (sims.jira_email, sims.jira_api_token)
        yield session


@pytest.fixture(scope="module")
def db(small_world_path: Path) -> Iterator[sqlite3.Connection]:
    """The world file, read directly for the expected rows."""
    with contextlib.closing(sqlite3.connect(f"file:{small_world_path}?mode=ro", uri=True)) as conn:
        yield conn


def get(http: requests.Session, url: str, expect: int = 200, **params: Any) -> Any:
    """GET ``url``, assert the status, return the JSON."""
    response = http.get(url, params=params)
    assert response.status_code == expect, (url, params, response.text[:300])
    return response.json()


def walk_page_beans(http: requests.Session, url: str, page_size: int, **params: Any) -> list[dict]:
    """Every value of a PageBean endpoint, following nextPage, checking isLast against total."""
    values: list[dict] = []
    page = get(http, url, startAt=0, maxResults=page_size, **params)
    for _ in range(1000):
        assert page["startAt"] == len(values) and page["maxResults"] == page_size
        values += page["values"]
        assert page["isLast"] is (len(values) >= page["total"])
        assert ("nextPage" in page) is (not page["isLast"])
        if page["isLast"]:
            assert len(values) == page["total"]
            return values
        assert len(page["values"]) == page_size
        page = get(http, page["nextPage"])
    raise AssertionError("never reached the last page")


def api(sims: Simulators, path: str, version: int = 3) -> str:
    """A platform REST API URL."""
    return f"{sims.jira_url}/rest/api/{version}/{path}"


def agile(sims: Simulators, path: str) -> str:
    """An Agile API URL."""
    return f"{sims.jira_url}/rest/agile/1.0/{path}"


def projects(db: sqlite3.Connection) -> list[tuple[str, str]]:
    """(id, key) of every project."""
    return db.execute("select id, key from jira_project order by key").fetchall()


# -- versions and components ----------------------------------------------------------------------


@pytest.mark.parametrize("version", [2, 3])
def test_versions_page_to_the_end_in_sequence_and_list_unpaged(
    sims: Simulators, http: requests.Session, db: sqlite3.Connection, version: int
) -> None:
    meta = dict(db.execute("select key, value from meta"))
    today = datetime.fromisoformat(meta["now"]).astimezone(ZoneInfo(meta["jira_timezone"])).date().isoformat()
    seen = 0
    for project_id, key in projects(db):
        stored = [
            json.loads(body)
            for (body,) in db.execute(
                "select body from jira_version where project_id = ? order by sequence", (project_id,)
            )
        ]
        paged = walk_page_beans(http, api(sims, f"project/{project_id}/version", version), 2, orderBy="sequence")
        listed = get(http, api(sims, f"project/{key}/versions", version))
        assert [v["id"] for v in paged] == [v["id"] for v in listed] == [v["id"] for v in stored]
        for shown, truth in zip(paged, stored, strict=True):
            assert shown["projectId"] == int(project_id) and shown["released"] == truth["released"]
            assert shown["overdue"] == (not truth["released"] and truth["releaseDate"] < today)
            assert datetime.strptime(shown["userReleaseDate"], "%d/%b/%Y").date().isoformat() == truth["releaseDate"]
        seen += len(stored)
    assert seen == db.execute("select count(*) from jira_version").fetchone()[0] > 20


def test_version_by_id_ordering_filters_and_404s(sims: Simulators, http: requests.Session, db) -> None:
    version_id, project_id = db.execute("select id, project_id from jira_version order by id limit 1").fetchone()
    one = get(http, api(sims, f"version/{version_id}"), expand="issuesstatus")
    assert one["id"] == str(version_id) and set(one["issuesStatusForFixVersion"]) == {
        "unmapped",
        "toDo",
        "inProgress",
        "done",
    }
    newest_first = get(http, api(sims, f"project/{project_id}/version"), orderBy="-releaseDate")["values"]
    assert [v["releaseDate"] for v in newest_first] == sorted((v["releaseDate"] for v in newest_first), reverse=True)
    released = get(http, api(sims, f"project/{project_id}/version"), status="released")["values"]
    assert released and all(v["released"] for v in released)
    get(http, api(sims, "version/999999"), expect=404)
    get(http, api(sims, "project/NOPE/version"), expect=404)
    get(http, api(sims, f"project/{project_id}/version"), expect=400, orderBy="colour")


def test_components_page_with_issue_counts_and_list_unpaged(sims: Simulators, http: requests.Session, db) -> None:
    total = 0
    for project_id, key in projects(db):
        paged = walk_page_beans(http, api(sims, f"project/{key}/component"), 2)
        listed = get(http, api(sims, f"project/{project_id}/components", 2))
        assert sorted(c["id"] for c in paged) == sorted(c["id"] for c in listed)
        assert all("issueCount" not in c for c in listed)
        for component in paged:
            (count,) = db.execute(
                "select count(*) from jira_issue i, json_each(i.body, '$.fields.components') c "
                "where i.project_key = ? and json_extract(c.value, '$.id') = ?",
                (key, component["id"]),
            ).fetchone()
            assert component["issueCount"] == count and component["lead"]["self"].startswith(sims.jira_url)
        total += len(paged)
    assert total == db.execute("select count(*) from jira_component").fetchone()[0] > 0


# -- comments ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_issue(db: sqlite3.Connection) -> tuple[int, str, int]:
    """(id, key, comment count) of an issue with several comments."""
    return db.execute(
        "select i.id, i.key, count(*) from jira_comment c join jira_issue i on i.id = c.issue_id "
        "group by i.id order by count(*) desc, i.id limit 1"
    ).fetchone()


def test_comments_page_to_the_end_oldest_first(sims: Simulators, http: requests.Session, db, busy_issue) -> None:
    issue_id, key, count = busy_issue
    assert count >= 3
    seen: list[dict] = []
    while True:
        page = get(http, api(sims, f"issue/{key}/comment"), startAt=len(seen), maxResults=2)
        assert page["total"] == count and page["startAt"] == len(seen)
        seen += page["comments"]
        if not page["comments"] or len(seen) >= page["total"]:
            break
    stored = [
        str(i)
        for (i,) in db.execute("select id from jira_comment where issue_id = ? order by created_ms, id", (issue_id,))
    ]
    assert [c["id"] for c in seen] == stored
    newest = get(http, api(sims, f"issue/{issue_id}/comment"), orderBy="-created")["comments"]
    assert [c["id"] for c in newest] == stored[::-1]
    get(http, api(sims, f"issue/{issue_id}/comment"), expect=400, orderBy="author")


def test_comment_bodies_are_adf_in_v3_and_text_in_v2(sims: Simulators, http: requests.Session, busy_issue) -> None:
    _, key, _ = busy_issue
    v3 = get(http, api(sims, f"issue/{key}/comment", 3), expand="renderedBody")["comments"]
    v2 = get(http, api(sims, f"issue/{key}/comment", 2))["comments"]
    for rich, plain in zip(v3, v2, strict=True):
        assert rich["body"]["type"] == "doc" and isinstance(plain["body"], str)
        assert plain["body"] == adf_text(rich["body"]) and rich["renderedBody"].startswith("<p>")
        assert rich["created"].endswith(("-0700", "-0800")) and rich["created"] == plain["created"]
        assert rich["self"].startswith(api(sims, "issue/", 3)) and plain["self"].startswith(api(sims, "issue/", 2))
    one = get(http, api(sims, f"issue/{key}/comment/{v3[0]['id']}"))
    assert one["body"] == v3[0]["body"]
    get(http, api(sims, f"issue/{key}/comment/1"), expect=404)
    get(http, api(sims, "issue/NOPE-1/comment"), expect=404)


def test_search_embeds_comments_changelog_and_transitions_on_request(
    sims: Simulators, http: requests.Session, db, busy_issue
) -> None:
    issue_id, key, count = busy_issue
    issue = get(http, api(sims, "search/jql", 2), jql=f"key = {key}", fields="*all", expand="changelog,transitions")[
        "issues"
    ][0]
    assert issue["fields"]["comment"]["total"] == len(issue["fields"]["comment"]["comments"]) == count
    histories = db.execute(
        "select (select count(*) from jira_changelog where issue_id = ?) "
        "+ (select count(*) from jira_sprint_history where issue_id = ?)",
        (issue_id, issue_id),
    ).fetchone()[0]
    assert issue["changelog"]["total"] == len(issue["changelog"]["histories"]) == histories
    assert issue["transitions"] and issue["fields"]["status"]["name"] not in {t["name"] for t in issue["transitions"]}
    plain = get(http, api(sims, "search/jql"), jql=f"key = {key}", fields="summary")["issues"][0]
    assert set(plain["fields"]) == {"summary"} and "changelog" not in plain


def test_issue_properties_are_an_empty_key_list(sims: Simulators, http: requests.Session, busy_issue) -> None:
    _, key, _ = busy_issue
    assert get(http, api(sims, f"issue/{key}/properties")) == {"keys": []}
    get(http, api(sims, f"issue/{key}/properties/anything"), expect=404)
    get(http, api(sims, "issue/NOPE-1/properties"), expect=404)


# -- users and groups -------------------------------------------------------------------------------


def test_user_search_by_query_or_account_id(sims: Simulators, http: requests.Session, db) -> None:
    users = {json.loads(body)["accountId"]: json.loads(body) for (body,) in db.execute("select body from jira_user")}
    account, user = sorted(users.items())[3]
    assert [u["accountId"] for u in get(http, api(sims, "user/search", 2), accountId=account)] == [account]
    surname = user["displayName"].split()[-1]
    found = get(http, api(sims, "user/search"), query=surname[:3].lower(), maxResults=1000)
    assert account in {u["accountId"] for u in found}
    assert all(surname[:3].lower() in (u["displayName"] + u.get("emailAddress", "")).lower() for u in found)
    # Jira takes the window first and filters it after: a small window may hold no match at all.
    window = get(http, api(sims, "user/search"), query=surname[:3].lower(), startAt=0, maxResults=1)
    assert len(window) <= 1
    get(http, api(sims, "user/search"), expect=400)
    get(http, api(sims, "user/search"), expect=400, query="a", accountId=account)


def test_users_search_and_group_members_page_to_the_end(sims: Simulators, http: requests.Session, db) -> None:
    everyone = {a for (a,) in db.execute("select account_id from jira_user")}
    listed = get(http, api(sims, "users/search", 2), maxResults=1000)
    assert {u["accountId"] for u in listed} == everyone
    groups = walk_page_beans(http, api(sims, "group/bulk"), 3)
    assert {g["name"] for g in groups} >= {"jira-software-users", "jira-administrators"}
    members = walk_page_beans(
        http, api(sims, "group/member", 2), 7, groupname="jira-software-users", includeInactiveUsers="true"
    )
    assert {m["accountId"] for m in members} == everyone
    active = walk_page_beans(http, api(sims, "group/member"), 50, groupname="jira-software-users")
    assert all(m["active"] for m in active) and len(active) < len(members)
    by_id = walk_page_beans(http, api(sims, "group/member"), 5, groupId=groups[0]["groupId"])
    assert by_id
    get(http, api(sims, "group/member"), expect=404, groupname="no-such-group")
    get(http, api(sims, "group/member"), expect=400)


# -- the Agile API ----------------------------------------------------------------------------------


def check_keys(value: dict, expected: dict[str, type]) -> None:
    """Every key Jira Software documents is there with its type."""
    for key, kind in expected.items():
        assert isinstance(value.get(key), kind), (key, value)


def walk_agile(http: requests.Session, url: str, page_size: int, key: str = "values", **params: Any) -> list[dict]:
    """Every item of an Agile API list, by startAt until isLast (or total, where the list has one)."""
    items: list[dict] = []
    for _ in range(1000):
        page = get(http, url, startAt=len(items), maxResults=page_size, **params)
        assert page["startAt"] == len(items) and page["maxResults"] == page_size
        items += page[key]
        if "total" in page:
            last = len(items) >= page["total"]
            assert page.get("isLast", last) is last
        else:
            last = page["isLast"]
        if last:
            return items
        assert len(page[key]) == page_size
    raise AssertionError("never reached the last page")


def test_boards_page_with_total_and_filter_by_project_and_type(sims: Simulators, http: requests.Session, db) -> None:
    boards = walk_agile(http, agile(sims, "board"), 4)
    stored = dict(db.execute("select id, type from jira_board"))
    assert {b["id"]: b["type"] for b in boards} == stored
    for board in boards:
        check_keys(board, BOARD_KEYS)
        check_keys(board["location"], LOCATION_KEYS)
    scrum = walk_agile(http, agile(sims, "board"), 50, type="scrum")
    assert {b["id"] for b in scrum} == {i for i, t in stored.items() if t == "scrum"}
    project_id, key = projects(db)[0]
    for value in (key, project_id):
        (only,) = get(http, agile(sims, "board"), projectKeyOrId=value)["values"]
        assert only["location"]["projectKey"] == key
    assert get(http, agile(sims, f"board/{boards[0]['id']}")) == boards[0]
    get(http, agile(sims, "board/999999"), expect=404)


def test_board_sprints_page_without_total_and_filter_by_state(sims: Simulators, http: requests.Session, db) -> None:
    total = 0
    for (board_id,) in db.execute("select id from jira_board where type = 'scrum' order by id"):
        sprints = walk_agile(http, agile(sims, f"board/{board_id}/sprint"), 3)
        stored = [
            i for (i,) in db.execute("select id from jira_sprint where board_id = ? order by sequence", (board_id,))
        ]
        assert [s["id"] for s in sprints] == stored
        for sprint in sprints:
            check_keys(sprint, SPRINT_KEYS)
            assert sprint["originBoardId"] == board_id and sprint["state"] in ("future", "active", "closed")
            assert datetime.strptime(sprint["startDate"], AGILE_UTC) < datetime.strptime(sprint["endDate"], AGILE_UTC)
            assert ("completeDate" in sprint) is (sprint["state"] == "closed")
        assert sum(s["state"] == "active" for s in sprints) <= 1
        active = get(http, agile(sims, f"board/{board_id}/sprint"), state="active,future")["values"]
        assert {s["id"] for s in active} == {s["id"] for s in sprints if s["state"] != "closed"}
        total += len(sprints)
    assert total == db.execute("select count(*) from jira_sprint").fetchone()[0] > 0
    (kanban,) = db.execute("select id from jira_board where type = 'kanban' limit 1").fetchone()
    assert get(http, agile(sims, f"board/{kanban}/sprint"), expect=400)["errorMessages"]
    get(http, agile(sims, "board/1/sprint"), expect=400, state="finished")
    get(http, agile(sims, "sprint/1"), expect=404)


def test_sprint_and_board_issues_page_like_search(sims: Simulators, http: requests.Session, db) -> None:
    sprint_id, members = db.execute(
        "select sprint_id, count(*) from jira_issue_sprint group by sprint_id order by count(*) desc limit 1"
    ).fetchone()
    sprint = get(http, agile(sims, f"sprint/{sprint_id}"))
    issues = walk_agile(http, agile(sims, f"sprint/{sprint_id}/issue"), 7, key="issues", fields="key,status")
    stored = {str(i) for (i,) in db.execute("select issue_id from jira_issue_sprint where sprint_id = ?", (sprint_id,))}
    assert {i["id"] for i in issues} == stored and len(issues) == members
    for issue in issues:
        assert set(issue["fields"]) == {"status"} and issue["self"] == agile(sims, f"issue/{issue['id']}")
    navigable = get(http, agile(sims, f"sprint/{sprint_id}/issue"), maxResults=1)["issues"][0]["fields"]
    sprints_in_field = [s["id"] for s in navigable[SPRINT_FIELD_ID]]
    assert sprint_id in sprints_in_field and "closedSprints" in navigable and "sprint" in navigable
    board = sprint["originBoardId"]
    (key,) = db.execute(
        "select p.key from jira_board b join jira_project p on p.id = b.project_id where b.id = ?", (board,)
    ).fetchone()
    on_board = walk_agile(http, agile(sims, f"board/{board}/issue"), 50, key="issues", fields="['key', 'updated']")
    assert {i["key"] for i in on_board} == {
        k for (k,) in db.execute("select key from jira_issue where project_key = ?", (key,))
    }
    assert set(on_board[0]["fields"]) == {"updated"}
    recent_ms = db.execute(
        "select updated_ms from jira_issue where project_key = ? order by updated_ms desc limit 1 offset 4", (key,)
    ).fetchone()[0]
    recent = get(http, agile(sims, f"board/{board}/issue"), jql=f"updated >= {recent_ms}", fields="key")
    assert recent["total"] == 5


def test_board_versions_are_the_project_versions(sims: Simulators, http: requests.Session, db) -> None:
    board_id, project_id = db.execute("select id, project_id from jira_board order by id limit 1").fetchone()
    versions = walk_agile(http, agile(sims, f"board/{board_id}/version"), 2)
    stored = [
        i for (i,) in db.execute("select id from jira_version where project_id = ? order by sequence", (project_id,))
    ]
    assert [v["id"] for v in versions] == stored
    assert all(v["projectId"] == int(project_id) and v["releaseDate"].endswith("T00:00:00.000Z") for v in versions)


def test_methods_paths_and_faults_as_on_the_rest_of_the_api(sims: Simulators, http: requests.Session) -> None:
    for url in (api(sims, "project/ABC/version"), api(sims, "issue/ABC-1/comment", 2), agile(sims, "board")):
        response = http.delete(url)
        assert response.status_code == 405 and response.json()["errorMessages"], url
    for url in (api(sims, "project/ABC/nothing"), agile(sims, "board/1/nothing"), agile(sims, "epic")):
        response = http.get(url)
        assert response.status_code == 404 and response.json()["errors"] == {}, url
    assert requests.get(agile(sims, "board")).status_code == 401


def test_faults_reach_the_new_endpoints(small_world_path: Path) -> None:
    faults = FaultConfig(rate=1.0, kinds=("429",))
    with start_simulators(small_world_path, jira_faults=faults) as faulty:
        auth = (faulty.jira_email, faulty.jira_api_token)
        for url in (agile(faulty, "board"), api(faulty, "user/search")):
            response = requests.get(url, auth=auth, params={"query": "a"})
            assert response.status_code == 429 and response.headers["Retry-After"]
            assert response.json()["errorMessages"] == ["Rate limit exceeded."]


# -- the world moving on ----------------------------------------------------------------------------


def test_advance_closes_sprints_starts_the_next_and_moves_unfinished_issues(world_path: Path) -> None:
    with World.open(world_path) as world:
        conn = world.conn
        end = min(
            datetime.fromisoformat(json.loads(body)["endDate"].replace("Z", "+00:00"))
            for (body,) in conn.execute("select body from jira_sprint where state = 'active'")
        )
        days_before = (end - world.now).days  # the last advance(1) crosses the sprint's end
        if days_before > 0:
            world.advance(days_before)
        closing = {
            sprint_id: board_id
            for sprint_id, board_id, body in conn.execute(
                "select id, board_id, body from jira_sprint where state = 'active'"
            )
            if datetime.fromisoformat(json.loads(body)["endDate"].replace("Z", "+00:00"))
            <= world.now + timedelta(days=1)
        }
        unfinished = {
            sprint_id: {
                issue_id
                for (issue_id,) in conn.execute(
                    "select s.issue_id from jira_issue_sprint s join jira_issue i on i.id = s.issue_id "
                    "where s.sprint_id = ? and json_extract(i.body, '$.fields.status.statusCategory.key') != 'done'",
                    (sprint_id,),
                )
            }
            for sprint_id in closing
        }
        before = world.now
        summary = world.advance(1)
        assert closing
        moved = 0
        for sprint_id, board_id in closing.items():
            state, body = conn.execute("select state, body from jira_sprint where id = ?", (sprint_id,)).fetchone()
            assert state == "closed" and json.loads(body)["completeDate"]
            (following,) = conn.execute(
                "select id from jira_sprint where board_id = ? and state = 'active'", (board_id,)
            ).fetchone() or (None,)
            if following is None:
                continue  # the project is not live: nothing starts
            assert (
                conn.execute(
                    "select count(*) from jira_sprint where board_id = ? and state = 'future'", (board_id,)
                ).fetchone()[0]
                >= 1
            )
            for issue_id in unfinished[sprint_id]:
                fields = json.loads(
                    conn.execute("select body from jira_issue where id = ?", (issue_id,)).fetchone()[0]
                )["fields"]
                if fields["status"]["statusCategory"]["key"] == "done":
                    continue
                assert [s["id"] for s in fields[SPRINT_FIELD_ID]][-2:] == [sprint_id, following]
                assert fields["updated"] > before.timestamp() * 1000
                assert str(issue_id) in summary.updated["jira/issues"] | summary.created["jira/issues"]
                history = json.loads(
                    conn.execute(
                        "select body from jira_sprint_history where issue_id = ? order by created_ms desc, id desc",
                        (issue_id,),
                    ).fetchone()[0]
                )
                (item,) = history["items"]
                assert item["fieldId"] == SPRINT_FIELD_ID and item["field"] == "Sprint"
                assert item["to"] == ", ".join([*item["from"].split(", "), str(following)]).lstrip(", ")
                moved += 1
        assert moved > 0
        # Every issue the day touched is newer than the old clock: incremental readers see it.
        since = world.changes_since(before + timedelta(milliseconds=1))["jira/issues"]
        assert since == summary.created["jira/issues"] | summary.updated["jira/issues"]


def test_advance_releases_due_versions_and_adds_comments(world_path: Path) -> None:
    with World.open(world_path) as world:
        conn = world.conn
        comments_before = conn.execute("select count(*) from jira_comment").fetchone()[0]
        before = world.now
        summary = world.advance(1)
        new_comments = conn.execute(
            "select issue_id, created_ms from jira_comment order by id desc limit ?",
            (conn.execute("select count(*) from jira_comment").fetchone()[0] - comments_before,),
        ).fetchall()
        assert new_comments
        for issue_id, created in new_comments:
            (updated,) = conn.execute("select updated_ms from jira_issue where id = ?", (issue_id,)).fetchone()
            assert updated >= created > before.timestamp() * 1000
            assert str(issue_id) in summary.updated["jira/issues"]
        due = conn.execute(
            "select min(json_extract(body, '$.releaseDate')) from jira_version "
            "where json_extract(body, '$.released') = 0"
        ).fetchone()[0]
        released_before = conn.execute(
            "select count(*) from jira_version where json_extract(body, '$.released') = 1"
        ).fetchone()[0]
        days = (datetime.fromisoformat(due).date() - world.now.date()).days
        if days > 1:
            world.advance(days - 1)
        for _ in range(30):
            world.advance(1)
            released = conn.execute(
                "select count(*) from jira_version where json_extract(body, '$.released') = 1"
            ).fetchone()[0]
            if released > released_before:
                break
        else:
            raise AssertionError("no version was released in 30 days after its release date")
        with start_simulators(world.path) as sims:
            auth = (sims.jira_email, sims.jira_api_token)
            versions = [
                v
                for (p,) in conn.execute("select id from jira_project")
                for v in requests.get(api(sims, f"project/{p}/versions"), auth=auth).json()
            ]
        assert sum(v["released"] for v in versions) == released
        assert all(
            not v["overdue"] or (not v["released"] and v["releaseDate"] < world.now.date().isoformat())
            for v in versions
        )
