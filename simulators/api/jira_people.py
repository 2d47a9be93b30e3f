"""Users and groups of the simulated Jira: user search, one user, groups and their members.

- ``/user/search`` takes ``query`` (a prefix of any word of the display name or of the e-mail
  address, case-insensitive) or ``accountId`` (exact), never both and never neither (400). Like
  Jira Cloud it first takes the users in ``startAt``/``maxResults`` (at most 1000) and only then
  keeps those that match, so a page may hold fewer users than asked for; the answer is a bare list.
- ``/user?accountId=`` is one user, with ``groups`` and ``applicationRoles`` when expanded.
- ``/group/bulk`` pages the groups (filter by repeated ``groupId`` / ``groupName``); ``/group/member``
  pages a group's members (``groupname`` or ``groupId``; ``maxResults`` at most 50; inactive users
  only with ``includeInactiveUsers=true``).
"""

from __future__ import annotations

import re
from typing import Any

from simulators.api.jira_common import ApiError, Call, int_param, page_bean

MAX_USER_SEARCH = 1000
MAX_GROUP_MEMBERS = 50
USER_DETAILS = ("self", "accountId", "accountType", "emailAddress", "avatarUrls", "displayName", "active", "timeZone")


def _render(call: Call, body: str) -> dict[str, Any]:
    user = call.load(body)
    user["self"] = call.api(f"user?accountId={user['accountId']}")
    return user


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\s.@_\-()]+", text.lower()) if word]


def user_search(call: Call) -> list[dict[str, Any]]:
    """``/user/search``: users matching ``query`` or ``accountId``, from one window of all users."""
    request = call.request
    query = (request.param("query") or request.param("username") or "").strip().lower()
    account = (request.param("accountId") or "").strip()
    if query and account:
        raise ApiError(400, "The query parameter and the accountId parameter can't be used together.")
    if not query and not account and not request.param("property"):
        raise ApiError(400, "The query parameter or the accountId parameter is required.")
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", 50, minimum=0), MAX_USER_SEARCH)
    rows = call.db.execute(
        "select body from jira_user order by account_id limit ? offset ?", (max_results, start_at)
    ).fetchall()
    users = [_render(call, body) for (body,) in rows]
    if account:
        return [user for user in users if user["accountId"] == account]
    if query:
        return [
            user
            for user in users
            if any(word.startswith(query) for word in _words(f"{user['displayName']} {user.get('emailAddress', '')}"))
            or str(user.get("emailAddress", "")).lower().startswith(query)
        ]
    return []


def user(call: Call) -> dict[str, Any]:
    """``/user?accountId=``; ``expand=groups,applicationRoles`` adds what Jira adds."""
    account = call.request.param("accountId")
    if not account:
        raise ApiError(400, "The accountId query parameter needs to be provided.")
    row = call.db.execute("select body from jira_user where account_id = ?", (account,)).fetchone()
    if row is None:
        raise ApiError(404, f"Specified user does not exist or you do not have required permissions: {account}")
    found = _render(call, row[0])
    expand = {part.strip() for value in call.request.params("expand") for part in value.split(",")}
    groups = [
        {"name": name, "groupId": group, "self": call.api(f"group?groupId={group}")}
        for group, name in call.db.execute(
            "select g.group_id, g.name from jira_group g join jira_group_member m on m.group_id = g.group_id "
            "where m.account_id = ? order by g.name",
            (account,),
        )
    ]
    found["groups"] = {"size": len(groups), "items": groups if "groups" in expand else []}
    roles = [{"key": "jira-software", "name": "Jira Software"}]
    found["applicationRoles"] = {"size": len(roles), "items": roles if "applicationRoles" in expand else []}
    found["expand"] = "groups,applicationRoles"
    return found


def groups_bulk(call: Call) -> dict[str, Any]:
    """``/group/bulk``: the site's groups, by name, optionally only the ones asked for."""
    request = call.request
    ids = set(request.params("groupId"))
    names = {name.lower() for name in request.params("groupName")}
    groups = [
        {"name": name, "groupId": group}
        for group, name in call.db.execute("select group_id, name from jira_group order by name")
        if (not ids or group in ids) and (not names or name.lower() in names)
    ]
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", 50, minimum=1), 1000)
    page = groups[start_at : start_at + max_results]
    return page_bean(call, "group/bulk", start_at, max_results, len(groups), page)


def group_members(call: Call) -> dict[str, Any]:
    """``/group/member``: one group's members, paged by at most 50."""
    request = call.request
    name = request.param("groupname") or request.param("groupName")
    group = request.param("groupId")
    if name and group:
        raise ApiError(400, "You must specify only one of groupname or groupId.")
    if not name and not group:
        raise ApiError(400, "You must specify groupname or groupId.")
    if group:
        row = call.db.execute("select group_id from jira_group where group_id = ?", (group,)).fetchone()
    else:
        row = call.db.execute("select group_id from jira_group where lower(name) = lower(?)", (name,)).fetchone()
    if row is None:
        raise ApiError(404, f"Group not found: {name or group}")
    inactive = (request.param("includeInactiveUsers") or "false").lower() == "true"
    members = []
    for (body,) in call.db.execute(
        "select u.body from jira_group_member m join jira_user u on u.account_id = m.account_id "
        "where m.group_id = ? order by u.account_id",
        (row[0],),
    ):
        member = _render(call, body)
        if not member.get("active", True) and not inactive:
            continue
        members.append({key: member[key] for key in USER_DETAILS if key in member})
    start_at = int_param(request, "startAt", 0, minimum=0)
    max_results = min(int_param(request, "maxResults", 50, minimum=1), MAX_GROUP_MEMBERS)
    page = members[start_at : start_at + max_results]
    return page_bean(call, "group/member", start_at, max_results, len(members), page)
