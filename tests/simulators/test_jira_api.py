"""The simulated Jira Cloud REST API over real HTTP on loopback.

Most tests run against a small hand-made world written here through ``simulators.world.store``: its
instants are chosen to land around the 2026 US daylight-saving switch (8 March), with ties in
``updated`` and a non-navigable field, so every assertion can name the exact record it expects.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from simulators.api import jql
from simulators.api.http import SimulatorServer
from simulators.api.jira_api import JiraApp, render_instant
from simulators.world import store

EMAIL = "etl-bot@example.com"
TOKEN = "jira-token-123"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ISSUE_COUNT = 130
WORKLOG_COUNT = 40
BASE_MS = int(datetime(2026, 3, 1, 20, 0, tzinfo=UTC).timestamp() * 1000)
HOUR_MS = 3_600_000
ISSUE_SPACING_MS = 90 * 60_000  # 130 issues from 1 March to 9 March: across the DST switch of 8 March
DESCRIPTION_ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Build the thing."}]}],
}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def issue_times(number: int) -> tuple[int, int]:
    """created and updated of issue ``number`` (1-based): 90 minutes apart; 10 and 11 updated together."""
    created = BASE_MS + number * ISSUE_SPACING_MS
    updated = created + (number % 5) * 60_000 + HOUR_MS
    if number == 11:
        updated = issue_times(10)[1]
    return created, updated


def issue_key(number: int) -> tuple[str, int]:
    project = "ABC" if number % 2 else "DEF"
    return project, (number + 1) // 2


def build_jira_world(path: Path) -> None:
    """A small Jira site: 3 projects (one archived), 130 issues, 40 worklogs, changelogs."""
    conn = store.connect(path)
    with conn:
        meta = {
            "now": NOW.isoformat(),
            "jira_timezone": "America/Los_Angeles",
            "jira_email": EMAIL,
            "jira_api_token": TOKEN,
            "servicenow_user": "sn",
            "servicenow_password": "sn",
        }
        conn.executemany("insert into meta values (?, ?)", meta.items())
        base = "{base_url}"
        statuses = [
            {"id": "1", "name": "To Do", "statusCategory": {"id": 2, "key": "new", "name": "To Do"}},
            {
                "id": "3",
                "name": "In Progress",
                "statusCategory": {"id": 4, "key": "indeterminate", "name": "In Progress"},
            },
            {"id": "10001", "name": "Done", "statusCategory": {"id": 3, "key": "done", "name": "Done"}},
        ]
        for status in statuses:
            status["self"] = f"{base}/rest/api/3/status/{status['id']}"
        fields = [
            _field("summary", "Summary", navigable=True),
            _field("status", "Status", navigable=True),
            _field("updated", "Updated", navigable=True),
            _field("created", "Created", navigable=True),
            _field("description", "Description", navigable=True),
            _field("customfield_10016", "Story point estimate", navigable=True, custom=True),
            _field("customfield_10099", "Hidden rank", navigable=False, custom=True),
        ]
        myself = {
            "accountId": "acc-bot",
            "accountType": "atlassian",
            "active": True,
            "displayName": "ETL Bot",
            "emailAddress": EMAIL,
            "timeZone": "UTC",
            "self": f"{base}/rest/api/3/user?accountId=acc-bot",
        }
        server_info = {
            "baseUrl": base,
            "version": "1001.0.0-SNAPSHOT",
            "versionNumbers": [1001, 0, 0],
            "deploymentType": "Cloud",
            "buildNumber": 100290,
            "serverTime": "{server_time}",
            "scmInfo": "abc123",
            "serverTitle": "Jira",
        }
        statics = {
            "statuses": statuses,
            "fields": fields,
            "myself": myself,
            "serverInfo": server_info,
            "issueLinkTypes": {"issueLinkTypes": []},
        }
        conn.executemany("insert into jira_static values (?, ?)", [(k, json.dumps(v)) for k, v in statics.items()])
        projects = [("10000", "ABC", "Alpha", False), ("10001", "DEF", "Delta", False), ("10002", "OLD", "Old", True)]
        for project_id, key, name, archived in projects:
            body = {
                "id": project_id,
                "key": key,
                "name": name,
                "projectTypeKey": "software",
                "archived": archived,
                "lead": {"accountId": "acc-1"},
                "self": f"{base}/rest/api/3/project/{project_id}",
            }
            conn.execute("insert into jira_project values (?, ?, ?)", (project_id, key, json.dumps(body)))
        for n in range(1, 6):
            body = {
                "accountId": f"acc-{n}",
                "accountType": "atlassian",
                "active": True,
                "displayName": f"User {n}",
                "emailAddress": f"user{n}@example.com",
            }
            conn.execute(
                "insert into jira_user values (?, ?, ?)", (f"acc-{n}", f"user{n}@example.com", json.dumps(body))
            )
        for number in range(1, ISSUE_COUNT + 1):
            project, key_num = issue_key(number)
            created, updated = issue_times(number)
            issue_id = 20000 + number
            body = {
                "id": str(issue_id),
                "key": f"{project}-{key_num}",
                "fields": {
                    "summary": f"Issue {number}",
                    "status": statuses[number % 3],
                    "project": {"id": "10000" if project == "ABC" else "10001", "key": project},
                    "created": created,
                    "updated": updated,
                    "resolutiondate": updated if number % 3 == 2 else None,
                    "statuscategorychangedate": updated,
                    "duedate": "2026-04-01",
                    "description": DESCRIPTION_ADF,
                    "customfield_10016": float(number % 8),
                    "customfield_10099": f"rank-{number}",
                },
            }
            conn.execute(
                "insert into jira_issue values (?, ?, ?, ?, ?, ?, ?)",
                (issue_id, f"{project}-{key_num}", project, key_num, created, updated, json.dumps(body)),
            )
            for step, (field_id, old, new) in enumerate([("status", "1", "3"), ("assignee", None, "acc-2")]):
                history_id = 50000 + number * 10 + step
                history = {
                    "id": str(history_id),
                    "created": created + (step + 1) * 60_000,
                    "author": {"accountId": "acc-1"},
                    "items": [
                        {
                            "field": field_id,
                            "fieldId": field_id,
                            "fieldtype": "jira",
                            "from": old,
                            "to": new,
                            "fromString": old,
                            "toString": new,
                        }
                    ],
                }
                conn.execute(
                    "insert into jira_changelog values (?, ?, ?, ?)",
                    (history_id, issue_id, created + (step + 1) * 60_000, json.dumps(history)),
                )
        for n in range(1, WORKLOG_COUNT + 1):
            issue_id = 20000 + (n % 20) + 1
            updated = worklog_updated(n)
            body = {
                "id": str(30000 + n),
                "issueId": str(issue_id),
                "author": {"accountId": "acc-2", "emailAddress": "user2@example.com"},
                "started": updated - 2 * HOUR_MS,
                "timeSpentSeconds": 3600,
                "timeSpent": "1h",
                "created": updated - HOUR_MS,
                "updated": updated,
            }
            conn.execute(
                "insert into jira_worklog values (?, ?, ?, ?)", (30000 + n, issue_id, updated, json.dumps(body))
            )
        for n in range(1, 4):
            conn.execute("insert into jira_worklog_deleted values (?, ?)", (39000 + n, BASE_MS + n * HOUR_MS))
        # A worklog changed 30 s before the world clock: /worklog/updated must not show it yet.
        recent = ms(NOW) - 30_000
        conn.execute(
            "insert into jira_worklog values (?, ?, ?, ?)",
            (
                39999,
                20001,
                recent,
                json.dumps(
                    {
                        "id": "39999",
                        "issueId": "20001",
                        "started": recent,
                        "created": recent,
                        "updated": recent,
                        "timeSpentSeconds": 60,
                    }
                ),
            ),
        )
    conn.close()


def worklog_updated(n: int) -> int:
    """Worklog ``n``'s updated time: two hours apart, with worklogs 7 and 8 in the same millisecond."""
    return BASE_MS + (7 if n == 8 else n) * 2 * HOUR_MS


