"""An issue's comments, properties and transitions, and what Jira fills into an issue when it is read.

- ``/issue/{idOrKey}/comment`` pages comments oldest first (``startAt``, ``maxResults`` default 100,
  ``orderBy`` created / -created, anything else 400; ``expand=renderedBody``); REST v3 answers the
  body as Atlassian Document Format, REST v2 (and so tap-jira and the ``jira`` library) as its plain
  text. ``/issue/{idOrKey}/comment/{id}`` is one comment.
- ``/issue/{idOrKey}/properties`` lists property keys: the simulated site sets none.
- ``/issue/{idOrKey}/transitions``: the site's simplified workflow lets an issue move to any other
  status (global transitions).
- ``decorate`` completes rendered issues the way Jira does at read time: ``fixVersions`` and the
  Sprint field show the versions' and sprints' current state (a sprint closing or a version being
  released changes no issue), the ``comment`` and ``worklog`` fields (asked for by name or with
  ``*all``; Jira embeds at most 20 worklogs) and ``expand=changelog`` (status and Sprint histories
  together, at most 100) and ``expand=transitions``.
"""

from __future__ import annotations

import html
from typing import Any

from simulators.api.jira_common import (
    ApiError,
    Call,
    FieldSelection,
    adf_text,
    comma_values,
    find_issue,
    int_param,
    render_history,
    render_user,
    render_worklog,
    static,
)
from simulators.api.jira_projects import current_versions
from simulators.world.jira_extras import sprint_ref
from simulators.world.store import JIRA_DATETIME_FIELDS, SPRINT_FIELD_ID

MAX_COMMENTS = 5000
EMBEDDED_WORKLOGS = 20  # the issue's worklog field holds the first 20, as on Jira
EMBEDDED_HISTORIES = 100
COMMENT_ORDERS = {"created": False, "+created": False, "-created": True}
# Both tables hold changelog histories of the same shape: status changes and Sprint changes.
HISTORIES = (
    "select issue_id, created_ms, id, body from jira_changelog where issue_id in ({marks}) "
    "union all select issue_id, created_ms, id, body from jira_sprint_history where issue_id in ({marks}) "
    "order by 1, 2, 3"
)


def adf_html(node: Any) -> str:
    """A simple HTML rendering of an ADF body (``renderedBody``): paragraphs and bullet lists."""
    if isinstance(node, dict):
        kind = node.get("type")
        if kind == "text":
            return html.escape(str(node.get("text", "")))
        inner = "".join(adf_html(child) for child in node.get("content", []))
        return {"paragraph": f"<p>{inner}</p>", "bulletList": f"<ul>{inner}</ul>", "listItem": f"<li>{inner}</li>"}.get(
            str(kind), inner
        )
    if isinstance(node, list):
        return "".join(adf_html(child) for child in node)
    return ""


def issue_id_of(comment: dict[str, Any]) -> str:
    """The issue id a stored comment's ``self`` link names (``.../issue/10001/comment/10042``)."""
    return str(comment.get("self", "")).split("/issue/", 1)[-1].split("/", 1)[0]


