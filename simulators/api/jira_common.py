"""What every endpoint of the simulated Jira shares: the request context, errors, paging, rendering.

``jira_api.py`` (the platform REST API), ``jira_projects.py`` (versions and components),
``jira_people.py`` (user search and groups), ``jira_issue_parts.py`` (comments, properties,
transitions, and what Jira fills into an issue at read time) and ``jira_agile.py`` (the Jira
Software Agile API) all answer through these, so paging, error bodies and datetimes look alike.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from simulators.api.http import Request
from simulators.world.store import BASE_URL_PLACEHOLDER, JIRA_DATETIME_FIELDS, SERVER_TIME_PLACEHOLDER

NOT_AUTHENTICATED_MESSAGE = "You are not authenticated. Authentication required to perform this operation."
ISSUE_NOT_FOUND_MESSAGE = "Issue does not exist or you do not have permission to see it."
RICH_TEXT_FIELDS = ("description", "environment")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Call:
    """One request with what every endpoint needs: world clock, user zone, API version, base URL."""

    request: Request
    db: sqlite3.Connection
    meta: dict[str, str]
    zone: ZoneInfo
    now: datetime
    version: str
    base: str

    @property
    def now_ms(self) -> int:
        """The world clock in epoch milliseconds."""
        return int(self.now.timestamp() * 1000)

    def api(self, path: str) -> str:
        """An absolute URL of this API version (``/rest/api/2`` or ``/3``)."""
        return f"{self.base}/rest/api/{self.version}/{path}"

    def agile(self, path: str) -> str:
        """An absolute URL of the Jira Software Agile API."""
        return f"{self.base}/rest/agile/1.0/{path}"

    def instant(self, ms: int) -> str:
        """Epoch milliseconds rendered in the API user's zone, as Jira writes datetimes."""
        return render_instant(ms, self.zone)

    def load(self, body: str) -> Any:
        """A stored body as JSON, with the generator's URL and clock placeholders filled in."""
        if BASE_URL_PLACEHOLDER in body:
            body = body.replace(BASE_URL_PLACEHOLDER, self.base)
        if SERVER_TIME_PLACEHOLDER in body:
            body = body.replace(SERVER_TIME_PLACEHOLDER, self.instant(self.now_ms))
        return json.loads(body)


class ApiError(Exception):
    """Ends a request with a Jira error body."""

    def __init__(self, status: int, *messages: str) -> None:
        super().__init__(messages[0] if messages else str(status))
        self.status = status
        self.messages = list(messages)


def error_body(*messages: str) -> dict[str, Any]:
    """Jira's error envelope."""
    return {"errorMessages": list(messages), "errors": {}}


def render_instant(ms: int, zone: ZoneInfo) -> str:
    """Epoch milliseconds as Jira renders them: ``2024-01-05T10:15:30.000-0800`` in ``zone``."""
    seconds, millis = divmod(ms, 1000)
    # isoformat is C code and twice as fast as strftime; it writes the offset as -08:00.
    text = datetime.fromtimestamp(seconds, zone).replace(microsecond=millis * 1000).isoformat(timespec="milliseconds")
    return text[:-3] + text[-2:]


def adf_text(node: Any) -> str:
    """Plain text of an Atlassian Document Format value (what REST v2 returns instead of ADF)."""
    if isinstance(node, dict):
        if node.get("type") == "text":
            return str(node.get("text", ""))
        children = [adf_text(child) for child in node.get("content", [])]
        separator = "\n" if node.get("type") in ("doc", "bulletList", "orderedList") else ""
        return separator.join(children)
    if isinstance(node, list):
        return "\n".join(adf_text(child) for child in node)
    return "" if node is None else str(node)


