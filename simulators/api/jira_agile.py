"""The Jira Software Agile API of the simulated site (``/rest/agile/1.0/...``): boards, sprints, their issues.

Answers as Jira Software Cloud does, with the platform API's authentication, faults and error body:

- ``/board`` pages boards (``startAt``, ``maxResults`` at most 50) with ``total`` and ``isLast``,
  filtered by ``type`` (scrum, kanban), ``name`` (contains) and ``projectKeyOrId``; every project has
  one board, scrum when it runs sprints. ``/board/{id}`` is one board.
- ``/board/{id}/sprint`` pages a scrum board's sprints oldest first, optionally by ``state``
  (future, active, closed); like Jira the page has ``isLast`` but no ``total``, and a kanban board
  answers 400 "The board does not support sprints". ``/sprint/{id}`` is one sprint. Sprint dates
  are UTC (``2026-06-29T00:00:00.000Z``), as the Agile API writes them.
- ``/board/{id}/issue`` (the board's project) and ``/sprint/{id}/issue`` (every issue the sprint has
  held, as Jira keeps closed sprints in an issue's Sprint field) page issues by ``startAt`` like the
  old search (``total``, at most 100 a page), narrowed by an optional ``jql`` and shaped by
  ``fields`` (all navigable fields by default) and ``expand``; issues are rendered as REST v2 does
  and carry the Agile fields ``sprint``, ``closedSprints`` and ``flagged``.
- ``/board/{id}/version`` pages the versions of the board's project, release dates as UTC instants.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from simulators.api import jql
from simulators.api.jira_common import (
    ApiError,
    Call,
    FieldSelection,
    comma_values,
    find_issue,
    int_param,
)
from simulators.api.jira_issue_parts import current_sprints, expand_values
from simulators.world.store import SPRINT_FIELD_ID

if TYPE_CHECKING:
    from simulators.api.jira_api import JiraApp

PREFIXES = ("/rest/agile/1.0/", "/rest/agile/latest/")
BOARD_NOT_FOUND = "Board does not exist or you do not have permission to see it."
SPRINT_NOT_FOUND = (
    "The requested sprint cannot be viewed because it either does not exist or you do not have permission to view it."
)
NO_SPRINTS = "The board does not support sprints"
SPRINT_STATES = ("future", "active", "closed")
MAX_PAGE = 50
MAX_ISSUE_PAGE = 100
AGILE_FIELDS = ("sprint", "closedSprints", "flagged")
KNOWN = (
    "board",
    "board/*",
    "board/*/sprint",
    "board/*/issue",
    "board/*/version",
    "sprint/*",
    "sprint/*/issue",
    "issue/*",
)


def split_path(path: str) -> list[str] | None:
    """The path segments after ``/rest/agile/1.0/``, or None for a path outside the Agile API."""
    for prefix in PREFIXES:
        if path.startswith(prefix):
            return [part for part in path[len(prefix) :].split("/") if part]
    return None


def route(app: JiraApp, call: Call, parts: list[str]) -> Any:
    """Answer one Agile API request (405 for another method on a known path, 404 otherwise)."""
    method = call.request.method
    shape = "/".join(part if index % 2 == 0 else "*" for index, part in enumerate(parts))
    if method in ("GET", "HEAD"):
        if shape == "board":
            return boards(call)
        if shape == "board/*":
            return _board_row(call, parts[1])[0]
        if shape == "board/*/sprint":
            return board_sprints(call, parts[1])
        if shape == "board/*/issue":
            board, _, _ = _board_row(call, parts[1])
            key = board["location"]["projectKey"]
            return issues(app, call, "project_key = ?", [key], path=f"board/{parts[1]}/issue")
        if shape == "board/*/version":
            return board_versions(call, parts[1])
        if shape == "sprint/*":
            return sprint(call, parts[1])
        if shape == "sprint/*/issue":
            sprint(call, parts[1])
            return issues(
                app,
                call,
                "id in (select issue_id from jira_issue_sprint where sprint_id = ?)",
                [int(parts[1])],
                path=f"sprint/{parts[1]}/issue",
            )
        if shape == "issue/*":
            issue_id, key, body = find_issue(call, parts[1])
            return _agile_issue(app, call, [(issue_id, key, body)], FieldSelection.parse([], "*navigable"))[0]
    path = "/rest/agile/1.0/" + "/".join(parts)
    if shape in KNOWN:
        raise ApiError(405, f"Method {method} is not allowed for {path}")
    raise ApiError(404, f"No resource found for {method} {path}")


def _page(start_at: int, max_results: int, values: list[Any], total: int | None) -> dict[str, Any]:
    """The Agile API's page: maxResults, startAt, total (when the list has one), isLast, values."""
    result: dict[str, Any] = {"maxResults": max_results, "startAt": start_at}
    if total is not None:
        result["total"] = total
        result["isLast"] = start_at + len(values) >= total
    else:
        result["isLast"] = len(values) < max_results
    result["values"] = values
    return result