def render_comment(call: Call, body: str, expand: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """A stored comment as the API version shows it (ADF in v3, plain text in v2)."""
    comment = call.load(body)
    comment["self"] = call.api(f"issue/{issue_id_of(comment)}/comment/{comment['id']}")
    for name in JIRA_DATETIME_FIELDS["comment"]:
        if isinstance(comment.get(name), int):
            comment[name] = call.instant(comment[name])
    for role in ("author", "updateAuthor"):
        if isinstance(comment.get(role), dict):
            comment[role] = render_user(call, comment[role])
    adf = comment.get("body")
    if "renderedBody" in expand:
        comment["renderedBody"] = adf_html(adf)
    if call.version == "2" and isinstance(adf, dict):
        comment["body"] = adf_text(adf)
    return comment


def comments(call: Call, id_or_key: str) -> dict[str, Any]:
    """``/issue/{idOrKey}/comment``: one page of the issue's comments."""
    issue_id, _, _ = find_issue(call, id_or_key)
    request = call.request
    order = request.param("orderBy") or "created"
    if order not in COMMENT_ORDERS:
        raise ApiError(400, f"Invalid orderBy value '{order}': comments can only be ordered by created.")
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", 100, minimum=0), MAX_COMMENTS)
    expand = comma_values(request.params("expand"))
    total = call.db.execute("select count(*) from jira_comment where issue_id = ?", (issue_id,)).fetchone()[0]
    direction = "desc" if COMMENT_ORDERS[order] else "asc"
    rows = call.db.execute(
        f"select body from jira_comment where issue_id = ? order by created_ms {direction}, id {direction} "
        "limit ? offset ?",
        (issue_id, max_results, start_at),
    )
    page = [render_comment(call, body, expand) for (body,) in rows]
    return {"startAt": start_at, "maxResults": max_results, "total": total, "comments": page}


def comment(call: Call, id_or_key: str, comment_id: str) -> dict[str, Any]:
    """``/issue/{idOrKey}/comment/{id}``."""
    issue_id, _, _ = find_issue(call, id_or_key)
    row = (
        call.db.execute(
            "select body from jira_comment where id = ? and issue_id = ?", (int(comment_id), issue_id)
        ).fetchone()
        if comment_id.isdigit()
        else None
    )
    if row is None:
        raise ApiError(404, "Can not find a comment for the id: " + comment_id + ".")
    return render_comment(call, row[0], comma_values(call.request.params("expand")))


def properties(call: Call, id_or_key: str) -> dict[str, Any]:
    """``/issue/{idOrKey}/properties``: no app of the simulated site stores issue properties."""
    find_issue(call, id_or_key)
    return {"keys": []}


def issue_property(call: Call, id_or_key: str, key: str) -> dict[str, Any]:
    """``/issue/{idOrKey}/properties/{key}``: never set, so 404 as Jira answers."""
    find_issue(call, id_or_key)
    raise ApiError(404, f"The property with key '{key}' does not exist.")


def _transitions(call: Call, status_name: str) -> list[dict[str, Any]]:
    statuses = static(call, "statuses", [])
    return [
        {
            "id": str(11 + 10 * index),
            "name": status["name"],
            "to": status,
            "hasScreen": False,
            "isGlobal": True,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }
        for index, status in enumerate(statuses)
        if status["name"] != status_name
    ]


def transitions(call: Call, id_or_key: str) -> dict[str, Any]:
    """``/issue/{idOrKey}/transitions``: a move to every other status."""
    _, _, body = find_issue(call, id_or_key)
    status = call.load(body)["fields"].get("status") or {}
    return {"expand": "transitions", "transitions": _transitions(call, str(status.get("name", "")))}


def _wants(selection: FieldSelection, name: str) -> bool:
    return (selection.everything or name in selection.named) and name not in selection.excluded


def current_sprints(call: Call, ids: set[int]) -> dict[int, dict[str, Any]]:
    """The sprints with these ids as an issue's Sprint field shows them now."""
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    found = {}
    for (body,) in call.db.execute(f"select body from jira_sprint where id in ({marks})", sorted(ids)):
        sprint = call.load(body)
        found[sprint["id"]] = sprint_ref(sprint)
    return found


def decorate(call: Call, issues: list[dict[str, Any]], selection: FieldSelection, expand: set[str]) -> None:
    """Complete rendered issues (in place) with what Jira works out when an issue is read."""
    issues = [issue for issue in issues if "fields" in issue]
    if not issues:
        return
    version_ids = {
        str(v.get("id")) for i in issues for v in i["fields"].get("fixVersions") or [] if isinstance(v, dict)
    }
    versions = current_versions(call, version_ids)
    sprint_ids = {int(s["id"]) for i in issues for s in i["fields"].get(SPRINT_FIELD_ID) or [] if isinstance(s, dict)}
    sprints = current_sprints(call, sprint_ids)
    for issue in issues:
        fields = issue["fields"]
        if fields.get("fixVersions"):
            fields["fixVersions"] = [versions.get(str(v.get("id")), v) for v in fields["fixVersions"]]
        if fields.get(SPRINT_FIELD_ID):
            fields[SPRINT_FIELD_ID] = [sprints.get(int(s["id"]), s) for s in fields[SPRINT_FIELD_ID]]
    ids = [int(issue["id"]) for issue in issues]
    marks = ", ".join("?" * len(ids))
    if _wants(selection, "comment"):
        grouped: dict[int, list[dict[str, Any]]] = {}
        for issue_id, body in call.db.execute(
            f"select issue_id, body from jira_comment where issue_id in ({marks}) order by issue_id, created_ms, id",
            ids,
        ):
            grouped.setdefault(issue_id, []).append(render_comment(call, body))
        for issue in issues:
            found = grouped.get(int(issue["id"]), [])
            issue["fields"]["comment"] = {
                "comments": found,
                "self": call.api(f"issue/{issue['id']}/comment"),
                "maxResults": len(found),
                "total": len(found),
                "startAt": 0,
            }
    if _wants(selection, "worklog"):
        logs: dict[int, list[str]] = {}
        for issue_id, body in call.db.execute(
            f"select issue_id, body from jira_worklog where issue_id in ({marks}) "
            "order by issue_id, json_extract(body, '$.created'), id",
            ids,
        ):
            logs.setdefault(issue_id, []).append(body)
        for issue in issues:
            found_logs = logs.get(int(issue["id"]), [])
            issue["fields"]["worklog"] = {
                "startAt": 0,
                "maxResults": EMBEDDED_WORKLOGS,
                "total": len(found_logs),
                "worklogs": [render_worklog(call, body) for body in found_logs[:EMBEDDED_WORKLOGS]],
            }
    if "changelog" in expand:
        histories: dict[int, list[str]] = {}
        for issue_id, _, _, body in call.db.execute(HISTORIES.format(marks=marks), [*ids, *ids]):
            histories.setdefault(issue_id, []).append(body)
        for issue in issues:
            found_histories = histories.get(int(issue["id"]), [])
            shown = [render_history(call, body) for body in found_histories[:EMBEDDED_HISTORIES]]
            issue["changelog"] = {
                "startAt": 0,
                "maxResults": len(shown),
                "total": len(found_histories),
                "histories": shown,
            }
    if "transitions" in expand:
        for issue in issues:
            status = issue["fields"].get("status")
            if status is None:
                row = call.db.execute(
                    "select json_extract(body, '$.fields.status.name') from jira_issue where id = ?",
                    (int(issue["id"]),),
                ).fetchone()
                name = row[0] if row else ""
            else:
                name = status.get("name", "")
            issue["transitions"] = _transitions(call, str(name))


def expand_values(call: Call, extra: Any = None) -> set[str]:
    """The ``expand`` of a request: query parameters, or a body's string or list."""
    values = list(call.request.params("expand"))
    if isinstance(extra, str):
        values.append(extra)
    elif isinstance(extra, list):
        values.extend(str(item) for item in extra)
    return comma_values(values)