def _field(field_id: str, name: str, *, navigable: bool, custom: bool = False) -> dict[str, Any]:
    return {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": custom,
        "orderable": True,
        "navigable": navigable,
        "searchable": True,
        "clauseNames": [field_id, name] if custom else [field_id],
        "schema": {"type": "string", "system": field_id}
        if not custom
        else {"type": "number", "custom": "x", "customId": 1},
    }


@pytest.fixture(scope="module")
def jira_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("jira") / "world.sqlite"
    build_jira_world(path)
    return path


@contextlib.contextmanager
def serve(world: Path, **options: Any) -> Iterator[SimulatorServer]:
    with SimulatorServer(JiraApp(world, **options)) as server:
        yield server


@pytest.fixture(scope="module")
def jira(jira_world: Path) -> Iterator[SimulatorServer]:
    with serve(jira_world) as server:
        yield server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.auth = (EMAIL, TOKEN)
        yield http


def all_issue_rows(world: Path) -> list[tuple[int, str, int, int]]:
    with contextlib.closing(store.connect(world, readonly=True)) as db:
        return db.execute("select id, key, updated_ms, created_ms from jira_issue").fetchall()


def search_all(http: requests.Session, url: str, jql_text: str, page_size: int, **extra: Any) -> list[list[dict]]:
    """Every page of a search/jql walk by nextPageToken (GET)."""
    pages: list[list[dict]] = []
    token = None
    for _ in range(1000):
        params: dict[str, Any] = {"jql": jql_text, "maxResults": page_size, **extra}
        if token:
            params["nextPageToken"] = token
        response = http.get(f"{url}/rest/api/3/search/jql", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body["issues"])
        token = body.get("nextPageToken")
        assert body["isLast"] is (token is None)
        if body["isLast"]:
            return pages
    raise AssertionError("search/jql never reached its last page")


# -- authentication, identity, server info ----------------------------------------------------------


def test_wrong_or_missing_credentials_get_401_with_a_jira_error_body(jira: SimulatorServer) -> None:
    wrong = requests.get(f"{jira.url}/rest/api/3/myself", auth=(EMAIL, "not-the-token"))
    missing = requests.get(f"{jira.url}/rest/api/3/project/search")
    for response in (wrong, missing):
        assert response.status_code == 401
        assert response.json()["errorMessages"] and response.json()["errors"] == {}


def test_myself_reports_the_world_user_time_zone(jira: SimulatorServer, session: requests.Session) -> None:
    me = session.get(f"{jira.url}/rest/api/3/myself").json()
    assert me["timeZone"] == "America/Los_Angeles"
    assert me["emailAddress"] == EMAIL
    assert me["self"].startswith(jira.url)