def _board_row(call: Call, board_id: str) -> tuple[dict[str, Any], str, str]:
    row = (
        call.db.execute("select body, type, project_id from jira_board where id = ?", (int(board_id),)).fetchone()
        if board_id.isdigit()
        else None
    )
    if row is None:
        raise ApiError(404, BOARD_NOT_FOUND)
    return call.load(row[0]), row[1], row[2]


def boards(call: Call) -> dict[str, Any]:
    """``/board``."""
    request = call.request
    types = comma_values(request.params("type"))
    name = (request.param("name") or "").lower()
    project = (request.param("projectKeyOrId") or "").strip()
    found = []
    for (body,) in call.db.execute("select body from jira_board order by id"):
        board = call.load(body)
        location = board["location"]
        if types and board["type"] not in types:
            continue
        if name and name not in board["name"].lower():
            continue
        if project and project.upper() != location["projectKey"] and project != str(location["projectId"]):
            continue
        found.append(board)
    order = (request.param("orderBy") or "").strip()
    if order.lstrip("+-") in ("name", "type"):
        found.sort(key=lambda b: str(b[order.lstrip("+-")]).lower(), reverse=order.startswith("-"))
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", MAX_PAGE, minimum=1), MAX_PAGE)
    return _page(start_at, max_results, found[start_at : start_at + max_results], len(found))


def board_sprints(call: Call, board_id: str) -> dict[str, Any]:
    """``/board/{id}/sprint``."""
    _, kind, _ = _board_row(call, board_id)
    if kind != "scrum":
        raise ApiError(400, NO_SPRINTS)
    request = call.request
    states = comma_values(request.params("state"))
    unknown = sorted(states - set(SPRINT_STATES))
    if unknown:
        raise ApiError(400, f"The sprint state '{unknown[0]}' is not valid. Valid states: future, active, closed.")
    conditions, args = ["board_id = ?"], [int(board_id)]
    if states:
        conditions.append(f"state in ({', '.join('?' * len(states))})")
        args += sorted(states)
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", MAX_PAGE, minimum=1), MAX_PAGE)
    rows = call.db.execute(
        f"select body from jira_sprint where {' and '.join(conditions)} order by sequence limit ? offset ?",
        [*args, max_results, start_at],
    )
    return _page(start_at, max_results, [call.load(body) for (body,) in rows], None)


def sprint(call: Call, sprint_id: str) -> dict[str, Any]:
    """``/sprint/{id}``."""
    row = (
        call.db.execute("select body from jira_sprint where id = ?", (int(sprint_id),)).fetchone()
        if sprint_id.isdigit()
        else None
    )
    if row is None:
        raise ApiError(404, SPRINT_NOT_FOUND)
    return call.load(row[0])


