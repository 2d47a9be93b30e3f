"""Project versions and components of the simulated Jira, as tap-jira, Airbyte and the ``jira`` library read them.

- ``/project/{idOrKey}/version`` pages a project's versions (``startAt``, ``maxResults`` default 50,
  ``orderBy`` one of sequence/name/releaseDate/startDate/description with an optional sign,
  ``query``, ``status`` released/unreleased/archived, ``expand`` issuesstatus/operations);
  ``/project/{idOrKey}/versions`` lists them all unpaged; ``/version/{id}`` is one.
- ``overdue`` is worked out per request against the world clock in the API user's time zone (a
  version not released by its release date), and ``userStartDate`` / ``userReleaseDate`` are the
  dates as Jira writes them for the user (``6/Jul/2010``).
- ``/project/{idOrKey}/component`` pages components with their ``issueCount``; ``/components`` lists
  them unpaged without it.
"""

from __future__ import annotations

import json
from typing import Any

from simulators.api.jira_common import (
    ApiError,
    Call,
    comma_values,
    find_project,
    int_param,
    page_bean,
    render_user,
    today,
    user_date,
)

VERSION_ORDER = ("sequence", "name", "releaseDate", "startDate", "description")
COMPONENT_ORDER = ("name", "description", "issueCount", "lead")
VERSION_KEYS = (
    "self",
    "id",
    "description",
    "name",
    "archived",
    "released",
    "startDate",
    "releaseDate",
    "overdue",
    "userStartDate",
    "userReleaseDate",
    "projectId",
)