def test_server_info_is_cloud_with_this_server_url_and_the_world_clock(
    jira: SimulatorServer, session: requests.Session
) -> None:
    info = session.get(f"{jira.url}/rest/api/3/serverInfo").json()
    assert info["deploymentType"] == "Cloud"
    assert info["baseUrl"] == jira.url
    # 12:00 UTC on 10 March 2026 is 05:00 in Los Angeles, already on daylight time (-0700).
    assert info["serverTime"] == "2026-03-10T05:00:00.000-0700"


def test_status_and_field_lists_fill_in_the_base_url(jira: SimulatorServer, session: requests.Session) -> None:
    statuses = session.get(f"{jira.url}/rest/api/3/status").json()
    assert {s["statusCategory"]["key"] for s in statuses} == {"new", "indeterminate", "done"}
    assert all(s["self"].startswith(f"{jira.url}/rest/api/3/status/") for s in statuses)
    fields = session.get(f"{jira.url}/rest/api/2/field").json()
    assert "Story point estimate" in {f["name"] for f in fields}


def test_timezone_override_changes_offsets_and_myself(jira_world: Path) -> None:
    with serve(jira_world, timezone_name="Asia/Kolkata") as server:
        me = requests.get(f"{server.url}/rest/api/3/myself", auth=(EMAIL, TOKEN)).json()
        issue = requests.get(f"{server.url}/rest/api/3/issue/ABC-1", auth=(EMAIL, TOKEN)).json()
    assert me["timeZone"] == "Asia/Kolkata"
    created, _ = issue_times(1)
    assert issue["fields"]["created"] == render_instant(created, ZoneInfo("Asia/Kolkata"))
    assert issue["fields"]["created"].endswith("+0530")


# -- datetimes ------------------------------------------------------------------------------------


def test_datetimes_carry_the_users_offset_per_instant_across_dst(
    jira: SimulatorServer, session: requests.Session
) -> None:
    # Issue 1 was created on 1 March (PST, -0800); issue 130 on 9 March, after the switch (PDT, -0700).
    first = session.get(f"{jira.url}/rest/api/3/issue/ABC-1").json()["fields"]
    assert first["created"] == "2026-03-01T13:30:00.000-0800"  # 21:30Z
    last = session.get(f"{jira.url}/rest/api/3/issue/20130").json()["fields"]
    assert last["created"] == "2026-03-09T16:00:00.000-0700"  # 23:00Z
    assert datetime.fromisoformat(last["updated"]).utcoffset() == timedelta(hours=-7)
    assert first["duedate"] == "2026-04-01"


def test_render_instant_switches_offset_at_the_dst_boundary() -> None:
    zone = ZoneInfo("America/Los_Angeles")
    before = ms(datetime(2026, 3, 8, 9, 59, 59, 999000, tzinfo=UTC))  # 01:59:59.999 PST
    after = ms(datetime(2026, 3, 8, 10, 0, tzinfo=UTC))  # 03:00 PDT
    assert render_instant(before, zone) == "2026-03-08T01:59:59.999-0800"
    assert render_instant(after, zone) == "2026-03-08T03:00:00.000-0700"