@dataclass(frozen=True)
class FieldSelection:
    """Which issue fields a request asked for (``fields`` of search/jql and GET issue)."""

    everything: bool
    navigable: bool
    named: frozenset[str]
    excluded: frozenset[str]

    @classmethod
    def parse(cls, values: list[Any], default: str) -> FieldSelection:
        """The selection of ``fields`` values (repeated, comma-separated or JSON lists); ``default`` if none."""
        names: list[str] = []
        for value in values or [default]:
            if isinstance(value, list):
                names.extend(str(item) for item in value)
                continue
            text = str(value).strip()
            if text.startswith("["):
                try:
                    names.extend(str(item) for item in json.loads(text))
                    continue
                except ValueError:
                    pass
            names.extend(text.split(","))
        # Airbyte's source-jira sends fields=['key', 'created']: read it as the list it means.
        names = [name.strip().strip("[]").strip().strip("'\"") for name in names]
        names = [name for name in names if name]
        if not names:
            names = [default]
        return cls(
            everything="*all" in names,
            navigable="*navigable" in names,
            named=frozenset(name for name in names if not name.startswith(("*", "-"))),
            excluded=frozenset(name[1:] for name in names if name.startswith("-")),
        )

    @property
    def id_only(self) -> bool:
        """Nothing but the issue id: Jira then answers ``{"id": ...}`` per issue."""
        return not self.everything and not self.navigable and self.named == {"id"}

    @property
    def keys_only(self) -> bool:
        """Only id and/or key: the cheap case that Jira pages up to 5000 at a time."""
        return not self.everything and not self.navigable and self.named <= {"id", "key"}

    def pick(self, fields: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
        """The selected ones of an issue's stored fields (``hidden``: the non-navigable ones)."""
        if self.everything:
            chosen = dict(fields)
        elif self.navigable:
            chosen = {name: value for name, value in fields.items() if name not in hidden}
            chosen.update({name: fields[name] for name in self.named if name in fields})
        else:
            chosen = {name: fields[name] for name in fields if name in self.named}
        for name in self.excluded:
            chosen.pop(name, None)
        return chosen


def static(call: Call, name: str, default: Any) -> Any:
    """A ``jira_static`` body (statuses, fields, ...) with its placeholders filled in."""
    row = call.db.execute("select body from jira_static where name = ?", (name,)).fetchone()
    return call.load(row[0]) if row else default


def comma_values(values: list[str]) -> set[str]:
    """Every item of repeatable, comma-separated parameters. A Python-style list such as
    ``['live', 'archived']`` (what Airbyte's source-jira sends) counts as its items."""
    items = (part.strip().strip("[]").strip().strip("'\"") for value in values for part in value.split(","))
    return {item for item in items if item}


def int_param(request: Request, name: str, default: int, *, minimum: int | None) -> int:
    """An integer query parameter (400 with Jira's message when it is not one)."""
    return bounded_int(request.param(name), default, name, minimum=minimum)


def bounded_int(value: Any, default: int, name: str, *, minimum: int | None = 0) -> int:
    """``value`` as an integer of at least ``minimum``, ``default`` when absent, else a 400."""
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ApiError(400, f"The value '{value}' is invalid for the parameter '{name}'.") from exc
    if minimum is not None and number < minimum:
        raise ApiError(400, f"The value '{value}' is invalid for the parameter '{name}'.")
    return number


def page_url(call: Call, path: str, replacements: dict[str, Any]) -> str:
    """This request's URL on ``path`` with some query parameters replaced (``self``, ``nextPage``)."""
    pairs = [(key, value) for key, value in call.request.query if key not in replacements]
    pairs += [(key, str(value)) for key, value in replacements.items()]
    return call.api(path) + "?" + urlencode(pairs)


def agile_page_url(call: Call, path: str, replacements: dict[str, Any]) -> str:
    """``page_url`` on the Agile API."""
    pairs = [(key, value) for key, value in call.request.query if key not in replacements]
    pairs += [(key, str(value)) for key, value in replacements.items()]
    return call.agile(path) + "?" + urlencode(pairs)


def json_body(request: Request) -> Any:
    """The request body as JSON, or a 400 with Jira's message."""
    try:
        return request.json()
    except ValueError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}") from exc


def find_issue(call: Call, id_or_key: str) -> tuple[int, str, str]:
    """(id, key, stored body) of the issue a path names by id or key; 404 as Jira when there is none."""
    if id_or_key.isdigit():
        row = call.db.execute("select id, key, body from jira_issue where id = ?", (int(id_or_key),)).fetchone()
    else:
        row = call.db.execute("select id, key, body from jira_issue where key = ?", (id_or_key.upper(),)).fetchone()
    if row is None:
        raise ApiError(404, ISSUE_NOT_FOUND_MESSAGE)
    return row


def find_project(call: Call, id_or_key: str) -> dict[str, Any]:
    """The stored project a path names by id or key; 404 with Jira's message when there is none."""
    row = call.db.execute(
        "select body from jira_project where id = ? or key = ?", (id_or_key, id_or_key.upper())
    ).fetchone()
    if row is None:
        raise ApiError(404, f"No project could be found with key '{id_or_key}'.")
    return call.load(row[0])


def page_bean(
    call: Call, path: str, start_at: int, max_results: int, total: int, values: list[Any], *, agile: bool = False
) -> dict[str, Any]:
    """Jira's PageBean envelope (self, nextPage, maxResults, startAt, total, isLast, values)."""
    url = agile_page_url if agile else page_url
    is_last = start_at + len(values) >= total
    result: dict[str, Any] = {
        "self": url(call, path, {"startAt": start_at, "maxResults": max_results}),
        "maxResults": max_results,
        "startAt": start_at,
        "total": total,
        "isLast": is_last,
        "values": values,
    }
    if not is_last:
        result["nextPage"] = url(call, path, {"startAt": start_at + len(values), "maxResults": max_results})
    return result


def render_user(call: Call, account: dict[str, Any]) -> dict[str, Any]:
    """A user reference (author, lead, member) with its ``self`` link, as Jira writes one."""
    user = dict(account)
    if "accountId" in user:
        user["self"] = call.api(f"user?accountId={user['accountId']}")
    return user


def user_date(day: str) -> str:
    """A date as Jira writes it for the user (``userReleaseDate``): ``6/Jul/2010``."""
    year, month, dom = (int(part) for part in day.split("-"))
    return f"{dom}/{MONTHS[month - 1]}/{year}"


def today(call: Call) -> str:
    """The world's date in the API user's time zone (ISO), e.g. to tell whether a version is overdue."""
    return call.now.astimezone(call.zone).date().isoformat()


def render_worklog(call: Call, body: str) -> dict[str, Any]:
    """A stored worklog as the API version shows it (its comment as plain text in v2)."""
    worklog = call.load(body)
    for name in JIRA_DATETIME_FIELDS["worklog"]:
        if isinstance(worklog.get(name), int):
            worklog[name] = call.instant(worklog[name])
    worklog["self"] = call.api(f"issue/{worklog.get('issueId')}/worklog/{worklog.get('id')}")
    if call.version == "2" and isinstance(worklog.get("comment"), dict):
        worklog["comment"] = adf_text(worklog["comment"])
    return worklog


def render_history(call: Call, body: str, field_ids: set[str] | None = None) -> dict[str, Any] | None:
    """A stored changelog history with its instant rendered; only the items of ``field_ids`` when
    given (None when it changed none of them)."""
    history = call.load(body)
    if field_ids:
        history["items"] = [item for item in history.get("items", []) if item.get("fieldId") in field_ids]
        if not history["items"]:
            return None
    if isinstance(history.get("created"), int):
        history["created"] = call.instant(history["created"])
    return history