def render_version(call: Call, body: str, expand: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """A stored version as Jira answers it, with ``overdue`` and the user's dates worked out now."""
    version = call.load(body)
    version["self"] = call.api(f"version/{version['id']}")
    release = version.get("releaseDate")
    version["overdue"] = bool(release and not version["released"] and release < today(call))
    if version.get("startDate"):
        version["userStartDate"] = user_date(version["startDate"])
    if release:
        version["userReleaseDate"] = user_date(release)
    rendered = {key: version[key] for key in VERSION_KEYS if key in version}
    if "operations" in expand:
        rendered["operations"] = []
    return rendered


def _order(value: str | None, allowed: tuple[str, ...], default: str) -> tuple[str, bool]:
    """An ``orderBy`` value: (field, descending); 400 as Jira for a field it cannot sort by."""
    text = (value or default).strip()
    name = text.lstrip("+-")
    if name not in allowed:
        raise ApiError(400, f"Invalid orderBy field: '{text}'.")
    return name, text.startswith("-")


def _issue_status_counts(call: Call, project_key: str) -> dict[str, dict[str, int]]:
    """Per fix version id: the project's issues in each status category (``expand=issuesstatus``)."""
    counts: dict[str, dict[str, int]] = {}
    for version_id, category, count in call.db.execute(
        "select json_extract(v.value, '$.id'), json_extract(i.body, '$.fields.status.statusCategory.key'), "
        "count(*) from jira_issue i, json_each(i.body, '$.fields.fixVersions') v where i.project_key = ? "
        "group by 1, 2",
        (project_key,),
    ):
        bucket = counts.setdefault(str(version_id), {"unmapped": 0, "toDo": 0, "inProgress": 0, "done": 0})
        key = {"new": "toDo", "indeterminate": "inProgress", "done": "done"}.get(category, "unmapped")
        bucket[key] += count
    return counts


def project_versions(call: Call, id_or_key: str, *, paged: bool) -> Any:
    """``/project/{idOrKey}/version`` (paged) and ``/project/{idOrKey}/versions`` (a plain list)."""
    project = find_project(call, id_or_key)
    request = call.request
    expand = comma_values(request.params("expand"))
    rows = call.db.execute(
        "select body from jira_version where project_id = ? order by sequence, id", (str(project["id"]),)
    ).fetchall()
    versions = [render_version(call, body, expand) for (body,) in rows]
    if "issuesstatus" in expand:
        counts = _issue_status_counts(call, project["key"])
        for version in versions:
            version["issuesStatusForFixVersion"] = counts.get(
                version["id"], {"unmapped": 0, "toDo": 0, "inProgress": 0, "done": 0}
            )
    if not paged:
        return versions
    text = (request.param("query") or "").lower()
    if text:
        versions = [v for v in versions if text in v["name"].lower() or text in str(v.get("description", "")).lower()]
    statuses = comma_values(request.params("status"))
    if statuses:
        versions = [v for v in versions if _version_status(v) & statuses]
    field, descending = _order(request.param("orderBy"), VERSION_ORDER, "sequence")
    if field != "sequence":
        # Versions without the field sort last, as Jira puts undated versions after dated ones.
        versions.sort(key=lambda v: (v.get(field) is None, str(v.get(field) or "").lower()), reverse=descending)
    elif descending:
        versions.reverse()
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", 50, minimum=1), 50)
    page = versions[start_at : start_at + max_results]
    return page_bean(call, f"project/{id_or_key}/version", start_at, max_results, len(versions), page)


def _version_status(version: dict[str, Any]) -> set[str]:
    states = {"released" if version["released"] else "unreleased"}
    if version["archived"]:
        states.add("archived")
    return states


def version(call: Call, version_id: str) -> dict[str, Any]:
    """``/version/{id}``."""
    row = (
        call.db.execute("select body from jira_version where id = ?", (int(version_id),)).fetchone()
        if version_id.isdigit()
        else None
    )
    if row is None:
        raise ApiError(404, f"Could not find version for id '{version_id}'")
    expand = comma_values(call.request.params("expand"))
    rendered = render_version(call, row[0], expand)
    if "issuesstatus" in expand:
        project_key = call.db.execute(
            "select key from jira_project where id = ?", (str(rendered["projectId"]),)
        ).fetchone()[0]
        rendered["issuesStatusForFixVersion"] = _issue_status_counts(call, project_key).get(
            rendered["id"], {"unmapped": 0, "toDo": 0, "inProgress": 0, "done": 0}
        )
    return rendered


def render_component(call: Call, body: str) -> dict[str, Any]:
    """A stored component with its links filled in (the unpaged list's ProjectComponent)."""
    component = call.load(body)
    component["self"] = call.api(f"component/{component['id']}")
    for role in ("lead", "assignee", "realAssignee"):
        if isinstance(component.get(role), dict):
            component[role] = render_user(call, component[role])
    return component


def project_components(call: Call, id_or_key: str, *, paged: bool) -> Any:
    """``/project/{idOrKey}/component`` (paged, with issueCount) and ``/components`` (a plain list)."""
    project = find_project(call, id_or_key)
    rows = call.db.execute(
        "select body from jira_component where project_id = ? order by id", (str(project["id"]),)
    ).fetchall()
    components = [render_component(call, body) for (body,) in rows]
    if not paged:
        return components
    request = call.request
    counts = {
        str(component_id): count
        for component_id, count in call.db.execute(
            "select json_extract(c.value, '$.id'), count(*) from jira_issue i, "
            "json_each(i.body, '$.fields.components') c where i.project_key = ? group by 1",
            (project["key"],),
        )
    }
    for component in components:
        component["issueCount"] = counts.get(component["id"], 0)
    text = (request.param("query") or "").lower()
    if text:
        components = [
            c for c in components if text in c["name"].lower() or text in str(c.get("description", "")).lower()
        ]
    field, descending = _order(request.param("orderBy"), COMPONENT_ORDER, "name")
    if field == "issueCount":
        components.sort(key=lambda c: c["issueCount"], reverse=descending)
    elif field == "lead":
        components.sort(key=lambda c: str((c.get("lead") or {}).get("displayName", "")).lower(), reverse=descending)
    else:
        components.sort(key=lambda c: str(c.get(field, "")).lower(), reverse=descending)
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", 50, minimum=1), 50)
    page = components[start_at : start_at + max_results]
    return page_bean(call, f"project/{id_or_key}/component", start_at, max_results, len(components), page)


def current_versions(call: Call, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The versions with these ids as an issue's ``fixVersions`` shows them now (released may have
    changed since the issue was last updated)."""
    numeric = sorted(int(i) for i in ids if i.isdigit())
    if not numeric:
        return {}
    marks = ", ".join("?" * len(numeric))
    found = {}
    for (body,) in call.db.execute(f"select body from jira_version where id in ({marks})", numeric):
        version = json.loads(body)
        found[str(version["id"])] = {
            "self": call.api(f"version/{version['id']}"),
            "id": str(version["id"]),
            "description": version.get("description", ""),
            "name": version["name"],
            "archived": version["archived"],
            "released": version["released"],
            **({"releaseDate": version["releaseDate"]} if version.get("releaseDate") else {}),
        }
    return found
