"""Jira client: JQL, timestamps, field discovery and the paging loops (against a scripted server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from scripted_http import Answer, ScriptedServer

from connectors.http import HttpPolicy, SourceConfigError, SourceError
from connectors.jira.client import (
    JiraClient,
    JiraConfig,
    build_issue_jql,
    epoch_ms,
    find_custom_fields,
    paginate_tokens,
    parse_jira_datetime,
)

FAST = HttpPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.01, retry_budget_seconds=10)
FIELDS = [
    {"id": "summary", "name": "Summary", "custom": False},
    {"id": "customfield_10016", "name": "Story point estimate", "custom": True},
    {"id": "customfield_10026", "name": "Story Points", "custom": True},
    {"id": "customfield_10020", "name": "Sprint", "custom": True},
]


def client(url: str, **kwargs) -> JiraClient:
    return JiraClient(JiraConfig(url, "me@example.com", "tok"), policy=FAST, **kwargs)


def test_jql_is_epoch_ms_unquoted_scoped_and_totally_ordered() -> None:
    since = datetime(2024, 1, 5, 18, 15, 30, 123000, tzinfo=UTC)
    assert build_issue_jql(since) == "updated >= 1704478530123 ORDER BY updated ASC, key ASC"
    assert build_issue_jql(since, "project in (ABC, DEF)") == (
        "updated >= 1704478530123 AND (project in (ABC, DEF)) ORDER BY updated ASC, key ASC"
    )
    assert build_issue_jql(None) == "updated >= 0 ORDER BY updated ASC, key ASC"


def test_jql_bound_is_the_same_instant_whatever_the_offset() -> None:
    utc = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    kiritimati = utc.astimezone(timezone(timedelta(hours=14)))
    los_angeles = utc.astimezone(timezone(timedelta(hours=-7)))
    assert build_issue_jql(utc) == build_issue_jql(kiritimati) == build_issue_jql(los_angeles)


def test_scope_with_order_by_is_refused() -> None:
    with pytest.raises(ValueError, match="JIRA_JQL_SCOPE"):
        build_issue_jql(None, "project = ABC ORDER  BY created")


@pytest.mark.parametrize(
    "scope, problem",
    [
        ("project = A) OR (project = B", "closes a parenthesis it did not open"),
        ("(project = A", "leaves a parenthesis open"),
        ('summary ~ "open', 'leaves a " quote open'),
        ("project = A order\tby created", "has an ORDER BY"),
    ],
)
def test_scopes_that_would_escape_the_bound_are_refused(scope: str, problem: str) -> None:
    with pytest.raises(SourceConfigError, match="JIRA_JQL_SCOPE") as caught:
        build_issue_jql(None, scope)
    assert problem in str(caught.value)


def test_parentheses_quotes_and_order_by_inside_strings_are_plain_text() -> None:
    scope = 'summary ~ "a) OR (b" AND labels = \'order by\' AND text ~ "say \\"hi\\")"'
    assert build_issue_jql(None, scope) == f"updated >= 0 AND ({scope}) ORDER BY updated ASC, key ASC"


def test_a_bad_scope_fails_when_the_client_is_made() -> None:
    with pytest.raises(SourceConfigError, match="JIRA_JQL_SCOPE"):
        JiraClient(JiraConfig("https://x.atlassian.net", "me@example.com", "tok", jql_scope="a) OR (b"))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        epoch_ms(datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="no UTC offset"):
        parse_jira_datetime("2024-01-05T10:15:30.000")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2024-01-05T10:15:30.000-0800", datetime(2024, 1, 5, 18, 15, 30, tzinfo=UTC)),
        ("2024-01-05T10:15:30.000+1400", datetime(2024, 1, 4, 20, 15, 30, tzinfo=UTC)),
        ("2024-01-05T10:15:30.250+0000", datetime(2024, 1, 5, 10, 15, 30, 250000, tzinfo=UTC)),
        ("2024-01-05T10:15:30Z", datetime(2024, 1, 5, 10, 15, 30, tzinfo=UTC)),
        (1704478530123, datetime(2024, 1, 5, 18, 15, 30, 123000, tzinfo=UTC)),
        (1492070429, datetime(2017, 4, 13, 8, 0, 29, tzinfo=UTC)),
    ],
)
def test_timestamps_parse_offset_aware_to_utc(text, expected) -> None:
    parsed = parse_jira_datetime(text)
    assert parsed == expected and parsed.tzinfo == UTC


def test_custom_fields_are_found_by_name() -> None:
    found = find_custom_fields(FIELDS)
    assert found.story_points == ("customfield_10016", "customfield_10026")
    assert found.sprint == ("customfield_10020",)


def test_a_renamed_sprint_field_is_found_by_its_type() -> None:
    renamed = {"id": "customfield_7", "name": "Iteration", "schema": {"custom": "com.pyxis.greenhopper.jira:gh-sprint"}}
    assert find_custom_fields([renamed]).sprint == ("customfield_7",)


def test_token_loop_stops_on_is_last_missing_token_or_empty_page() -> None:
    pages = {None: ([1, 2], "a", False), "a": ([3], "b", True), "b": ([99], None, True)}
    assert list(paginate_tokens(lambda t: pages[t], max_pages=10, what="x")) == [[1, 2], [3]]
    pages = {None: ([1], "a", False), "a": ([2], None, False)}
    assert list(paginate_tokens(lambda t: pages[t], max_pages=10, what="x")) == [[1], [2]]
    pages = {None: ([1], "a", False), "a": ([], "b", False), "b": ([5], None, True)}
    assert list(paginate_tokens(lambda t: pages[t], max_pages=10, what="x")) == [[1]]


def test_token_loop_refuses_a_repeated_token() -> None:
    pages = {None: ([1], "a", False), "a": ([2], "b", False), "b": ([3], "a", False)}
    with pytest.raises(SourceError, match="already returned"):
        list(paginate_tokens(lambda t: pages[t], max_pages=10, what="issues"))


def test_token_loop_stops_at_the_page_cap_with_an_error_naming_it() -> None:
    with pytest.raises(SourceError, match="page cap of 3 pages"):
        list(paginate_tokens(lambda t: ([1], f"{t}x", False), max_pages=3, what="issues"))


def test_token_loop_refuses_the_same_page_under_a_new_token() -> None:
    pages = {None: ([{"id": "1"}], "a", False), "a": ([{"id": "2"}], "b", False)}
    pages.update({t: ([{"id": "2"}], t + "x", False) for t in ("b", "bx", "bxx")})
    with pytest.raises(SourceError, match="same page of issues again"):
        list(paginate_tokens(lambda t: pages[t], max_pages=10, what="issues", item_key=lambda i: i["id"]))


def test_projects_paging_is_limited_by_the_total_jira_counts() -> None:
    page = {"values": [{"id": "1"}], "isLast": False, "total": 2, "maxResults": 1}
    with ScriptedServer([Answer(200, page) for _ in range(50)]) as server:
        with pytest.raises(SourceError, match="its own total of 2 projects"):
            list(client(server.url).projects(page_size=1))
    assert len(server.seen) == 8  # ceil(2 * 1.1 / 1) + 5 pages


def test_issue_search_posts_explicit_fields_and_follows_tokens() -> None:
    answers = [
        Answer(200, FIELDS),
        Answer(200, {"issues": [{"id": "1"}, {"id": "2"}], "nextPageToken": "t1", "isLast": False}),
        Answer(200, {"issues": [{"id": "3"}], "isLast": True}),
    ]
    with ScriptedServer(answers) as server:
        jira = client(server.url, search_page_size=2)
        batches = list(jira.issues(datetime(2024, 1, 1, tzinfo=UTC), "project = ABC"))
    assert [[i["id"] for i in b] for b in batches] == [["1", "2"], ["3"]]
    first, second = server.seen[1].json(), server.seen[2].json()
    assert server.seen[1].path == "/rest/api/3/search/jql" and server.seen[1].method == "POST"
    assert first["jql"] == "updated >= 1704067200000 AND (project = ABC) ORDER BY updated ASC, key ASC"
    assert {"summary", "updated", "issuelinks", "customfield_10016", "customfield_10026", "customfield_10020"} <= set(
        first["fields"]
    )
    assert "nextPageToken" not in first and second["nextPageToken"] == "t1"


def test_projects_page_by_start_at_until_is_last() -> None:
    answers = [
        Answer(200, {"values": [{"id": "1"}, {"id": "2"}], "isLast": False, "startAt": 0}),
        Answer(200, {"values": [{"id": "3"}], "isLast": True, "startAt": 2}),
    ]
    with ScriptedServer(answers) as server:
        batches = list(client(server.url).projects(page_size=2))
    assert [p["id"] for b in batches for p in b] == ["1", "2", "3"]
    assert [s.query["startAt"] for s in server.seen] == [["0"], ["2"]]


def test_users_page_until_an_empty_page_not_a_short_one() -> None:
    answers = [Answer(200, [{"accountId": "a"}]), Answer(200, [{"accountId": "b"}]), Answer(200, [])]
    with ScriptedServer(answers) as server:
        batches = list(client(server.url).users(page_size=5))
    assert [u["accountId"] for b in batches for u in b] == ["a", "b"]
    assert [s.query["startAt"] for s in server.seen] == [["0"], ["1"], ["2"]]


def test_worklogs_follow_next_page_and_fetch_details_in_chunks() -> None:
    base = "https://site.atlassian.net/rest/api/3/worklog/updated"
    answers = [
        Answer(
            200,
            {
                "values": [{"worklogId": 10, "updatedTime": 1000}, {"worklogId": 11, "updatedTime": 2000}],
                "since": 0,
                "until": 2000,
                "lastPage": False,
                "nextPage": f"{base}?since=2000",
            },
        ),
        Answer(
            200,
            [
                {"id": "11", "updated": "2024-01-01T00:00:02.000+0000"},
                {"id": "10", "updated": "2024-01-01T00:00:01.000+0000"},
            ],
        ),
        Answer(
            200, {"values": [{"worklogId": 12, "updatedTime": 3000}], "since": 2000, "until": 3000, "lastPage": True}
        ),
        Answer(200, [{"id": "12", "updated": "2024-01-01T00:00:03.000+0000"}]),
    ]
    with ScriptedServer(answers) as server:
        batches = list(client(server.url).worklogs(None))
    assert [[w["id"] for w in b] for b in batches] == [["10", "11"], ["12"]]  # sorted oldest first
    assert server.seen[0].query["since"] == ["0"] and server.seen[2].query["since"] == ["2000"]
    assert server.seen[1].json() == {"ids": [10, 11]}


def test_worklog_feed_that_cannot_advance_is_an_error_not_a_loop() -> None:
    stuck = {
        "values": [{"worklogId": i, "updatedTime": 5000} for i in range(1000)],
        "since": 5000,
        "until": 5000,
        "lastPage": False,
        "nextPage": "https://x/rest/api/3/worklog/deleted?since=5000",
    }
    with ScriptedServer([Answer(200, stuck)]) as server:
        jira = client(server.url)
        with pytest.raises(SourceError, match="cannot page past"):
            list(jira.deleted_worklogs(datetime.fromtimestamp(5, tz=UTC)))
        assert len(server.seen) == 1


def test_changelogs_are_chunked_by_1000_issues_and_keep_the_issue_id() -> None:
    ids = [str(i) for i in range(1500)]
    history = {"id": "h1", "created": "2024-01-01T00:00:00.000+0000", "items": [{"fieldId": "status"}]}
    answers = [
        Answer(200, {"issueChangeLogs": [{"issueId": "7", "changeHistories": [history]}], "nextPageToken": "p2"}),
        Answer(200, {"issueChangeLogs": [], "nextPageToken": "p3"}),
        Answer(200, {"issueChangeLogs": [{"issueId": "8", "changeHistories": [{**history, "id": "h2"}]}]}),
        Answer(200, {"issueChangeLogs": [{"issueId": "1400", "changeHistories": [{**history, "id": "h3"}]}]}),
    ]
    with ScriptedServer(answers) as server:
        batches = list(client(server.url).changelogs(ids))
    assert [(h["id"], h["issueId"]) for b in batches for h in b] == [("h1", "7"), ("h2", "8"), ("h3", "1400")]
    bodies = [s.json() for s in server.seen]
    assert [len(b["issueIdsOrKeys"]) for b in bodies] == [1000, 1000, 1000, 500]
    assert bodies[0]["fieldIds"] == ["status"] and bodies[2]["nextPageToken"] == "p3"


def test_jira_repr_hides_the_token() -> None:
    config = JiraConfig("https://site.atlassian.net", "me@example.com", "very-secret-token")
    assert "very-secret-token" not in repr(config)
    assert "very-secret-token" not in repr(JiraClient(config))
