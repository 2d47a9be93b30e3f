"""Every Jira endpoint the simulator serves answers as Atlassian's OpenAPI spec says it must.

Each response, fetched over real HTTP from the generated ``small`` world, is validated with
openapi-core against Atlassian's published Jira Cloud platform OpenAPI spec (developer.atlassian.com;
the ``/rest/api/3`` paths), kept gzipped in ``fixtures/`` so a clone anywhere can run the test.
Where the spec's schemas contradict the spec's own examples, the examples (which are real Jira Cloud
responses) win, and only there:

- datetimes: the schema says RFC 3339 ``date-time``, the examples (and Jira Cloud) write the offset
  without a colon (``"created": "1970-01-18T06:27:50.429+0000"``); that variant is accepted,
  anything else that is not RFC 3339 still fails;
- ``ChangeDetails.from`` / ``to`` are typed string, the changelog example has ``"from": null``;
- ``ServerInformation`` forbids extra properties, its example has ``defaultLocale``.

The Jira Software Agile API (``/rest/agile/1.0``) is not in this spec: ``test_jira_extras.py``
checks its boards, sprints and issue pages against the shapes Jira Software documents.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from rfc3339_validator import validate_rfc3339

from simulators import Simulators, start_simulators

SPEC_PATH = Path(__file__).with_name("fixtures") / "jira-cloud-platform-openapi-v3.json.gz"
JIRA_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")


def jira_date_time(value: str) -> bool:
    """RFC 3339, or Jira's own rendering with a colon-less offset."""
    if JIRA_DATETIME.match(value):
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
        return True
    return validate_rfc3339(value)


@cache
def spec_dict() -> dict[str, Any]:
    spec = json.loads(gzip.decompress(SPEC_PATH.read_bytes()))
    schemas = spec["components"]["schemas"]
    for name in ("from", "to"):
        schemas["ChangeDetails"]["properties"][name]["nullable"] = True
    schemas["ServerInformation"]["properties"]["defaultLocale"] = {
        "type": "object",
        "properties": {"locale": {"type": "string"}},
    }
    return spec


@pytest.fixture(scope="module")
def sims(small_world_path: Path) -> Iterator[Simulators]:
    with start_simulators(small_world_path) as running:
        yield running


def openapi_for(jira_url: str) -> OpenAPI:
    spec = dict(spec_dict())
    spec["servers"] = [{"url": jira_url}]
    # The spec itself is Atlassian's; validating its 2.4 MB again on every run would only cost time.
    config = Config(spec_validator_cls=None, extra_format_validators={"date-time": jira_date_time})
    return OpenAPI.from_dict(spec, config=config)


@pytest.fixture(scope="module")
def openapi(sims: Simulators) -> OpenAPI:
    return openapi_for(sims.jira_url)


@pytest.fixture(scope="module")
def http(sims: Simulators) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = (sims.jira_email, sims.jira_api_token)
        yield session


def check(openapi: OpenAPI, response: requests.Response, status: int = 200) -> Any:
    """Assert the status, validate the response against the spec, return its JSON."""
    assert response.status_code == status, response.text[:500]
    openapi.validate_response(RequestsOpenAPIRequest(response.request), RequestsOpenAPIResponse(response))
    return response.json()


def api(sims: Simulators, path: str) -> str:
    return f"{sims.jira_url}/rest/api/3/{path}"


@pytest.fixture(scope="module")
def sample_issue(sims: Simulators, http: requests.Session) -> dict[str, Any]:
    """An issue that has worklogs and status changes, so every per-issue endpoint has content."""
    page = http.get(api(sims, "worklog/updated"), params={"since": 0}).json()
    worklog = http.post(api(sims, "worklog/list"), json={"ids": [page["values"][0]["worklogId"]]}).json()[0]
    return http.get(api(sims, f"issue/{worklog['issueId']}"), params={"fields": "key"}).json()