# -- search/jql -----------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 7, 100])
def test_search_paging_ends_exactly_at_the_last_issue(
    jira: SimulatorServer, jira_world: Path, session: requests.Session, page_size: int
) -> None:
    pages = search_all(session, jira.url, "project in (ABC, DEF) ORDER BY key ASC", page_size, fields="key")
    keys = [issue["key"] for page in pages for issue in page]
    assert sorted(keys) == sorted(key for _, key, _, _ in all_issue_rows(jira_world))
    assert len(keys) == len(set(keys)) == ISSUE_COUNT
    assert all(len(page) == page_size for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= page_size
    assert len(pages) == -(-ISSUE_COUNT // page_size)


def test_search_orders_by_updated_then_key(jira: SimulatorServer, jira_world: Path, session: requests.Session) -> None:
    pages = search_all(session, jira.url, "updated >= 0 ORDER BY updated ASC, key ASC", 7, fields="updated,key")
    got = [issue["key"] for page in pages for issue in page]
    rows = all_issue_rows(jira_world)
    project_num = {key: (key.split("-")[0], int(key.split("-")[1])) for _, key, _, _ in rows}
    expected = [key for _, key, _, _ in sorted(rows, key=lambda r: (r[2], project_num[r[1]]))]
    assert got == expected
    # Issues 10 and 11 share one millisecond: the key decides (ABC-6 before DEF-5).
    tie = [key for key in got if key in ("ABC-6", "DEF-5")]
    assert tie == ["ABC-6", "DEF-5"]


def test_search_descending_order(jira: SimulatorServer, session: requests.Session) -> None:
    pages = search_all(session, jira.url, "project = ABC ORDER BY created DESC", 10, fields="created")
    created = [datetime.fromisoformat(i["fields"]["created"]) for page in pages for i in page]
    assert created == sorted(created, reverse=True) and len(created) == ISSUE_COUNT // 2


def test_search_returns_only_ids_by_default(jira: SimulatorServer, session: requests.Session) -> None:
    body = session.get(f"{jira.url}/rest/api/3/search/jql", params={"jql": "project = ABC", "maxResults": 3}).json()
    assert [set(issue) for issue in body["issues"]] == [{"id"}] * 3


def test_search_returns_the_requested_fields_rendered(jira: SimulatorServer, session: requests.Session) -> None:
    body = session.get(
        f"{jira.url}/rest/api/3/search/jql",
        params={"jql": "key = ABC-1", "fields": "summary,updated,customfield_10016,nosuchfield"},
    ).json()
    (issue,) = body["issues"]
    assert issue["key"] == "ABC-1" and issue["id"] == "20001"
    assert issue["self"] == f"{jira.url}/rest/api/3/issue/20001"
    assert set(issue["fields"]) == {"summary", "updated", "customfield_10016"}
    assert issue["fields"]["updated"] == render_instant(issue_times(1)[1], ZoneInfo("America/Los_Angeles"))


def test_search_all_navigable_and_exclusions(jira: SimulatorServer, session: requests.Session) -> None:
    def fields_of(selection: str) -> set[str]:
        body = session.get(
            f"{jira.url}/rest/api/3/search/jql", params={"jql": "key = ABC-1", "fields": selection}
        ).json()
        return set(body["issues"][0]["fields"])

    everything = fields_of("*all")
    assert "customfield_10099" in everything and "description" in everything
    # comment and worklog are fields Jira fills in at read time and does not count as navigable.
    assert {"comment", "worklog"} <= everything
    assert fields_of("*navigable") == everything - {"customfield_10099", "comment", "worklog"}
    assert fields_of("*all,-description") == everything - {"description"}


def test_search_page_size_caps(jira: SimulatorServer, session: requests.Session) -> None:
    ids_only = session.get(
        f"{jira.url}/rest/api/3/search/jql", params={"jql": "updated >= 0", "maxResults": 5000, "fields": "id"}
    ).json()
    assert len(ids_only["issues"]) == ISSUE_COUNT and ids_only["isLast"] is True
    with_fields = session.get(
        f"{jira.url}/rest/api/3/search/jql", params={"jql": "updated >= 0", "maxResults": 5000, "fields": "summary"}
    ).json()
    assert len(with_fields["issues"]) == 100 and with_fields["isLast"] is False
    default = session.get(f"{jira.url}/rest/api/3/search/jql", params={"jql": "updated >= 0"}).json()
    assert len(default["issues"]) == 50


def test_post_search_matches_get(jira: SimulatorServer, session: requests.Session) -> None:
    jql_text = "project = DEF AND updated >= 0 ORDER BY key"
    get_keys = [i["key"] for page in search_all(session, jira.url, jql_text, 9, fields="key") for i in page]
    post_keys: list[str] = []
    token = None
    while True:
        body: dict[str, Any] = {"jql": jql_text, "maxResults": 9, "fields": ["key"]}
        if token:
            body["nextPageToken"] = token
        page = session.post(f"{jira.url}/rest/api/3/search/jql", json=body).json()
        post_keys += [i["key"] for i in page["issues"]]
        token = page.get("nextPageToken")
        if page["isLast"]:
            break
    assert post_keys == get_keys and len(post_keys) == ISSUE_COUNT // 2


def test_incremental_search_by_epoch_ms_returns_exactly_the_changed_issues(
    jira: SimulatorServer, jira_world: Path, session: requests.Session
) -> None:
    bound = issue_times(60)[1]
    pages = search_all(session, jira.url, f"updated >= {bound} ORDER BY updated ASC, key ASC", 50, fields="id")
    got = {int(issue["id"]) for page in pages for issue in page}
    expected = {issue_id for issue_id, _, updated, _ in all_issue_rows(jira_world) if updated >= bound}
    assert got == expected and 0 < len(got) < ISSUE_COUNT
    strictly = search_all(session, jira.url, f"updated > {bound}", 50, fields="id")
    assert {int(i["id"]) for p in strictly for i in p} == {i for i, _, u, _ in all_issue_rows(jira_world) if u > bound}


def test_quoted_jql_datetimes_are_read_in_the_users_time_zone(
    jira: SimulatorServer, jira_world: Path, session: requests.Session
) -> None:
    """The trap: "2026-03-03 10:00" means 10:00 in Los Angeles (18:00Z), not 10:00 UTC."""
    utc_bound = ms(datetime(2026, 3, 3, 10, 0, tzinfo=UTC))
    la_bound = ms(datetime(2026, 3, 3, 18, 0, tzinfo=UTC))  # 10:00 PST
    rows = all_issue_rows(jira_world)

    def ids(jql_text: str) -> set[int]:
        return {int(i["id"]) for page in search_all(session, jira.url, jql_text, 100, fields="id") for i in page}

    quoted = ids('updated >= "2026-03-03 10:00"')
    slashed = ids("updated >= '2026/03/03 10:00'")
    epoch_utc = ids(f"updated >= {utc_bound}")
    assert quoted == slashed == {i for i, _, u, _ in rows if u >= la_bound}
    assert epoch_utc == {i for i, _, u, _ in rows if u >= utc_bound}
    # A connector that formatted its UTC watermark as a zone-less string would miss these issues:
    missed = epoch_utc - quoted
    assert missed == {i for i, _, u, _ in rows if utc_bound <= u < la_bound} and len(missed) == 5
    # A date alone is midnight in the user's zone.
    assert ids('created >= "2026-03-04"') == {
        i for i, _, _, c in rows if c >= ms(datetime(2026, 3, 4, 8, 0, tzinfo=UTC))
    }


def test_relative_periods_count_back_from_the_world_clock(
    jira: SimulatorServer, jira_world: Path, session: requests.Session
) -> None:
    bound = ms(NOW - timedelta(days=5))
    got = {int(i["id"]) for page in search_all(session, jira.url, "updated >= -5d", 100, fields="id") for i in page}
    assert got == {i for i, _, u, _ in all_issue_rows(jira_world) if u >= bound}


@pytest.mark.parametrize("jql_text", ["", "ORDER BY key", "order by updated ASC, key ASC"])
def test_unbounded_jql_is_refused(jira: SimulatorServer, session: requests.Session, jql_text: str) -> None:
    response = session.get(f"{jira.url}/rest/api/3/search/jql", params={"jql": jql_text})
    assert response.status_code == 400
    assert response.json() == {
        "errorMessages": ["Unbounded JQL queries are not allowed here. Please add a search restriction to your query."],
        "errors": {},
    }


@pytest.mark.parametrize(
    ("jql_text", "fragment"),
    [
        ("project = ", "Error in the JQL Query: Expecting either a value, list or function but got end of query"),
        ("project = ABC updated > 0", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'updated'"),
        ('summary ~ "x"', "Error in the JQL Query: The operator '~'"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ('updated >= "yesterday-ish"', "Date value 'yesterday-ish' for field 'updated' is invalid."),
        ("assignee = bob", "Field 'assignee' is not supported by the simulator's JQL subset"),
        ("project = ABC ORDER BY rank", "Field 'rank' cannot be sorted by"),
        ('updated >= "2026-03-03 10:00', "has not been completed"),
    ],
)
def test_bad_jql_gets_400_with_jiras_message(
    jira: SimulatorServer, session: requests.Session, jql_text: str, fragment: str
) -> None:
    response = session.get(f"{jira.url}/rest/api/3/search/jql", params={"jql": jql_text})
    assert response.status_code == 400
    (message,) = response.json()["errorMessages"]
    assert fragment in message


def test_bad_or_foreign_page_tokens_get_400(jira: SimulatorServer, session: requests.Session) -> None:
    url = f"{jira.url}/rest/api/3/search/jql"
    first = session.get(url, params={"jql": "project = ABC", "maxResults": 5}).json()
    assert session.get(url, params={"jql": "project = ABC", "nextPageToken": "garbage!"}).status_code == 400
    foreign = session.get(url, params={"jql": "project = DEF", "nextPageToken": first["nextPageToken"]})
    assert foreign.status_code == 400
    assert session.get(url, params={"jql": "project = ABC", "nextPageToken": first["nextPageToken"]}).status_code == 200


def test_old_search_endpoint_is_gone(jira: SimulatorServer, session: requests.Session) -> None:
    for response in (
        session.get(f"{jira.url}/rest/api/3/search", params={"jql": "project = ABC"}),
        session.post(f"{jira.url}/rest/api/2/search", json={"jql": "project = ABC"}),
    ):
        assert response.status_code == 410
        assert "CHANGE-2046" in response.json()["errorMessages"][0]


def test_unknown_paths_get_404_with_jira_error_body(jira: SimulatorServer, session: requests.Session) -> None:
    response = session.get(f"{jira.url}/rest/api/3/nothing/here")
    assert response.status_code == 404
    assert set(response.json()) == {"errorMessages", "errors"}
    assert session.get(f"{jira.url}/rest/api/3/issue/ZZZ-999").status_code == 404


# -- projects and users ---------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 7, 100])
def test_project_search_pages_by_start_at(jira: SimulatorServer, session: requests.Session, page_size: int) -> None:
    keys: list[str] = []
    url = f"{jira.url}/rest/api/3/project/search?maxResults={page_size}&status=live&status=archived"
    for _ in range(20):
        page = session.get(url).json()
        assert page["total"] == 3 and page["maxResults"] == page_size
        keys += [project["key"] for project in page["values"]]
        if page["isLast"]:
            assert "nextPage" not in page
            break
        assert page["nextPage"].startswith(f"{jira.url}/rest/api/3/project/search?")
        url = page["nextPage"]
    assert keys == ["ABC", "DEF", "OLD"]


def test_project_search_hides_archived_and_unexpanded_lead(jira: SimulatorServer, session: requests.Session) -> None:
    live = session.get(f"{jira.url}/rest/api/3/project/search").json()
    assert [p["key"] for p in live["values"]] == ["ABC", "DEF"]
    assert all("lead" not in p for p in live["values"])
    expanded = session.get(
        f"{jira.url}/rest/api/3/project/search", params={"expand": "lead,description", "keys": "ABC"}
    ).json()
    assert [p["lead"]["accountId"] for p in expanded["values"]] == ["acc-1"]
    assert expanded["values"][0]["self"] == f"{jira.url}/rest/api/3/project/10000"


def test_users_search_is_a_plain_paged_array(jira: SimulatorServer, session: requests.Session) -> None:
    first = session.get(f"{jira.url}/rest/api/3/users/search", params={"maxResults": 3}).json()
    rest = session.get(f"{jira.url}/rest/api/3/users/search", params={"startAt": 3, "maxResults": 3}).json()
    assert isinstance(first, list) and len(first) == 3 and len(rest) == 2
    assert {u["accountId"] for u in first + rest} == {f"acc-{n}" for n in range(1, 6)}


# -- worklogs -------------------------------------------------------------------------------------


def walk_worklog_feed(http: requests.Session, url: str, kind: str, since: int) -> tuple[list[int], int]:
    """Follow /worklog/<kind> by nextPage until lastPage; returns ids (with repeats) and page count."""
    ids: list[int] = []
    pages = 0
    next_url = f"{url}/rest/api/3/worklog/{kind}?since={since}"
    while True:
        page = http.get(next_url).json()
        pages += 1
        ids += [value["worklogId"] for value in page["values"]]
        if page["lastPage"]:
            return ids, pages
        assert page["nextPage"].startswith(url)
        assert page["until"] > page["since"], "a page that cannot advance its since would loop forever"
        next_url = page["nextPage"]


@pytest.mark.parametrize("page_size", [7, 100, 1000])
def test_worklog_updated_pages_to_the_end_and_skips_the_last_minute(
    jira_world: Path, session: requests.Session, page_size: int
) -> None:
    with serve(jira_world, worklog_page_size=page_size) as server:
        ids, pages = walk_worklog_feed(session, server.url, "updated", 0)
    assert set(ids) == {30000 + n for n in range(1, WORKLOG_COUNT + 1)}  # never 39999, changed 30 s ago
    if page_size < WORKLOG_COUNT:
        # `since` is inclusive, so each page boundary repeats the last millisecond's worklogs.
        assert pages > WORKLOG_COUNT // page_size and len(ids) > WORKLOG_COUNT
    else:
        assert pages == 1 and len(ids) == WORKLOG_COUNT


def test_worklog_updated_since_is_inclusive(jira: SimulatorServer, session: requests.Session) -> None:
    since = worklog_updated(7)  # worklogs 7 and 8 share this millisecond
    page = session.get(f"{jira.url}/rest/api/3/worklog/updated", params={"since": since}).json()
    ids = [value["worklogId"] for value in page["values"]]
    assert ids[:2] == [30007, 30008] and 30006 not in ids
    assert page["since"] == since and page["until"] == worklog_updated(WORKLOG_COUNT)
    assert page["lastPage"] is True
    assert all(value["properties"] == [] for value in page["values"])


def test_worklog_list_returns_rendered_worklogs(jira: SimulatorServer, session: requests.Session) -> None:
    worklogs = session.post(f"{jira.url}/rest/api/3/worklog/list", json={"ids": [30001, 30002, 123]}).json()
    assert [w["id"] for w in worklogs] == ["30001", "30002"]
    assert worklogs[0]["updated"].endswith("-0800")
    assert worklogs[0]["self"] == f"{jira.url}/rest/api/3/issue/{worklogs[0]['issueId']}/worklog/30001"
    too_many = session.post(f"{jira.url}/rest/api/3/worklog/list", json={"ids": list(range(1001))})
    assert too_many.status_code == 400


def test_worklog_deleted_lists_deleted_ids(jira: SimulatorServer, session: requests.Session) -> None:
    page = session.get(f"{jira.url}/rest/api/3/worklog/deleted", params={"since": 0}).json()
    assert [v["worklogId"] for v in page["values"]] == [39001, 39002, 39003]
    later = session.get(f"{jira.url}/rest/api/3/worklog/deleted", params={"since": BASE_MS + 2 * HOUR_MS}).json()
    assert [v["worklogId"] for v in later["values"]] == [39002, 39003]


def test_issue_worklogs_page(jira: SimulatorServer, session: requests.Session) -> None:
    page = session.get(f"{jira.url}/rest/api/3/issue/ABC-1/worklog").json()
    # Worklogs 20 and 40 are on issue 20001, and so is the one changed 30 s ago (no quiet minute here).
    assert page["total"] == len(page["worklogs"]) == 3
    assert {w["id"] for w in page["worklogs"]} == {"30020", "30040", "39999"}


# -- changelogs -----------------------------------------------------------------------------------


def test_changelog_bulkfetch_filters_fields_and_pages(jira: SimulatorServer, session: requests.Session) -> None:
    issues = [str(20000 + n) for n in range(1, 31)] + ["DEF-20"]  # DEF-20 is issue 40
    url = f"{jira.url}/rest/api/3/changelog/bulkfetch"
    histories: dict[str, list[str]] = {}
    token = None
    pages = 0
    while True:
        body: dict[str, Any] = {"issueIdsOrKeys": issues, "fieldIds": ["status"], "maxResults": 4}
        if token:
            body["nextPageToken"] = token
        page = session.post(url, json=body).json()
        pages += 1
        for log in page["issueChangeLogs"]:
            for history in log["changeHistories"]:
                assert [item["fieldId"] for item in history["items"]] == ["status"]
                histories.setdefault(log["issueId"], []).append(history["id"])
        token = page.get("nextPageToken")
        if token is None:
            break
    assert pages == 8  # 31 status histories, 4 per page
    assert set(histories) == {str(20000 + n) for n in range(1, 31)} | {"20040"}
    assert all(len(ids) == 1 for ids in histories.values())


def test_changelog_bulkfetch_validates_its_body(jira: SimulatorServer, session: requests.Session) -> None:
    url = f"{jira.url}/rest/api/3/changelog/bulkfetch"
    assert session.post(url, json={"issueIdsOrKeys": []}).status_code == 400
    assert session.post(url, json={"issueIdsOrKeys": [str(n) for n in range(1001)]}).status_code == 400
    assert session.post(url, data="{not json").status_code == 400


def test_issue_changelog_pages_oldest_first(jira: SimulatorServer, session: requests.Session) -> None:
    first = session.get(f"{jira.url}/rest/api/3/issue/ABC-1/changelog", params={"maxResults": 1}).json()
    assert first["total"] == 2 and first["isLast"] is False
    second = session.get(first["nextPage"]).json()
    assert [first["values"][0]["items"][0]["fieldId"], second["values"][0]["items"][0]["fieldId"]] == [
        "status",
        "assignee",
    ]
    assert second["isLast"] is True


# -- REST v2 --------------------------------------------------------------------------------------


def test_v2_returns_plain_text_descriptions(jira: SimulatorServer, session: requests.Session) -> None:
    v2 = session.get(f"{jira.url}/rest/api/2/issue/ABC-1", params={"fields": "description"}).json()
    v3 = session.get(f"{jira.url}/rest/api/3/issue/ABC-1", params={"fields": "description"}).json()
    assert v2["fields"]["description"] == "Build the thing."
    assert v3["fields"]["description"] == DESCRIPTION_ADF
    assert v2["self"] == f"{jira.url}/rest/api/2/issue/20001"


# -- the JQL parser itself ------------------------------------------------------------------------


def test_jql_precedence_and_parentheses() -> None:
    query = jql.parse("project = A OR project = B AND updated > 5 ORDER BY key DESC")
    assert isinstance(query.where, jql.BoolOp) and query.where.operator == "or"
    assert isinstance(query.where.parts[1], jql.BoolOp) and query.where.parts[1].operator == "and"
    grouped = jql.parse("(project = A OR project = B) AND NOT key in (A-1, 'A-2')")
    assert isinstance(grouped.where, jql.BoolOp) and grouped.where.operator == "and"
    assert isinstance(grouped.where.parts[1], jql.Not)
    assert grouped.where.parts[1].part == jql.Clause("key", "in", (jql.Value("A-1", False), jql.Value("A-2", True)))
    assert query.order_by == (jql.SortKey("key", True),)


def test_jql_sort_columns_always_end_with_id() -> None:
    assert jql.sort_columns(jql.parse("x = 1 ORDER BY updated DESC, key").order_by) == [
        ("updated_ms", True),
        ("project_key", False),
        ("key_num", False),
        ("id", False),
    ]


# -- the generated small world --------------------------------------------------------------------


def world_meta(path: Path) -> dict[str, str]:
    with contextlib.closing(store.connect(path, readonly=True)) as db:
        return dict(db.execute("select key, value from meta"))


@pytest.fixture(scope="module")
def small_jira(small_world_path: Path) -> Iterator[SimulatorServer]:
    with serve(small_world_path) as server:
        yield server


@pytest.fixture(scope="module")
def small_session(small_world_path: Path) -> Iterator[requests.Session]:
    meta = world_meta(small_world_path)
    with requests.Session() as http:
        http.auth = (meta["jira_email"], meta["jira_api_token"])
        yield http


@pytest.mark.parametrize("page_size", [1, 7, 100])
def test_small_world_search_pages_to_the_last_issue(
    small_jira: SimulatorServer, small_world_path: Path, small_session: requests.Session, page_size: int
) -> None:
    with contextlib.closing(store.connect(small_world_path, readonly=True)) as db:
        # A page of one walks a single project; larger pages walk the whole site.
        project = db.execute(
            "select project_key from jira_issue group by project_key order by count(*) limit 1"
        ).fetchone()[0]
        sql = "select key from jira_issue" + (" where project_key = ?" if page_size == 1 else "")
        expected = {row[0] for row in db.execute(sql, (project,) if page_size == 1 else ())}
    jql_text = f"project = {project} ORDER BY key" if page_size == 1 else "updated >= 0 ORDER BY updated ASC, key ASC"
    pages = search_all(small_session, small_jira.url, jql_text, page_size, fields="key")
    keys = [issue["key"] for page in pages for issue in page]
    assert len(keys) == len(set(keys)) and set(keys) == expected
    assert len(pages) == -(-len(expected) // page_size)


@pytest.mark.parametrize("page_size", [1, 7, 100])
def test_small_world_project_search_pages(
    small_jira: SimulatorServer, small_world_path: Path, small_session: requests.Session, page_size: int
) -> None:
    with contextlib.closing(store.connect(small_world_path, readonly=True)) as db:
        expected = sorted(
            key
            for key, body in db.execute("select key, body from jira_project")
            if not json.loads(body).get("archived")
        )
    keys: list[str] = []
    url = f"{small_jira.url}/rest/api/3/project/search?maxResults={page_size}"
    while url:
        page = small_session.get(url).json()
        keys += [project["key"] for project in page["values"]]
        url = None if page["isLast"] else page["nextPage"]
    assert keys == expected


@pytest.mark.parametrize("page_size", [7, 100, 1000])
def test_small_world_worklog_feed_reaches_every_worklog(
    small_world_path: Path, small_session: requests.Session, page_size: int
) -> None:
    with contextlib.closing(store.connect(small_world_path, readonly=True)) as db:
        expected = {row[0] for row in db.execute("select id from jira_worklog")}
    with serve(small_world_path, worklog_page_size=page_size) as server:
        ids, pages = walk_worklog_feed(small_session, server.url, "updated", 0)
    assert set(ids) == expected
    assert pages >= -(-len(expected) // page_size)


def test_a_page_of_one_cannot_advance_the_inclusive_worklog_feed(
    small_world_path: Path, small_session: requests.Session
) -> None:
    """Why the feed is not walked with pages of one: ``since`` is inclusive, so nextPage repeats the page."""
    with serve(small_world_path, worklog_page_size=1) as server:
        first = small_session.get(f"{server.url}/rest/api/3/worklog/updated?since=0").json()
        again = small_session.get(first["nextPage"]).json()
    assert first["lastPage"] is False and again["values"] == first["values"]


def test_advancing_the_world_shows_new_changed_and_deleted_records(world_path: Path) -> None:
    from simulators.world import World

    meta = world_meta(world_path)
    with serve(world_path) as server, requests.Session() as http, World.open(world_path) as world:
        http.auth = (meta["jira_email"], meta["jira_api_token"])
        before = world.now
        before_ms = ms(before)
        before_time = http.get(f"{server.url}/rest/api/3/serverInfo").json()["serverTime"]
        all_before = {
            i["id"]
            for i in http.get(
                f"{server.url}/rest/api/3/search/jql",
                params={"jql": "updated >= 0", "fields": "id", "maxResults": 5000},
            ).json()["issues"]
        }
        world.advance(1)  # while the server keeps serving
        changed = world.changes_since(before)
        deleted = world.deleted_since(before)
        assert (
            changed["jira/issues"] and changed["jira/worklogs"] and deleted["jira/issues"] and deleted["jira/worklogs"]
        )

        pages = search_all(http, server.url, f"updated >= {before_ms} ORDER BY updated ASC, key ASC", 100, fields="id")
        assert {i["id"] for page in pages for i in page} == changed["jira/issues"]
        all_after = {
            i["id"]
            for i in http.get(
                f"{server.url}/rest/api/3/search/jql",
                params={"jql": "updated >= 0", "fields": "id", "maxResults": 5000},
            ).json()["issues"]
        }
        assert deleted["jira/issues"] <= all_before and not deleted["jira/issues"] & all_after
        for issue_id in sorted(deleted["jira/issues"])[:3]:
            assert http.get(f"{server.url}/rest/api/3/issue/{issue_id}").status_code == 404

        updated_ids, _ = walk_worklog_feed(http, server.url, "updated", before_ms)
        assert {str(i) for i in updated_ids} == changed["jira/worklogs"]
        deleted_ids, _ = walk_worklog_feed(http, server.url, "deleted", before_ms)
        assert {str(i) for i in deleted_ids} == deleted["jira/worklogs"]

        after_time = http.get(f"{server.url}/rest/api/3/serverInfo").json()["serverTime"]
    assert datetime.fromisoformat(after_time) - datetime.fromisoformat(before_time) == timedelta(days=1)


# -- a bulk import: worklogs sharing one updated instant -------------------------------------------

BULK = 2500


@pytest.fixture(scope="module")
def bulk_world(small_world_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, list[str]]:
    """A copy of the small world with 2,500 worklogs imported at one instant over 5 issues."""
    from simulators.world import World

    path = tmp_path_factory.mktemp("bulk") / "world.sqlite"
    shutil.copyfile(small_world_path, path)
    with World.open(path) as world:
        at = world.now - timedelta(days=1, minutes=5) + timedelta(milliseconds=900)
        ids = world.bulk_import_worklogs(BULK, at, issues=5)
    return path, ms(at), ids


def test_a_full_page_of_one_instant_cannot_advance_the_worklog_feed(
    bulk_world: tuple[Path, int, list[str]], small_session: requests.Session
) -> None:
    path, instant, _ = bulk_world
    with serve(path) as server:
        url = f"{server.url}/rest/api/3/worklog/updated"
        page = small_session.get(url, params={"since": instant}).json()
        again = small_session.get(page["nextPage"]).json()
        past = small_session.get(url, params={"since": instant + 1}).json()
    assert len(page["values"]) == 1000 and page["lastPage"] is False
    assert {v["updatedTime"] for v in page["values"]} == {instant}
    assert page["since"] == page["until"] == instant and page["nextPage"].endswith(f"since={instant}")
    assert again["values"] == page["values"]
    assert past["values"] and all(v["updatedTime"] > instant for v in past["values"])


@pytest.mark.parametrize("version", ["2", "3"])
def test_issue_worklogs_page_by_start_at_up_to_their_total(
    bulk_world: tuple[Path, int, list[str]], small_session: requests.Session, version: str
) -> None:
    path, _, ids = bulk_world
    with contextlib.closing(store.connect(path, readonly=True)) as db:
        issue_id = db.execute("select issue_id from jira_worklog where id = ?", (int(ids[0]),)).fetchone()[0]
        expected = {str(i) for (i,) in db.execute("select id from jira_worklog where issue_id = ?", (issue_id,))}
    assert len(expected) > BULK // 5
    with serve(path) as server:
        url = f"{server.url}/rest/api/{version}/issue/{issue_id}/worklog"
        seen: list[str] = []
        start = 0
        while True:
            page = small_session.get(url, params={"startAt": start, "maxResults": 120}).json()
            assert (page["startAt"], page["maxResults"], page["total"]) == (start, 120, len(expected))
            assert len(page["worklogs"]) == min(120, len(expected) - start)
            seen += [w["id"] for w in page["worklogs"]]
            start += len(page["worklogs"])
            if start >= page["total"]:
                break
        beyond = small_session.get(url, params={"startAt": start}).json()
        whole = small_session.get(url, params={"maxResults": 100_000}).json()
        default = small_session.get(url).json()
    assert len(seen) == len(set(seen)) and set(seen) == expected
    assert beyond["worklogs"] == [] and beyond["total"] == len(expected)
    assert whole["maxResults"] == default["maxResults"] == 5000  # Jira's largest page, and its default
    assert [w["id"] for w in whole["worklogs"]] == seen  # oldest created first, then by id
