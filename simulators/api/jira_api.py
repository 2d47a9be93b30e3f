"""The simulated Jira Cloud REST API (``/rest/api/3/...`` and ``/rest/api/2/...``), served from the world file.

It answers the endpoints a warehouse connector needs (docs/contract.md §3) plus the few that real clients
such as the ``jira`` library call on the way (``/project``, ``/issue/{key}``, its worklogs and
changelog), with Jira Cloud's paging, error bodies and quirks:

- datetimes are rendered in the API user's time zone (``2024-01-05T10:15:30.000-0800``, DST-correct
  per instant), and zone-less JQL dates are read in that zone too;
- ``search/jql`` pages with an opaque ``nextPageToken`` (absent on the last page), returns only
  ``id`` unless ``fields`` asks for more, refuses unbounded JQL, and allows up to 5000 issues per
  page only when nothing but ``id``/``key`` is requested (100 otherwise);
- the old ``/search`` answers 410 (CHANGE-2046);
- ``/project/search`` returns live projects unless ``status`` asks for archived ones, and includes
  ``lead``, ``description``, ``issueTypes``, ``url``, ``projectKeys`` and ``insight`` only when
  ``expand`` names them;
- ``/worklog/updated`` and ``/worklog/deleted`` return ``updated >= since`` (inclusive, so a page
  boundary repeats the items of its last millisecond), at most 1000 per page, and leave out the
  last minute before the world clock; a full page of one instant therefore cannot be paged past
  (``until`` = ``since``), as on Jira when a bulk import stamps 1000 or more worklogs alike;
- ``/issue/{id}/worklog`` pages one issue's worklogs by ``startAt``/``maxResults`` (at most 5000,
  also the default) with their ``total``, oldest created first, and has no quiet minute.

What third-party clients read besides lives in modules of its own, routed from here: versions and
components (``jira_projects.py``), user search and groups (``jira_people.py``), comments,
properties, transitions and what Jira fills into an issue when it is read (``jira_issue_parts.py``),
and the Jira Software Agile API under ``/rest/agile/1.0`` (``jira_agile.py``). Another method on a
path the site serves is a 405; any other path is a 404.

"Now" is always the world's clock (meta ``now``), read per request, never the wall clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulators.api import jira_agile, jira_issue_parts, jira_people, jira_projects, jql
from simulators.api.faults import Fault, FaultConfig
from simulators.api.http import (
    Request,
    Response,
    credentials_match,
    http_date,
    json_response,
    world_now,
)
from simulators.api.jira_common import (
    NOT_AUTHENTICATED_MESSAGE,
    RICH_TEXT_FIELDS,
    ApiError,
    Call,
    FieldSelection,
    adf_text,
    bounded_int,
    comma_values,
    error_body,
    find_issue,
    find_project,
    int_param,
    json_body,
    page_bean,
    page_url,
    render_history,
    render_instant,
    render_worklog,
    static,
)
from simulators.world.store import JIRA_DATETIME_FIELDS, SPRINT_FIELD_ID, read_meta

__all__ = ["FieldSelection", "JiraApp", "adf_text", "error_body", "render_instant"]

SEARCH_REMOVED_MESSAGE = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED_JQL_MESSAGE = "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
ISSUE_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"
PROJECT_EXPANDABLE = ("description", "lead", "issueTypes", "url", "projectKeys", "insight")
DEFAULT_SEARCH_RESULTS = 50
MAX_SEARCH_RESULTS = 100
MAX_ID_ONLY_SEARCH_RESULTS = 5000
MAX_BULK_IDS = 1000
MAX_ISSUE_WORKLOG_RESULTS = 5000  # /issue/{id}/worklog: Jira's default and largest page
WORKLOG_QUIET_MS = 60_000  # /worklog/updated and /deleted leave out the minute before "now"


class JiraApp:
    """The Jira Cloud REST API over one world file."""

    name = "jira"

    def __init__(
        self, world_path: Path | str, *, timezone_name: str | None = None, worklog_page_size: int = 1000
    ) -> None:
        self.world_path = Path(world_path)
        self.timezone_name = timezone_name
        # Real Jira pages /worklog/updated by 1000; tests shrink it to exercise paging on a small world.
        self.worklog_page_size = worklog_page_size

    # -- the App protocol -----------------------------------------------------------------------

    def handle(self, request: Request, db: sqlite3.Connection) -> Response:
        meta = read_meta(db)
        now = world_now(meta)
        if not credentials_match(request, meta.get("jira_email", ""), meta.get("jira_api_token", "")):
            return self._json(
                401, error_body(NOT_AUTHENTICATED_MESSAGE), now, [("X-Seraph-LoginReason", "AUTHENTICATED_FAILED")]
            )
        version, route = _split_api_path(request.path)
        agile_route = jira_agile.split_path(request.path)
        if route is None and agile_route is None:
            return self._json(404, error_body(f"No resource found for {request.method} {request.path}"), now)
        # The Agile API renders issues as REST v2 does (text, not Atlassian Document Format).
        call = Call(request, db, meta, self._zone(meta), now, version if route is not None else "2", request.base_url)
        try:
            if agile_route is not None:
                payload = jira_agile.route(self, call, agile_route)
            else:
                payload = self._route(call, route)
        except ApiError as exc:
            return self._json(exc.status, error_body(*exc.messages), now)
        except jql.JqlError as exc:
            return self._json(400, error_body(str(exc)), now)
        return self._json(200, payload, now)

    def fault_response(self, fault: Fault, config: FaultConfig, request: Request, db: sqlite3.Connection) -> Response:
        now = world_now(read_meta(db))
        retry = config.retry_after_seconds
        headers: list[tuple[str, str]] = []
        if fault.with_retry_after:
            headers.append(("Retry-After", str(retry)))
        if fault.kind == "429":
            reset = (now + timedelta(seconds=retry)).astimezone(UTC)
            headers += [
                ("X-RateLimit-Limit", "350"),
                ("X-RateLimit-Remaining", "0"),
                ("X-RateLimit-Reset", f"{reset:%Y-%m-%dT%H:%M}Z"),
                ("X-RateLimit-NearLimit", "true"),
                ("RateLimit-Reason", "jira-burst-based"),
            ]
            return self._json(429, error_body("Rate limit exceeded."), now, headers)
        if fault.kind == "503":
            return self._json(503, error_body("Service Unavailable"), now, headers)
        return self._json(500, error_body("Internal server error"), now, headers)

    def internal_error(self) -> Response:
        return json_response(500, error_body("Internal server error"))

    # -- plumbing -------------------------------------------------------------------------------

    def _zone(self, meta: dict[str, str]) -> ZoneInfo:
        name = self.timezone_name or meta.get("jira_timezone") or "UTC"
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    @staticmethod
    def _json(status: int, payload: Any, now: datetime, headers: list[tuple[str, str]] | None = None) -> Response:
        response = json_response(status, payload, headers or [])
        response.headers.append(("Date", http_date(now)))
        return response

    def _route(self, call: Call, route: str) -> Any:
        method = call.request.method
        parts = route.strip("/").split("/")
        head = parts[0]
        if method in ("GET", "HEAD"):
            if route == "myself":
                return self._myself(call)
            if route == "serverInfo":
                return self._server_info(call)
            if route == "status":
                return static(call, "statuses", [])
            if route == "field":
                return static(call, "fields", [])
            if route == "issueLinkType":
                return static(call, "issueLinkTypes", {"issueLinkTypes": []})
            if route == "project/search":
                return self._project_search(call)
            if route == "project":
                return self._project_list(call)
            if head == "project" and len(parts) == 2:
                return self._project(call, parts[1])
            if head == "project" and len(parts) == 3 and parts[2] in ("version", "versions"):
                return jira_projects.project_versions(call, parts[1], paged=parts[2] == "version")
            if head == "project" and len(parts) == 3 and parts[2] in ("component", "components"):
                return jira_projects.project_components(call, parts[1], paged=parts[2] == "component")
            if head == "version" and len(parts) == 2:
                return jira_projects.version(call, parts[1])
            if route == "user":
                return jira_people.user(call)
            if route == "user/search":
                return jira_people.user_search(call)
            if route == "group/bulk":
                return jira_people.groups_bulk(call)
            if route == "group/member":
                return jira_people.group_members(call)
            if route == "users/search":
                return self._users(call)
            if route == "search/jql":
                return self._search(call, _search_params_from_query(call.request))
            if route == "worklog/updated":
                return self._worklog_changes(call, "updated")
            if route == "worklog/deleted":
                return self._worklog_changes(call, "deleted")
            if head == "issue" and len(parts) == 2:
                return self._issue(call, parts[1])
            if head == "issue" and len(parts) == 3 and parts[2] == "worklog":
                return self._issue_worklogs(call, parts[1])
            if head == "issue" and len(parts) == 3 and parts[2] == "changelog":
                return self._issue_changelog(call, parts[1])
            if head == "issue" and len(parts) == 3 and parts[2] == "comment":
                return jira_issue_parts.comments(call, parts[1])
            if head == "issue" and len(parts) == 4 and parts[2] == "comment":
                return jira_issue_parts.comment(call, parts[1], parts[3])
            if head == "issue" and len(parts) == 3 and parts[2] == "properties":
                return jira_issue_parts.properties(call, parts[1])
            if head == "issue" and len(parts) == 4 and parts[2] == "properties":
                return jira_issue_parts.issue_property(call, parts[1], parts[3])
            if head == "issue" and len(parts) == 3 and parts[2] == "transitions":
                return jira_issue_parts.transitions(call, parts[1])
        if method == "POST":
            if route == "search/jql":
                return self._search(call, _search_params_from_body(call.request))
            if route == "worklog/list":
                return self._worklog_list(call)
            if route == "changelog/bulkfetch":
                return self._changelog_bulkfetch(call)
        if route in ("search", "search/id", "expression/eval"):
            raise ApiError(410, SEARCH_REMOVED_MESSAGE)
        if _known_route(route):
            raise ApiError(405, f"Method {method} is not allowed for /rest/api/{call.version}/{route}")
        raise ApiError(404, f"No resource found for {method} /rest/api/{call.version}/{route}")

    # -- identity and metadata --------------------------------------------------------------------

    def _myself(self, call: Call) -> dict[str, Any]:
        user = dict(static(call, "myself", {}))
        user["timeZone"] = call.zone.key
        user.setdefault("emailAddress", call.meta.get("jira_email", ""))
        if "accountId" in user:
            user["self"] = call.api(f"user?accountId={user['accountId']}")
        return user

    def _server_info(self, call: Call) -> dict[str, Any]:
        info = dict(static(call, "serverInfo", {}))
        info.setdefault("version", "1001.0.0-SNAPSHOT")
        info.setdefault("versionNumbers", [1001, 0, 0])
        info.setdefault("buildNumber", 100000)
        info.setdefault("scmInfo", "simulated")
        info.setdefault("serverTitle", "Jira")
        info["baseUrl"] = call.base
        info["deploymentType"] = "Cloud"
        info["serverTime"] = call.instant(call.now_ms)
        return info

    # -- projects and users ---------------------------------------------------------------------

    def _render_project(self, call: Call, project: dict[str, Any], expand: set[str]) -> dict[str, Any]:
        project = dict(project)
        for name in PROJECT_EXPANDABLE:
            if name not in expand:
                project.pop(name, None)
        project["self"] = call.api(f"project/{project['id']}")
        return project

    def _project_search(self, call: Call) -> dict[str, Any]:
        request = call.request
        start_at = int_param(request, "startAt", 0, minimum=0)
        max_results = min(int_param(request, "maxResults", 50, minimum=1), 100)
        expand = comma_values(request.params("expand"))
        keys = {key.upper() for key in comma_values(request.params("keys"))}
        ids = comma_values(request.params("id"))
        statuses = comma_values(request.params("status")) or {"live"}
        text = (request.param("query") or "").lower()
        type_key = request.param("typeKey")
        projects = []
        for body in (row[0] for row in call.db.execute("select body from jira_project")):
            project = call.load(body)
            status = "archived" if project.get("archived") else "deleted" if project.get("deleted") else "live"
            if status not in statuses:
                continue
            if keys and str(project.get("key", "")).upper() not in keys:
                continue
            if ids and str(project.get("id")) not in ids:
                continue
            if (
                text
                and text not in str(project.get("key", "")).lower()
                and text not in str(project.get("name", "")).lower()
            ):
                continue
            if type_key and project.get("projectTypeKey") != type_key:
                continue
            projects.append(project)
        order = (request.param("orderBy") or "key").strip()
        descending = order.startswith("-")
        order_field = "name" if order.lstrip("+-") == "name" else "key"
        projects.sort(key=lambda project: str(project.get(order_field, "")).lower(), reverse=descending)
        page = projects[start_at : start_at + max_results]
        total = len(projects)
        is_last = start_at + len(page) >= total
        result: dict[str, Any] = {
            "self": page_url(call, "project/search", {"startAt": start_at, "maxResults": max_results}),
            "maxResults": max_results,
            "startAt": start_at,
            "total": total,
            "isLast": is_last,
            "values": [self._render_project(call, project, expand) for project in page],
        }
        if not is_last:
            result["nextPage"] = page_url(
                call, "project/search", {"startAt": start_at + len(page), "maxResults": max_results}
            )
        return result

    def _project_list(self, call: Call) -> list[dict[str, Any]]:
        expand = comma_values(call.request.params("expand"))
        rows = call.db.execute("select body from jira_project order by key")
        projects = [self._render_project(call, call.load(body), expand) for (body,) in rows]
        return [project for project in projects if not project.get("archived") and not project.get("deleted")]

    def _project(self, call: Call, id_or_key: str) -> dict[str, Any]:
        project = find_project(call, id_or_key)
        return self._render_project(call, project, comma_values(call.request.params("expand")))

    def _users(self, call: Call) -> list[dict[str, Any]]:
        start_at = int_param(call.request, "startAt", 0, minimum=0)
        max_results = min(int_param(call.request, "maxResults", 50, minimum=1), 1000)
        rows = call.db.execute(
            "select body from jira_user order by account_id limit ? offset ?", (max_results, start_at)
        )
        users = []
        for (body,) in rows:
            user = call.load(body)
            user["self"] = call.api(f"user?accountId={user['accountId']}")
            users.append(user)
        return users

    # -- issues ---------------------------------------------------------------------------------

    def _hidden_fields(self, call: Call) -> frozenset[str]:
        fields = static(call, "fields", [])
        return frozenset(str(f["id"]) for f in fields if isinstance(f, dict) and f.get("navigable") is False)

    def _render_issue(
        self, call: Call, issue_id: int, key: str, body: str | None, selection: FieldSelection, hidden: frozenset[str]
    ) -> dict[str, Any]:
        if selection.id_only:
            return {"id": str(issue_id)}
        fields: dict[str, Any] = {}
        if body is not None:
            issue = call.load(body)
            key = issue.get("key", key)
            fields = selection.pick(issue.get("fields", {}), hidden)
            for name in JIRA_DATETIME_FIELDS["issue"]:
                if isinstance(fields.get(name), int):
                    fields[name] = call.instant(fields[name])
            if call.version == "2":
                for name in RICH_TEXT_FIELDS:
                    if isinstance(fields.get(name), dict):
                        fields[name] = adf_text(fields[name])
        return {
            "expand": ISSUE_EXPAND,
            "id": str(issue_id),
            "self": call.api(f"issue/{issue_id}"),
            "key": key,
            "fields": fields,
        }

    def _search(self, call: Call, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("jql") or ""
        query = jql.parse(text)
        if query.where is None:
            raise ApiError(400, UNBOUNDED_JQL_MESSAGE)
        where, args = self.compile_jql(call, query.where)
        columns = jql.sort_columns(query.order_by)
        selection = FieldSelection.parse(params.get("fields") or [], "id")
        cap = MAX_ID_ONLY_SEARCH_RESULTS if selection.keys_only else MAX_SEARCH_RESULTS
        max_results = bounded_int(params.get("maxResults"), DEFAULT_SEARCH_RESULTS, "maxResults")
        max_results = max(1, min(max_results, cap))
        fingerprint = hashlib.sha256(text.encode()).hexdigest()[:16]
        token = params.get("nextPageToken")
        if token:
            after = _decode_token(token, fingerprint, len(columns))
            keyset, keyset_args = _keyset(columns, after)
            where = f"({where}) AND {keyset}"
            args += keyset_args
        sort_names = [name for name, _ in columns]
        order = ", ".join(f"{name} {'DESC' if descending else 'ASC'}" for name, descending in columns)
        body_column = "null" if selection.keys_only else "body"
        rows = call.db.execute(
            f"select {', '.join(sort_names)}, id, key, {body_column} from jira_issue "
            f"where {where} order by {order} limit ?",
            [*args, max_results + 1],
        ).fetchall()
        page = rows[:max_results]
        hidden = self._hidden_fields(call) if selection.navigable else frozenset()
        width = len(sort_names)
        issues = [
            self._render_issue(call, row[width], row[width + 1], row[width + 2], selection, hidden) for row in page
        ]
        jira_issue_parts.decorate(call, issues, selection, params.get("expand") or set())
        result: dict[str, Any] = {"issues": issues}
        if len(rows) > max_results:
            result["nextPageToken"] = _encode_token(fingerprint, list(page[-1][:width]))
        result["isLast"] = len(rows) <= max_results
        return result

    def _issue(self, call: Call, id_or_key: str) -> dict[str, Any]:
        issue_id, key, body = find_issue(call, id_or_key)
        selection = FieldSelection.parse(call.request.params("fields"), "*all")
        hidden = self._hidden_fields(call) if selection.navigable else frozenset()
        if selection.id_only:
            selection = FieldSelection(False, False, frozenset({"id", "key"}), frozenset())
        issue = self._render_issue(call, issue_id, key, body, selection, hidden)
        jira_issue_parts.decorate(call, [issue], selection, jira_issue_parts.expand_values(call))
        return issue

    def compile_jql(self, call: Call, where: Any) -> tuple[str, list[Any]]:
        """The SQL condition of a parsed JQL WHERE on ``jira_issue``, projects resolved as Jira does."""
        projects = {
            key: (key, str(project_id), name)
            for key, project_id, name in call.db.execute(
                "select key, id, json_extract(body, '$.name') from jira_project"
            )
        }
        context = jql.JqlContext(timezone=call.zone, now=call.now, resolve_project=_project_resolver(projects))
        return jql.compile_where(where, context)

    def render_issues(
        self, call: Call, rows: list[tuple[int, str, str]], selection: FieldSelection, expand: set[str]
    ) -> list[dict[str, Any]]:
        """Issues from (id, key, stored body) rows, completed as Jira completes them (the Agile API's lists)."""
        hidden = self._hidden_fields(call) if selection.navigable else frozenset()
        issues = [self._render_issue(call, issue_id, key, body, selection, hidden) for issue_id, key, body in rows]
        jira_issue_parts.decorate(call, issues, selection, expand)
        return issues

    # -- worklogs -------------------------------------------------------------------------------

    def _worklog_changes(self, call: Call, kind: str) -> dict[str, Any]:
        since = int_param(call.request, "since", 0, minimum=None)
        cutoff = call.now_ms - WORKLOG_QUIET_MS
        if kind == "updated":
            sql = (
                "select id, updated_ms from jira_worklog where updated_ms >= ? and updated_ms <= ? "
                "order by updated_ms, id limit ?"
            )
        else:
            sql = (
                "select id, deleted_ms from jira_worklog_deleted where deleted_ms >= ? and deleted_ms <= ? "
                "order by deleted_ms, id limit ?"
            )
        rows = call.db.execute(sql, (since, cutoff, self.worklog_page_size + 1)).fetchall()
        page = rows[: self.worklog_page_size]
        until = page[-1][1] if page else since
        return {
            "values": [
                {"worklogId": worklog_id, "updatedTime": moment, "properties": []} for worklog_id, moment in page
            ],
            "since": since,
            "until": until,
            "self": call.api(f"worklog/{kind}?since={since}"),
            "nextPage": call.api(f"worklog/{kind}?since={until}"),
            "lastPage": len(rows) <= self.worklog_page_size,
        }

    def _worklog_list(self, call: Call) -> list[dict[str, Any]]:
        body = json_body(call.request)
        ids = body.get("ids") if isinstance(body, dict) else None
        if not isinstance(ids, list):
            raise ApiError(400, "The request must contain a list of worklog IDs in 'ids'.")
        if len(ids) > MAX_BULK_IDS:
            raise ApiError(400, f"The number of worklog IDs must not exceed {MAX_BULK_IDS}.")
        try:
            wanted = sorted({int(worklog_id) for worklog_id in ids})
        except (TypeError, ValueError) as exc:
            raise ApiError(400, "Worklog IDs must be numbers.") from exc
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        rows = call.db.execute(f"select body from jira_worklog where id in ({marks}) order by id", wanted)
        return [render_worklog(call, body) for (body,) in rows]

    def _issue_worklogs(self, call: Call, id_or_key: str) -> dict[str, Any]:
        issue_id, _, _ = find_issue(call, id_or_key)
        request = call.request
        start_at = int_param(request, "startAt", 0, minimum=0)
        max_results = min(
            int_param(request, "maxResults", MAX_ISSUE_WORKLOG_RESULTS, minimum=1), MAX_ISSUE_WORKLOG_RESULTS
        )
        conditions = ["issue_id = ?"]
        args: list[Any] = [issue_id]
        started_after = request.param("startedAfter")
        started_before = request.param("startedBefore")
        if started_after:
            conditions.append("json_extract(body, '$.started') >= ?")
            args.append(int_param(request, "startedAfter", 0, minimum=None))
        if started_before:
            conditions.append("json_extract(body, '$.started') < ?")
            args.append(int_param(request, "startedBefore", 0, minimum=None))
        where = " and ".join(conditions)
        total = call.db.execute(f"select count(*) from jira_worklog where {where}", args).fetchone()[0]
        rows = call.db.execute(
            f"select body from jira_worklog where {where} "
            "order by json_extract(body, '$.created'), id limit ? offset ?",
            [*args, max_results, start_at],
        )
        worklogs = [render_worklog(call, body) for (body,) in rows]
        return {"startAt": start_at, "maxResults": max_results, "total": total, "worklogs": worklogs}

    # -- changelogs -----------------------------------------------------------------------------

    def _issue_changelog(self, call: Call, id_or_key: str) -> dict[str, Any]:
        issue_id, key, _ = find_issue(call, id_or_key)
        start_at = int_param(call.request, "startAt", 0, minimum=0)
        max_results = min(int_param(call.request, "maxResults", 100, minimum=1), 100)
        # Status histories and Sprint histories are stored apart; Jira shows them as one changelog.
        total = call.db.execute(
            "select (select count(*) from jira_changelog where issue_id = ?) "
            "+ (select count(*) from jira_sprint_history where issue_id = ?)",
            (issue_id, issue_id),
        ).fetchone()[0]
        rows = call.db.execute(
            "select body from (select created_ms, id, body from jira_changelog where issue_id = ? "
            "union all select created_ms, id, body from jira_sprint_history where issue_id = ?) "
            "order by created_ms, id limit ? offset ?",
            (issue_id, issue_id, max_results, start_at),
        )
        values = [render_history(call, body, set()) for (body,) in rows]
        return page_bean(call, f"issue/{id_or_key}/changelog", start_at, max_results, total, values)

    def _changelog_bulkfetch(self, call: Call) -> dict[str, Any]:
        body = json_body(call.request)
        if not isinstance(body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        wanted = body.get("issueIdsOrKeys")
        if not isinstance(wanted, list) or not wanted:
            raise ApiError(400, "issueIdsOrKeys must contain between 1 and 1000 issue IDs or keys.")
        if len(wanted) > MAX_BULK_IDS:
            raise ApiError(400, "issueIdsOrKeys must contain between 1 and 1000 issue IDs or keys.")
        field_ids = body.get("fieldIds") or []
        if not isinstance(field_ids, list) or len(field_ids) > 10:
            raise ApiError(400, "fieldIds must be a list of at most 10 field IDs.")
        max_results = bounded_int(body.get("maxResults"), 1000, "maxResults")
        max_results = max(1, min(max_results, 10000))
        ids = [int(v) for v in wanted if str(v).isdigit()]
        keys = [str(v).upper() for v in wanted if not str(v).isdigit()]
        issue_ids: set[int] = set()
        if ids:
            marks = ", ".join("?" * len(ids))
            issue_ids.update(row[0] for row in call.db.execute(f"select id from jira_issue where id in ({marks})", ids))
        if keys:
            marks = ", ".join("?" * len(keys))
            issue_ids.update(
                row[0] for row in call.db.execute(f"select id from jira_issue where key in ({marks})", keys)
            )
        if not issue_ids:
            return {"issueChangeLogs": []}
        conditions = [f"issue_id in ({', '.join('?' * len(issue_ids))})"]
        args: list[Any] = sorted(issue_ids)
        wanted_fields = {str(f) for f in field_ids}
        if wanted_fields:
            marks = ", ".join("?" * len(wanted_fields))
            conditions.append(
                f"exists (select 1 from json_each(body, '$.items') where json_extract(value, '$.fieldId') in ({marks}))"
            )
            args += sorted(wanted_fields)
        columns = [("created_ms", False), ("issue_id", False), ("id", False)]
        token = body.get("nextPageToken")
        fingerprint = hashlib.sha256(json.dumps([sorted(issue_ids), sorted(wanted_fields)]).encode()).hexdigest()[:16]
        if token:
            keyset, keyset_args = _keyset(columns, _decode_token(str(token), fingerprint, 3))
            conditions.append(keyset)
            args += keyset_args
        # Sprint histories are stored apart from the status ones: read them too unless the caller
        # asked only for other fields (the warehouse asks for status alone, and reads one table).
        source = "jira_changelog"
        if not wanted_fields or SPRINT_FIELD_ID in wanted_fields:
            source = (
                "(select created_ms, issue_id, id, body from jira_changelog "
                "union all select created_ms, issue_id, id, body from jira_sprint_history)"
            )
        rows = call.db.execute(
            f"select created_ms, issue_id, id, body from {source} where {' and '.join(conditions)} "
            "order by created_ms, issue_id, id limit ?",
            [*args, max_results + 1],
        ).fetchall()
        page = rows[:max_results]
        grouped: dict[int, list[dict[str, Any]]] = {}
        for _, issue_id, _, history_body in page:
            history = render_history(call, history_body, wanted_fields)
            if history is not None:
                grouped.setdefault(issue_id, []).append(history)
        result: dict[str, Any] = {
            "issueChangeLogs": [
                {"issueId": str(issue_id), "changeHistories": histories} for issue_id, histories in grouped.items()
            ]
        }
        if len(rows) > max_results:
            result["nextPageToken"] = _encode_token(fingerprint, list(page[-1][:3]))
        return result


# -- helpers shared by the endpoints -------------------------------------------------------------


def _split_api_path(path: str) -> tuple[str, str | None]:
    for prefix, version in (("/rest/api/3/", "3"), ("/rest/api/2/", "2"), ("/rest/api/latest/", "3")):
        if path.startswith(prefix):
            return version, path[len(prefix) :].rstrip("/")
    return "3", None


# Every path the simulated site serves ("*" is one path segment): another method on one of them is
# a 405, as on Jira; any other path is a 404.
_KNOWN_ROUTES = (
    "myself",
    "serverInfo",
    "status",
    "field",
    "issueLinkType",
    "project/search",
    "project",
    "project/*",
    "project/*/version",
    "project/*/versions",
    "project/*/component",
    "project/*/components",
    "version/*",
    "user",
    "user/search",
    "users/search",
    "group/bulk",
    "group/member",
    "search/jql",
    "worklog/updated",
    "worklog/deleted",
    "worklog/list",
    "changelog/bulkfetch",
    "issue/*",
    "issue/*/worklog",
    "issue/*/changelog",
    "issue/*/comment",
    "issue/*/comment/*",
    "issue/*/properties",
    "issue/*/properties/*",
    "issue/*/transitions",
)


def _known_route(route: str) -> bool:
    parts = route.split("/")
    return any(
        len(pattern) == len(parts) and all(p == "*" or p == part for p, part in zip(pattern, parts))
        for pattern in (known.split("/") for known in _KNOWN_ROUTES)
    )


def _project_resolver(projects: dict[str, tuple[str, str, str]]):
    by_id = {project_id: key for key, project_id, _ in projects.values()}
    by_name = {str(name).lower(): key for key, _, name in projects.values() if name}

    def resolve(value: str) -> str | None:
        return (value.upper() if value.upper() in projects else None) or by_id.get(value) or by_name.get(value.lower())

    return resolve


def _search_params_from_query(request: Request) -> dict[str, Any]:
    return {
        "jql": request.param("jql"),
        "nextPageToken": request.param("nextPageToken"),
        "maxResults": request.param("maxResults"),
        "fields": request.params("fields"),
        "expand": comma_values(request.params("expand")),
    }


def _search_params_from_body(request: Request) -> dict[str, Any]:
    body = json_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    fields = body.get("fields")
    return {
        "jql": body.get("jql"),
        "nextPageToken": body.get("nextPageToken"),
        "maxResults": body.get("maxResults"),
        "fields": fields if isinstance(fields, list) else [fields] if fields else [],
        "expand": comma_values([body["expand"]] if isinstance(body.get("expand"), str) else body.get("expand") or []),
    }


def _encode_token(fingerprint: str, position: list[Any]) -> str:
    raw = json.dumps([fingerprint, position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(token: str, fingerprint: str, width: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        token_fingerprint, position = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ApiError(400, "The provided next page token is invalid or expired.") from exc
    if token_fingerprint != fingerprint or not isinstance(position, list) or len(position) != width:
        raise ApiError(400, "The provided next page token is invalid or expired.")
    return position


def _keyset(columns: list[tuple[str, bool]], after: list[Any]) -> tuple[str, list[Any]]:
    """Rows strictly after ``after`` in the order of ``columns`` (keyset paging survives inserts)."""
    branches: list[str] = []
    args: list[Any] = []
    for i, (name, descending) in enumerate(columns):
        equal = [f"{column} = ?" for column, _ in columns[:i]]
        branches.append("(" + " AND ".join([*equal, f"{name} {'<' if descending else '>'} ?"]) + ")")
        args += [*after[:i], after[i]]
    first, first_descending = columns[0]
    # The redundant bound on the first column lets SQLite use an index range instead of a scan.
    bound = f"{first} {'<=' if first_descending else '>='} ?"
    return f"({bound} AND ({' OR '.join(branches)}))", [after[0], *args]