def test_identity_and_metadata_endpoints(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    me = check(openapi, http.get(api(sims, "myself")))
    assert me["emailAddress"] == sims.jira_email
    info = check(openapi, http.get(api(sims, "serverInfo")))
    assert info["deploymentType"] == "Cloud" and info["baseUrl"] == sims.jira_url
    assert len(check(openapi, http.get(api(sims, "status")))) >= 3


def test_field_list(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    names = {field["name"] for field in check(openapi, http.get(api(sims, "field")))}
    assert "Sprint" in names


def test_project_search_pages(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    first = check(
        openapi, http.get(api(sims, "project/search"), params={"maxResults": 4, "expand": "lead,description"})
    )
    assert first["isLast"] is False and first["values"][0]["lead"]["accountId"]
    following = check(openapi, http.get(first["nextPage"]))
    assert following["startAt"] == 4


def test_users_search(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    users = check(openapi, http.get(api(sims, "users/search"), params={"maxResults": 20}))
    assert len(users) == 20 and all(user["accountId"] for user in users)


@pytest.mark.parametrize(
    "fields",
    [
        None,
        "id,key",
        "summary,status,issuetype,priority,assignee,reporter,project,parent,created,updated,"
        "resolutiondate,duedate,labels,components,fixVersions,timeoriginalestimate,timespent,issuelinks,"
        "customfield_10016,customfield_10020",
        "*all",
        "*navigable",
    ],
)
def test_search_jql_get(openapi: OpenAPI, sims: Simulators, http: requests.Session, fields: str | None) -> None:
    params = {"jql": "updated >= 0 ORDER BY updated ASC, key ASC", "maxResults": 25}
    if fields:
        params["fields"] = fields
    first = check(openapi, http.get(api(sims, "search/jql"), params=params))
    assert len(first["issues"]) == 25 and first["nextPageToken"]
    second = check(
        openapi, http.get(api(sims, "search/jql"), params={**params, "nextPageToken": first["nextPageToken"]})
    )
    assert {i["id"] for i in first["issues"]}.isdisjoint(i["id"] for i in second["issues"])


def test_search_jql_post_and_its_errors(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    body = {"jql": "ORDER BY key", "fields": ["summary"]}
    check(openapi, http.post(api(sims, "search/jql"), json=body), status=400)
    page = check(
        openapi,
        http.post(
            api(sims, "search/jql"),
            json={"jql": "created >= -3650d", "fields": ["summary", "updated"], "maxResults": 10},
        ),
    )
    assert len(page["issues"]) == 10
    check(openapi, http.get(api(sims, "search/jql"), params={"jql": "order by key"}), status=400)
    check(openapi, requests.get(api(sims, "search/jql"), params={"jql": "updated >= 0"}), status=401)


def test_worklog_feeds_and_list(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    updated = check(openapi, http.get(api(sims, "worklog/updated"), params={"since": 0}))
    assert len(updated["values"]) == 1000 and updated["lastPage"] is False
    ids = [value["worklogId"] for value in updated["values"][:50]]
    worklogs = check(openapi, http.post(api(sims, "worklog/list"), json={"ids": ids}))
    assert {int(w["id"]) for w in worklogs} == set(ids)
    check(openapi, http.get(api(sims, "worklog/deleted"), params={"since": 0}))


def test_changelog_bulkfetch(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    ids = [
        i["id"]
        for i in http.get(api(sims, "search/jql"), params={"jql": "updated >= 0", "maxResults": 200}).json()["issues"]
    ]
    page = check(
        openapi,
        http.post(
            api(sims, "changelog/bulkfetch"), json={"issueIdsOrKeys": ids, "fieldIds": ["status"], "maxResults": 100}
        ),
    )
    assert page["issueChangeLogs"] and page["nextPageToken"]
    check(
        openapi,
        http.post(
            api(sims, "changelog/bulkfetch"),
            json={
                "issueIdsOrKeys": ids,
                "nextPageToken": page["nextPageToken"],
                "fieldIds": ["status"],
                "maxResults": 100,
            },
        ),
    )


def test_issue_endpoints(
    openapi: OpenAPI, sims: Simulators, http: requests.Session, sample_issue: dict[str, Any]
) -> None:
    key = sample_issue["key"]
    issue = check(openapi, http.get(api(sims, f"issue/{key}")))
    assert issue["key"] == key
    worklogs = check(openapi, http.get(api(sims, f"issue/{key}/worklog")))
    assert worklogs["total"] == len(worklogs["worklogs"]) > 0
    changelog = check(openapi, http.get(api(sims, f"issue/{key}/changelog"), params={"maxResults": 2}))
    assert changelog["values"]
    check(openapi, http.get(api(sims, "issue/NOPE-1")), status=404)


def test_a_bulk_imported_instant_stuck_feed_and_paged_issue_worklogs(
    small_world_path: Path, tmp_path: Path, http: requests.Session
) -> None:
    """What the connector reads when 2,500 worklogs share one updated instant: the feed page that
    cannot advance, and one issue's worklogs page by page."""
    from simulators.world import World

    path = tmp_path / "bulk.sqlite"
    shutil.copyfile(small_world_path, path)
    with World.open(path) as world:
        at = world.now - timedelta(days=1, minutes=5)
        ids = world.bulk_import_worklogs(2500, at, issues=5)
    instant = round(at.timestamp() * 1000)
    with start_simulators(path) as bulk:
        spec = openapi_for(bulk.jira_url)
        stuck = check(spec, http.get(api(bulk, "worklog/updated"), params={"since": instant}))
        assert len(stuck["values"]) == 1000 and stuck["until"] == stuck["since"] == instant
        issue_id = check(spec, http.post(api(bulk, "worklog/list"), json={"ids": [int(ids[0])]}))[0]["issueId"]
        first = check(spec, http.get(api(bulk, f"issue/{issue_id}/worklog"), params={"maxResults": 300}))
        second = check(
            spec, http.get(api(bulk, f"issue/{issue_id}/worklog"), params={"startAt": 300, "maxResults": 300})
        )
    assert first["total"] == second["total"] > 500
    assert len(first["worklogs"]) == 300 and second["startAt"] == 300
    assert {w["id"] for w in first["worklogs"]}.isdisjoint(w["id"] for w in second["worklogs"])


def test_versions_and_components(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    project = http.get(api(sims, "project/search"), params={"maxResults": 1}).json()["values"][0]
    paged = check(openapi, http.get(api(sims, f"project/{project['key']}/version"), params={"maxResults": 2}))
    assert paged["values"] and paged["total"] >= len(paged["values"])
    listed = check(openapi, http.get(api(sims, f"project/{project['id']}/versions")))
    assert len(listed) == paged["total"]
    check(openapi, http.get(api(sims, f"version/{listed[0]['id']}"), params={"expand": "issuesstatus,operations"}))
    check(openapi, http.get(api(sims, "version/999999")), status=404)
    check(openapi, http.get(api(sims, "project/NOPE/version")), status=404)
    components = check(openapi, http.get(api(sims, f"project/{project['key']}/component")))
    assert components["values"] and all("issueCount" in c for c in components["values"])
    check(openapi, http.get(api(sims, f"project/{project['key']}/components")))


def test_comments_and_issue_properties(
    openapi: OpenAPI, sims: Simulators, http: requests.Session, small_world_path: Path
) -> None:
    with contextlib.closing(sqlite3.connect(f"file:{small_world_path}?mode=ro", uri=True)) as db:
        (issue_id,) = db.execute(
            "select issue_id from jira_comment group by issue_id order by count(*) desc"
        ).fetchone()
    page = check(openapi, http.get(api(sims, f"issue/{issue_id}/comment"), params={"expand": "renderedBody"}))
    assert page["total"] == len(page["comments"]) > 1
    check(openapi, http.get(api(sims, f"issue/{issue_id}/comment"), params={"orderBy": "-created", "maxResults": 1}))
    check(openapi, http.get(api(sims, f"issue/{issue_id}/comment"), params={"orderBy": "author"}), status=400)
    check(openapi, http.get(api(sims, "issue/NOPE-1/comment")), status=404)
    assert check(openapi, http.get(api(sims, f"issue/{issue_id}/properties"))) == {"keys": []}
    check(openapi, http.get(api(sims, "issue/NOPE-1/properties")), status=404)


def test_user_search_and_groups(openapi: OpenAPI, sims: Simulators, http: requests.Session) -> None:
    found = check(openapi, http.get(api(sims, "user/search"), params={"query": "a", "maxResults": 1000}))
    assert found
    one = check(openapi, http.get(api(sims, "user/search"), params={"accountId": found[0]["accountId"]}))
    assert [u["accountId"] for u in one] == [found[0]["accountId"]]
    check(openapi, http.get(api(sims, "user/search")), status=400)
    groups = check(openapi, http.get(api(sims, "group/bulk"), params={"maxResults": 2}))
    assert groups["values"] and groups["total"] >= 2
    members = check(
        openapi,
        http.get(
            api(sims, "group/member"), params={"groupname": "jira-software-users", "includeInactiveUsers": "true"}
        ),
    )
    assert members["values"] and members["total"] > len(members["values"])
    check(openapi, http.get(api(sims, "group/member"), params={"groupname": "no-such-group"}), status=404)
    check(openapi, http.get(api(sims, "group/member")), status=400)