def board_versions(call: Call, board_id: str) -> dict[str, Any]:
    """``/board/{id}/version``: the board project's versions, oldest first."""
    _, _, project_id = _board_row(call, board_id)
    request = call.request
    released = (request.param("released") or "").lower()
    values = []
    for (body,) in call.db.execute(
        "select body from jira_version where project_id = ? order by sequence, id", (project_id,)
    ):
        version = json.loads(body)
        if released in ("true", "false") and version["released"] != (released == "true"):
            continue
        shown: dict[str, Any] = {
            "self": call.base + f"/rest/api/2/version/{version['id']}",
            "id": int(version["id"]),
            "projectId": int(project_id),
            "name": version["name"],
            "description": version.get("description", ""),
            "archived": version["archived"],
            "released": version["released"],
        }
        if version.get("releaseDate"):
            shown["releaseDate"] = f"{version['releaseDate']}T00:00:00.000Z"
        values.append(shown)
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", MAX_PAGE, minimum=1), MAX_PAGE)
    return _page(start_at, max_results, values[start_at : start_at + max_results], None)


def issues(app: JiraApp, call: Call, scope: str, scope_args: list[Any], *, path: str) -> dict[str, Any]:
    """A board's or a sprint's issues, paged by ``startAt``, narrowed by an optional ``jql``."""
    request = call.request
    conditions, args = [scope], list(scope_args)
    query = jql.parse(request.param("jql") or "")
    if query.where is not None:
        where, where_args = app.compile_jql(call, query.where)
        conditions.append(f"({where})")
        args += where_args
    columns = jql.sort_columns(query.order_by) if query.order_by else [("project_key", False), ("key_num", False)]
    order = ", ".join(f"{name} {'DESC' if descending else 'ASC'}" for name, descending in columns)
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", MAX_PAGE, minimum=1), MAX_ISSUE_PAGE)
    where_sql = " and ".join(conditions)
    total = call.db.execute(f"select count(*) from jira_issue where {where_sql}", args).fetchone()[0]
    rows = call.db.execute(
        f"select id, key, body from jira_issue where {where_sql} order by {order}, id limit ? offset ?",
        [*args, max_results, start_at],
    ).fetchall()
    selection = FieldSelection.parse(request.params("fields"), "*navigable")
    return {
        "expand": "schema,names",
        "startAt": start_at,
        "maxResults": max_results,
        "total": total,
        "issues": _agile_issue(app, call, rows, selection),
    }


def _agile_issue(
    app: JiraApp, call: Call, rows: list[tuple[int, str, str]], selection: FieldSelection
) -> list[dict[str, Any]]:
    """Issues as the Agile API shows them: REST v2 fields plus the sprint the issue is in now, the
    closed sprints it was in, and whether it is flagged."""
    rendered = app.render_issues(call, rows, selection, expand_values(call))
    wanted = [
        name
        for name in AGILE_FIELDS
        if (selection.everything or selection.navigable or name in selection.named) and name not in selection.excluded
    ]
    for issue, (_, _, body) in zip(rendered, rows, strict=True):
        issue["self"] = call.agile(f"issue/{issue['id']}")
        if not wanted or "fields" not in issue:
            continue
        refs = json.loads(body)["fields"].get(SPRINT_FIELD_ID) or []
        sprints = current_sprints(call, {int(ref["id"]) for ref in refs})
        ordered = [sprints.get(int(ref["id"]), ref) for ref in refs]
        extra = {
            "sprint": next((_sprint_bean(s) for s in ordered if s["state"] != "closed"), None),
            "closedSprints": [_sprint_bean(s) for s in ordered if s["state"] == "closed"],
            "flagged": False,
        }
        for name in wanted:
            issue["fields"][name] = extra[name]
    return rendered


def _sprint_bean(ref: dict[str, Any]) -> dict[str, Any]:
    bean = {key: ref[key] for key in ("id", "name", "state", "startDate", "endDate", "completeDate") if key in ref}
    bean["originBoardId"] = ref.get("boardId")
    bean["goal"] = ref.get("goal", "")
    return bean
