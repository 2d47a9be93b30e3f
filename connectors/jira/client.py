"""Jira Cloud REST v3 client: projects, users, statuses, fields, versions, issues, worklogs,
changelogs; and Jira Software's Agile API for boards and sprints.

Every call goes through our one HTTP policy (``connectors.http``), with plain ``requests``.
The ``jira`` library (3.10.5) is deliberately not used, and here is why (docs/sources.md "Why not
the jira library"): its ``ResilientSession`` retries only 429/503 and caps ``Retry-After`` at
60 s; it defaults to REST v2; ``enhanced_search_issues`` returns ``None`` unless ``serverInfo`` was
fetched and its page loop ignores ``isLast``; and it has no wrappers for ``/project/search``,
``/worklog/updated``, ``/worklog/list`` or ``/changelog/bulkfetch``. Routing its HTTP through our
policy would mean patching its private session, for the benefit of two trivial GETs. So we call
the documented endpoints directly and keep full control of paging, fields and JQL.

Traps handled here (docs/sources.md "Jira Cloud"):

- Search uses ``POST /rest/api/3/search/jql`` (the old ``/search`` answers 410) with an explicit
  field list (its default is ``id`` only) and a bounded JQL.
- The incremental bound is ``updated >= <epoch ms>``, unquoted: an absolute instant, so the API
  user's profile time zone (which JQL applies to zone-less datetimes) cannot shift the window.
- Timestamps come in the API user's offset (``2024-01-05T10:15:30.000-0800``): parsed
  offset-aware and converted to UTC; the record JSON is kept exactly as Jira returned it.
- The token loop stops on ``isLast``, a missing token or an empty page, refuses a token it has
  seen before and a page that repeats the previous one under a new token, and stops with an
  error at a page limit rather than looping forever: what the API's own count needs where it
  gives one (``/project/search`` ``total``), else a fixed cap (``UNCOUNTED_PAGE_CAP``).
- ``JIRA_JQL_SCOPE`` must stand on its own inside parentheses (:func:`checked_jql_scope`), so it
  cannot escape the ``updated`` bound.
- Worklogs come from ``/worklog/updated`` + ``/worklog/list`` (issue-embedded worklogs are
  truncated), deletions from ``/worklog/deleted``. A full page of worklogs that share one
  ``updatedTime`` cannot be paged past (Jira's ``since`` would not advance): a bulk import or a
  migration leaves exactly that. The worklogs of that instant are then read per issue
  (:meth:`JiraClient.worklogs_at_instant`) and the feed goes on from the next millisecond. A
  deletion feed stuck that way stays an error: deleted worklogs cannot be read any other way.
- Changelogs come from ``POST /changelog/bulkfetch`` (search's ``expand=changelog`` is truncated),
  for the status and the sprint field: a sprint's history is the Sprint items of its issues' changelogs.
- Versions come from ``/project/{id}/version`` per project, boards and sprints from the Agile API
  (``/rest/agile/1.0/board``, ``/board/{id}/sprint``); all three page by ``startAt``/``isLast``,
  and every board that is not kanban is asked for sprints: ``scrum`` boards and the ``simple``
  boards of team-managed projects, which run sprints too (a kanban board answers 400).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from connectors.http import HttpClient, HttpPolicy, SourceConfigError, SourceError, pages_for_count

log = logging.getLogger(__name__)

SOURCE = "Jira"
API = "/rest/api/3"
# Jira Software's Agile REST API (boards and sprints): same site, same credentials, own prefix.
AGILE_API = "/rest/agile/1.0"

# The issue fields docs/contract.md §3.6 reads; story points and sprint are added by name lookup.
ISSUE_FIELDS: tuple[str, ...] = (
    "summary",
    "issuetype",
    "status",
    "priority",
    "assignee",
    "reporter",
    "project",
    "parent",
    "created",
    "updated",
    "resolutiondate",
    "duedate",
    "labels",
    "components",
    "fixVersions",
    "timeoriginalestimate",
    "timespent",
    "issuelinks",
)
STORY_POINT_FIELD_NAMES = ("Story point estimate", "Story Points")
SPRINT_FIELD_NAMES = ("Sprint",)
# Jira Software's sprint field type: the Sprint field whatever its name (renamed or translated)
SPRINT_FIELD_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"

# Page size of the offset-paged lists read in full every run: /project/{id}/version and the Agile
# API's /board and /board/{id}/sprint all serve at most 50 a page.
LIST_PAGE_SIZE = 50
# Ids per /worklog/list and /changelog/bulkfetch request (both documented maximums).
WORKLOG_LIST_CHUNK = 1000
CHANGELOG_ISSUE_CHUNK = 1000
# Worklogs per /issue/{id}/worklog page (Jira's default page there) and issue ids per /search/jql
# page asking for ids only (the most Jira serves). Jira may serve fewer; the loops follow what it served.
ISSUE_WORKLOG_PAGE_SIZE = 5000
ID_SEARCH_PAGE_SIZE = 5000
# Pages one read may take where Jira gives no count (/search/jql, /users/search, the worklog
# feeds, /changelog/bulkfetch): two million issues at 100 a page. A server that keeps inventing
# pages stops here instead of running all night; a bigger site passes max_pages to the client.
UNCOUNTED_PAGE_CAP = 20_000


@dataclass(frozen=True)
class JiraConfig:
    """Where and how to reach Jira Cloud (filled from JIRA_* environment variables)."""

    url: str
    email: str
    api_token: str = field(repr=False)
    jql_scope: str | None = None
    verify: bool | str = True  # False, True, or a CA bundle path
    # what the site's variables start with (JIRA, or JIRA_ACME for a further site): errors name them
    variables: str = "JIRA"


@dataclass(frozen=True)
class CustomFields:
    """Site-specific custom field ids found by name through ``/field``."""

    story_points: tuple[str, ...] = ()
    sprint: tuple[str, ...] = ()

    @property
    def ids(self) -> tuple[str, ...]:
        return self.story_points + self.sprint


def parse_jira_datetime(value: Any) -> datetime | None:
    """A Jira timestamp as an aware UTC datetime.

    Accepts ``2024-01-05T10:15:30.000-0800`` (the REST format, offset without colon), ISO 8601
    with ``Z`` or ``+hh:mm``, and epoch numbers (milliseconds, or seconds when small enough to be
    seconds: some bulk endpoints document epoch values). A zone-less string is refused: guessing
    its zone is exactly the bug docs/sources.md "Time zones in JQL" warns about.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"not a Jira timestamp: {value!r}")
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 100_000_000_000 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    if not isinstance(value, str):
        raise ValueError(f"not a Jira timestamp: {value!r}")
    text = value.strip()
    if text.isdigit():
        return parse_jira_datetime(int(text))
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"Jira timestamp {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError("epoch_ms needs an aware datetime (naive ones would be read as local time)")
    return int(moment.timestamp() * 1000)


_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def checked_jql_scope(scope: str | None, variable: str = "JIRA_JQL_SCOPE") -> str | None:
    """``JIRA_JQL_SCOPE`` as one self-contained filter (None when empty), or a SourceConfigError
    naming ``variable`` (a further site's, JIRA_ACME_JQL_SCOPE).

    The scope is written into ``updated >= <bound> AND (<scope>) ORDER BY ...``. A scope that
    closes the parenthesis early (``A) OR (B``) would turn that into ``(bound AND A) OR B`` and
    escape the bound; a quote left open would swallow the ORDER BY; an ORDER BY of its own would
    reorder the pages the cursor relies on. So, outside quoted strings, parentheses must balance
    and never close one the scope did not open, quotes must close, and there is no ORDER BY.
    """
    if scope is None or not scope.strip():
        return None
    cleaned = scope.strip()
    problem = _jql_scope_problem(cleaned)
    if problem:
        raise SourceConfigError(
            f"{variable} must be a filter that stands on its own inside parentheses: it {problem} "
            f"(got {cleaned!r}); the connector adds the updated bound and orders by updated, key itself"
        )
    return cleaned


def _jql_scope_problem(scope: str) -> str | None:
    """What makes ``scope`` unsafe to wrap in parentheses, or None."""
    depth = 0
    quote: str | None = None
    escaped = False
    unquoted: list[str] = []
    for char in scope:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "\"'":
            quote = char
            unquoted.append(" ")
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return "closes a parenthesis it did not open"
        unquoted.append(char)
    if quote is not None:
        return f"leaves a {quote} quote open"
    if depth:
        return "leaves a parenthesis open"
    if _ORDER_BY.search("".join(unquoted)):
        return "has an ORDER BY"
    return None


def build_issue_jql(updated_since: datetime | None, scope: str | None = None) -> str:
    """The bounded, time-zone-proof JQL for an issue sync.

    ``updated >= <epoch ms>`` unquoted (``updated >= 0`` in full mode: bounded, matches all), the
    optional scope (checked by :func:`checked_jql_scope`) in parentheses, ordered by ``updated``
    then ``key`` so the order is total.
    """
    bound = 0 if updated_since is None else max(0, epoch_ms(updated_since))
    jql = f"updated >= {bound}"
    cleaned = checked_jql_scope(scope)
    if cleaned is not None:
        jql += f" AND ({cleaned})"
    return jql + " ORDER BY updated ASC, key ASC"


def find_custom_fields(fields: Sequence[dict[str, Any]]) -> CustomFields:
    """The story-points and sprint field ids of this site: by name (case-insensitive), the sprint
    field also by its schema type (``com.pyxis.greenhopper.jira:gh-sprint``)."""
    wanted_sp = {n.lower() for n in STORY_POINT_FIELD_NAMES}
    wanted_sprint = {n.lower() for n in SPRINT_FIELD_NAMES}
    story_points: list[str] = []
    sprint: list[str] = []
    for item in fields:
        name = str(item.get("name", "")).strip().lower()
        field_id = item.get("id")
        if not field_id:
            continue
        if name in wanted_sp:
            story_points.append(str(field_id))
        elif name in wanted_sprint or (item.get("schema") or {}).get("custom") == SPRINT_FIELD_SCHEMA:
            sprint.append(str(field_id))
    return CustomFields(tuple(sorted(story_points)), tuple(sorted(sprint)))


def paginate_tokens(
    fetch: Callable[[str | None], tuple[list[Any], str | None, bool]],
    *,
    max_pages: int,
    what: str,
    item_key: Callable[[Any], Any] | None = None,
) -> Iterator[list[Any]]:
    """Drive a ``nextPageToken`` loop: ``fetch(token) -> (items, next_token, is_last)``.

    Stops after a page with ``is_last``, without a token, or with no items. A token seen before
    would replay pages forever (reported against Jira Cloud), so it is an error; so is a page
    that repeats the previous page's items under a new token (with ``item_key``), and so is
    running into ``max_pages``.
    """
    token: str | None = None
    seen: set[str] = set()
    previous: list[Any] | None = None
    for _ in range(max_pages):
        items, next_token, is_last = fetch(token)
        if item_key is not None and items:
            keys = [item_key(item) for item in items]
            if keys == previous:
                raise SourceError(
                    f"Jira returned the same page of {what} again under a new nextPageToken; "
                    "stopping instead of looping — retry the sync, and report it if it persists",
                    source=SOURCE,
                )
            previous = keys
        if items:
            yield items
        if is_last or not next_token or not items:
            return
        if next_token in seen:
            raise SourceError(
                f"Jira returned a nextPageToken it had already returned while reading {what}; "
                "stopping instead of looping — retry the sync, and report it if it persists",
                source=SOURCE,
            )
        seen.add(next_token)
        token = next_token
    raise SourceError(_page_cap_message(what, max_pages), source=SOURCE)


def _page_cap_message(what: str, max_pages: int) -> str:
    return (
        f"Jira paging of {what} hit the page cap of {max_pages} pages without reaching the last page "
        "(Jira gives no count for this read, so the cap is fixed) — if the site really holds that much, "
        "narrow JIRA_JQL_SCOPE or raise the client's max_pages; otherwise Jira keeps inventing pages: "
        "report it"
    )


class JiraClient:
    """Reads Jira Cloud through REST v3. Every entity method yields batches (lists of dicts)."""

    def __init__(
        self,
        config: JiraConfig,
        *,
        policy: HttpPolicy | None = None,
        search_page_size: int = 100,
        max_pages: int = UNCOUNTED_PAGE_CAP,
        extra_issue_fields: Sequence[str] = (),
        issue_worklog_page_size: int = ISSUE_WORKLOG_PAGE_SIZE,
        list_page_size: int = LIST_PAGE_SIZE,
    ) -> None:
        self.config = config
        self.http = HttpClient(
            source=SOURCE,
            base_url=config.url,
            auth=(config.email, config.api_token),
            auth_hint=f"{config.variables}_EMAIL and {config.variables}_API_TOKEN",
            url_hint=f"{config.variables}_URL",
            policy=policy,
            verify=config.verify,
            secrets=(config.api_token,),
        )
        # a scope that cannot work fails before anything is read
        checked_jql_scope(config.jql_scope, f"{config.variables}_JQL_SCOPE")
        self.search_page_size = search_page_size
        # Pages a read may take where Jira gives no count (with a count, the count decides).
        self.max_pages = max_pages
        # What /project/search counted in the latest projects() read: a full read is only trusted
        # to detect deletions when it saw that many (connectors/jira/sync.py).
        self.project_total: int | None = None
        self.extra_issue_fields = tuple(extra_issue_fields)
        self.pages = 0
        self.warnings: list[str] = []
        # What the worklog reads had to say (an instant read per issue); the sync puts them on the
        # worklogs entity's result, as `warnings` go on the issues'.
        self.worklog_warnings: list[str] = []
        self.issue_worklog_page_size = issue_worklog_page_size
        # Versions, boards and sprints per page.
        self.list_page_size = list_page_size
        self._custom_fields: CustomFields | None = None
        # What the source counted in the latest versions() and boards() reads (None where it gave
        # no count): like project_total, a full snapshot tombstones only after a read that saw that many.
        self.version_total: int | None = None
        self.board_total: int | None = None
        # What the version and sprint reads had to say (a project gone meanwhile, a board that
        # refuses sprints); the sync puts them on those entities' results.
        self.agile_warnings: list[str] = []

    def __repr__(self) -> str:
        return f"JiraClient(url={self.http.base_url!r}, email={self.config.email!r})"

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, params: Any = None) -> Any:
        data, _ = self.http.get_json(f"{API}{path}", params)
        self.pages += 1
        return data

    def _post(self, path: str, body: Any) -> Any:
        data, _ = self.http.post_json(f"{API}{path}", body)
        self.pages += 1
        return data

    # --- small, unpaged endpoints ---------------------------------------------------------

    def myself(self) -> dict[str, Any]:
        """The API user (auth check); ``timeZone`` is the zone Jira renders timestamps in."""
        data = self._get("/myself")
        if not isinstance(data, dict) or "accountId" not in data:
            raise SourceError(
                "Jira /myself did not return a user — check JIRA_URL points at a Jira Cloud site",
                source=SOURCE,
                method="GET",
                url=self.http.url(f"{API}/myself"),
            )
        return data

    def server_info(self) -> dict[str, Any]:
        return self._get("/serverInfo")

    def fields(self) -> Iterator[list[dict[str, Any]]]:
        """All issue fields, system and custom (one batch)."""
        data = self._get("/field")
        self._expect_list(data, "/field")
        self._remember_custom_fields(data)
        yield data

    def statuses(self) -> Iterator[list[dict[str, Any]]]:
        """All workflow statuses with their category (one batch)."""
        data = self._get("/status")
        self._expect_list(data, "/status")
        yield data

    def custom_fields(self) -> CustomFields:
        """Story-points and sprint field ids, looked up once by name."""
        if self._custom_fields is None:
            data = self._get("/field")
            self._expect_list(data, "/field")
            self._remember_custom_fields(data)
        assert self._custom_fields is not None
        return self._custom_fields

    def _remember_custom_fields(self, fields: list[dict[str, Any]]) -> None:
        found = find_custom_fields(fields)
        self._custom_fields = found
        if not found.story_points:
            self.warnings.append(
                f"no Jira field named {' or '.join(STORY_POINT_FIELD_NAMES)}: issues land without story points"
            )
        if not found.sprint:
            self.warnings.append("no Jira field named Sprint: issues land without sprints")

    # --- offset-paged lists ---------------------------------------------------------------

    def projects(self, page_size: int = 50) -> Iterator[list[dict[str, Any]]]:
        """``/project/search`` pages (``startAt``/``maxResults``) until ``isLast``."""
        start = 0
        pages = 0
        limit = self.max_pages
        self.project_total = None
        while True:
            if pages >= limit:
                raise self._project_paging_error(limit)
            pages += 1
            data = self._get(
                "/project/search",
                # Archived projects only come back when asked for; without them a full sync
                # would tombstone a project the moment it is archived.
                {
                    "startAt": start,
                    "maxResults": page_size,
                    "expand": "lead",
                    "orderBy": "key",
                    "status": ["live", "archived"],
                },
            )
            values = data.get("values", []) if isinstance(data, dict) else None
            if values is None or not isinstance(values, list):
                raise SourceError(
                    "Jira /project/search did not return a page of values — check JIRA_URL",
                    source=SOURCE,
                    method="GET",
                    url=self.http.url(f"{API}/project/search"),
                )
            total = data.get("total")
            if isinstance(total, int) and not isinstance(total, bool):
                self.project_total = total
                served = data.get("maxResults")
                size = min(page_size, served) if isinstance(served, int) and served > 0 else page_size
                limit = pages_for_count(total, size)
            if values:
                yield values
            if data.get("isLast", True):
                return
            if not values:
                raise SourceError(
                    f"Jira /project/search returned an empty page at startAt={start} without isLast; "
                    "stopping instead of looping — retry the sync",
                    source=SOURCE,
                    method="GET",
                    url=self.http.url(f"{API}/project/search"),
                )
            start += len(values)

    def _project_paging_error(self, limit: int) -> SourceError:
        if self.project_total is None:
            return SourceError(_page_cap_message("projects", limit), source=SOURCE)
        return SourceError(
            f"Jira /project/search went past {limit} pages, more than its own total of "
            f"{self.project_total} projects needs; stopping instead of looping — retry the sync",
            source=SOURCE,
            method="GET",
            url=self.http.url(f"{API}/project/search"),
        )

    def users(self, page_size: int = 1000) -> Iterator[list[dict[str, Any]]]:
        """``/users/search`` pages until an empty page.

        The endpoint returns a bare array (no ``isLast``/``total``), and Jira may cap
        ``maxResults`` below what was asked or filter a page after paging, so a short page is
        not proof of the end: only an empty page is. That costs one extra request per sync.
        """
        start = 0
        for _ in range(self.max_pages):
            data = self._get("/users/search", {"startAt": start, "maxResults": page_size})
            self._expect_list(data, "/users/search")
            if not data:
                return
            yield data
            start += len(data)
        raise SourceError(_page_cap_message("users", self.max_pages), source=SOURCE)

    # --- releases, boards and sprints ------------------------------------------------------

    def _offset_pages(
        self, path: str, params: dict[str, Any], page_size: int, what: str, *, base: str = API
    ) -> Iterator[tuple[list[dict[str, Any]], int | None]]:
        """Pages of ``values`` from a ``startAt``/``maxResults`` list until ``isLast``: (values, total).

        The page cap comes from the list's ``total`` where it gives one, else ``max_pages``. A page
        without ``isLast`` ends the list when it is short or reaches the total; an empty page that
        says it is not the last would repeat forever, so it is an error.
        """
        start = 0
        pages = 0
        limit = self.max_pages
        total: int | None = None
        url = self.http.url(f"{base}{path}")
        while True:
            if pages >= limit:
                if total is None:
                    raise SourceError(_page_cap_message(what, limit), source=SOURCE)
                raise SourceError(
                    f"Jira {path} went past {limit} pages, more than its own total of {total} {what} needs; "
                    "stopping instead of looping — retry the sync",
                    source=SOURCE,
                    method="GET",
                    url=url,
                )
            pages += 1
            data, _ = self.http.get_json(f"{base}{path}", {**params, "startAt": start, "maxResults": page_size})
            self.pages += 1
            values = data.get("values") if isinstance(data, dict) else None
            if not isinstance(values, list):
                raise SourceError(
                    f"Jira {path} did not return a page of values — check JIRA_URL points at a Jira Cloud site",
                    source=SOURCE,
                    method="GET",
                    url=url,
                )
            served = data.get("maxResults")
            size = min(page_size, served) if isinstance(served, int) and served > 0 else page_size
            counted = data.get("total")
            if isinstance(counted, int) and not isinstance(counted, bool):
                total = counted
                limit = pages_for_count(total, size)
            yield values, total
            is_last = data.get("isLast")
            if is_last is None:
                is_last = len(values) < size or (total is not None and start + len(values) >= total)
            if is_last:
                return
            if not values:
                raise SourceError(
                    f"Jira {path} returned an empty page at startAt={start} without isLast; "
                    "stopping instead of looping — retry the sync",
                    source=SOURCE,
                    method="GET",
                    url=url,
                )
            start += len(values)

    def versions(self, project_ids: Sequence[str], page_size: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every version (release) of the given projects: ``/project/{id}/version`` pages, in the
        project's release order (``orderBy=sequence``), archived and released ones included.

        Each version carries its ``projectId`` (Jira's paged list does; it is added where missing).
        A project gone since it was listed (404) has no versions left, said in a warning.
        ``version_total`` is the sum of the projects' own counts.
        """
        self.version_total = None
        counted = 0
        for project_id in project_ids:
            path = f"/project/{project_id}/version"
            project_total: int | None = None
            try:
                for values, total in self._offset_pages(
                    path, {"orderBy": "sequence"}, page_size or self.list_page_size, "versions"
                ):
                    project_total = total
                    for version in values:
                        if isinstance(version, dict):
                            version.setdefault("projectId", _as_id(project_id))
                    if values:
                        yield values
            except SourceError as exc:
                if exc.status != 404:
                    raise
                self.agile_warnings.append(
                    f"Jira project {project_id} answered 404 for its versions (deleted or hidden since it was "
                    "listed): none read for it"
                )
                continue
            if project_total is not None:
                counted += project_total
        self.version_total = counted

    def boards(self, page_size: int | None = None) -> Iterator[list[dict[str, Any]]]:
        """Every Jira Software board (``/rest/agile/1.0/board`` pages, ``total`` and ``isLast``).

        A site without Jira Software has no Agile API (404): no boards, said in a warning.
        """
        self.board_total = None
        try:
            for values, total in self._offset_pages(
                "/board", {}, page_size or self.list_page_size, "boards", base=AGILE_API
            ):
                self.board_total = total
                if values:
                    yield values
        except SourceError as exc:
            if exc.status != 404 or self.board_total is not None:
                raise
            self.agile_warnings.append(
                "Jira answered 404 for /rest/agile/1.0/board: this site has no Jira Software, so no boards "
                "or sprints are read"
            )

    def sprints(
        self, boards: Sequence[tuple[str, str | None]], page_size: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Every sprint of the given ``(board id, board type)`` pairs: ``/board/{id}/sprint`` pages
        (``isLast``, no ``total``), oldest first, future, active and closed alike.

        Every board but a kanban one is asked: ``scrum`` boards and the ``simple`` boards of Jira Cloud
        team-managed projects (which have sprints when the project turns them on). A board that
        answers 400 ("The board does not support sprints", e.g. a team-managed board without
        sprints) is skipped with a warning. A sprint shared by two
        boards comes once per board; the sync keys sprints by id. Each sprint keeps its
        ``originBoardId``; where Jira leaves it out, the board it was read from is put there.
        """
        for board_id, board_type in boards:
            if board_type == "kanban":
                continue
            path = f"/board/{board_id}/sprint"
            try:
                for values, _ in self._offset_pages(
                    path, {}, page_size or self.list_page_size, "sprints", base=AGILE_API
                ):
                    for sprint in values:
                        if isinstance(sprint, dict):
                            sprint.setdefault("originBoardId", _as_id(board_id))
                    if values:
                        yield values
            except SourceError as exc:
                if exc.status not in (400, 404):
                    raise
                self.agile_warnings.append(
                    f"Jira board {board_id} answered {exc.status} for its sprints ({exc.message}): none read for it"
                )

    # --- issues ---------------------------------------------------------------------------

    def issue_fields(self) -> list[str]:
        """The explicit field list sent with every search."""
        names = list(ISSUE_FIELDS) + list(self.custom_fields().ids) + list(self.extra_issue_fields)
        return list(dict.fromkeys(names))

    def _search_pages(self, jql: str, fields: list[str], page_size: int, what: str) -> Iterator[list[dict[str, Any]]]:
        """Pages of issues ``POST /search/jql`` finds for ``jql``, following ``nextPageToken``."""

        def fetch(token: str | None) -> tuple[list[Any], str | None, bool]:
            body: dict[str, Any] = {"jql": jql, "fields": fields, "maxResults": page_size}
            if token:
                body["nextPageToken"] = token
            data = self._post("/search/jql", body)
            if not isinstance(data, dict) or not isinstance(data.get("issues"), list):
                raise SourceError(
                    "Jira /search/jql did not return an issues page — check JIRA_URL",
                    source=SOURCE,
                    method="POST",
                    url=self.http.url(f"{API}/search/jql"),
                )
            return data["issues"], data.get("nextPageToken"), bool(data.get("isLast", False))

        yield from paginate_tokens(
            fetch, max_pages=self.max_pages, what=f"{what} ({jql})", item_key=lambda issue: issue.get("id")
        )

    def issues(self, updated_since: datetime | None, jql_scope: str | None = None) -> Iterator[list[dict[str, Any]]]:
        """Issues updated at or after ``updated_since`` (all when None), oldest first."""
        jql = build_issue_jql(updated_since, jql_scope)
        yield from self._search_pages(jql, self.issue_fields(), self.search_page_size, "issues")

    def issue_ids(self, jql: str) -> Iterator[list[str]]:
        """Ids of the issues ``jql`` finds, in pages of up to 5000 (Jira's size when only ids are asked)."""
        for page in self._search_pages(jql, ["id"], ID_SEARCH_PAGE_SIZE, "issue ids"):
            yield [str(issue["id"]) for issue in page if issue.get("id") not in (None, "")]

    # --- worklogs -------------------------------------------------------------------------

    def _changed_worklog_pages(
        self, path: str, since: datetime | None, *, past_full_instants: bool = False
    ) -> Iterator[_FeedPage]:
        """Pages of ``{worklogId, updatedTime}`` from ``/worklog/updated`` or ``/worklog/deleted``.

        A full page whose items all share the ``since`` it was asked for cannot be paged past:
        Jira's next ``since`` is that same instant. With ``past_full_instants`` that page is
        yielded with ``stuck_at`` set, and the feed goes on from the next millisecond; it is then
        up to the caller to read that instant another way. Without it, it is an error.
        """
        since_ms = 0 if since is None else max(0, epoch_ms(since))
        for _ in range(self.max_pages):
            data = self._get(path, {"since": since_ms})
            if not isinstance(data, dict) or not isinstance(data.get("values"), list):
                raise SourceError(
                    f"Jira {path} did not return a page of values — check JIRA_URL",
                    source=SOURCE,
                    method="GET",
                    url=self.http.url(f"{API}{path}"),
                )
            values = data["values"]
            if data.get("lastPage", True) or not values:
                if values:
                    yield _FeedPage(values)
                return
            next_since = _next_since(data)
            if next_since is not None and next_since > since_ms:
                yield _FeedPage(values)
                since_ms = next_since
                continue
            # Every item on a full page shares one updatedTime; Jira's `since` cannot move past
            # it, so asking again would return the same page forever.
            if past_full_instants and next_since == since_ms and _all_at(values, since_ms):
                yield _FeedPage(values, stuck_at=since_ms)
                since_ms += 1
                continue
            yield _FeedPage(values)
            raise self._stuck_feed_error(path, since_ms, len(values))
        raise SourceError(_page_cap_message(path, self.max_pages), source=SOURCE)

    def _stuck_feed_error(self, path: str, since_ms: int, count: int) -> SourceError:
        stamp = _instant_text(since_ms)
        if path.endswith("/deleted"):
            remedy = (
                "deleted worklogs cannot be read any other way, so the sync stops rather than miss "
                "deletions — report this site"
            )
        else:
            remedy = "the page is not one instant the connector can read per issue — report this site"
        return SourceError(
            f"Jira {path} cannot page past {stamp}: at least {count} worklogs share that updated time and "
            f"the endpoint's `since` cannot advance (a known Jira limitation); {remedy}",
            source=SOURCE,
            method="GET",
            url=self.http.url(f"{API}{path}"),
        )

    def worklogs(self, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """Worklogs updated after ``since`` (all when None): ids from ``/worklog/updated``,
        details from ``/worklog/list`` in chunks of 1000, each batch sorted by (updated, id).

        An instant the feed cannot page past is read per issue (:meth:`worklogs_at_instant`)
        before the feed goes on past it, so batches still come oldest first.
        """
        for page in self._changed_worklog_pages("/worklog/updated", since, past_full_instants=True):
            ids = [int(v["worklogId"]) for v in page.values]
            issues_on_page: set[str] = set()
            for start in range(0, len(ids), WORKLOG_LIST_CHUNK):
                chunk = ids[start : start + WORKLOG_LIST_CHUNK]
                data = self._post("/worklog/list", {"ids": chunk})
                self._expect_list(data, "/worklog/list")
                # Land oldest first so a sync killed mid-page never leaves the cursor past an
                # unlanded worklog.
                data.sort(
                    key=lambda w: (
                        parse_jira_datetime(w.get("updated")) or datetime.min.replace(tzinfo=UTC),
                        int(w.get("id", 0)),
                    )
                )
                issues_on_page.update(str(w["issueId"]) for w in data if w.get("issueId") not in (None, ""))
                if data:
                    yield data
            if page.stuck_at is not None:
                yield from self.worklogs_at_instant(page.stuck_at, {str(i) for i in ids}, issues_on_page)

    def worklogs_at_instant(
        self, instant_ms: int, listed_ids: Collection[str] = (), issues_on_page: Collection[str] = ()
    ) -> Iterator[list[dict[str, Any]]]:
        """Every worklog whose ``updated`` is exactly ``instant_ms``, read per issue.

        ``/worklog/updated`` shows at most one page of an instant, and its ids do not say their
        issue. Jira moves an issue's ``updated`` when one of its worklogs is added or changed, so
        the issues that hold worklogs of the instant are among those JQL finds with ``updated``
        at or after it (bound to the minute below it: JQL works to the minute). The issues of the
        worklogs the feed did list (``issues_on_page``, from ``/worklog/list``) are read too, and
        any JQL did not find are named in a warning. Each issue's worklogs are read through
        ``/issue/{id}/worklog`` page by page, and those of the instant kept. ``listed_ids`` are
        the ids the feed listed, to say when some were not found on their issue any more.
        """
        bound = datetime.fromtimestamp(instant_ms // 60_000 * 60, tz=UTC)
        issue_ids: dict[str, None] = {}
        for page in self.issue_ids(build_issue_jql(bound)):
            issue_ids.update(dict.fromkeys(page))
        not_found_by_jql = sorted(set(issues_on_page) - set(issue_ids), key=_id_order)
        issue_ids.update(dict.fromkeys(not_found_by_jql))
        found: set[str] = set()
        holders = 0
        for issue_id in issue_ids:
            held = 0
            for page in self.issue_worklogs(issue_id):
                at_instant = [
                    w
                    for w in page
                    if w.get("id") not in (None, "")
                    and str(w["id"]) not in found
                    and _epoch_ms_of(w.get("updated")) == instant_ms
                ]
                if not at_instant:
                    continue
                at_instant.sort(key=lambda w: _id_order(str(w["id"])))
                found.update(str(w["id"]) for w in at_instant)
                held += len(at_instant)
                yield at_instant
            if held:
                holders += 1
        message = (
            f"Jira /worklog/updated cannot page past {_instant_text(instant_ms)} (a full page of "
            f"{len(listed_ids)} or more worklogs shares that updated time, as a bulk import or migration "
            f"leaves them): read {len(found)} worklogs of that instant per issue from {holders} issues "
            f"(/issue/{{id}}/worklog, of {len(issue_ids)} issues updated since then), then went on from the "
            "next millisecond"
        )
        if not_found_by_jql:
            shown = ", ".join(not_found_by_jql[:10]) + (" …" if len(not_found_by_jql) > 10 else "")
            message += (
                f"; {len(not_found_by_jql)} issues holding worklogs of that instant were not found by JQL "
                f"`updated >= {epoch_ms(bound)}` ({shown}) and were read too, but worklogs of that instant on "
                "other such issues may be missing — this site does not move an issue's updated time with its "
                "worklogs: report it"
            )
        missing = set(listed_ids) - found
        if missing:
            message += (
                f"; {len(missing)} worklogs the feed listed at that instant were no longer there on their "
                "issue (changed, moved or deleted meanwhile: the feed past the instant or the next sync's "
                "deletion feed shows them)"
            )
        log.warning(message)
        self.worklog_warnings.append(message)

    def issue_worklogs(self, issue_id: str) -> Iterator[list[dict[str, Any]]]:
        """Every worklog of one issue: ``/issue/{id}/worklog`` pages (``startAt``/``maxResults``)
        until its ``total``. An issue gone since it was found (404) has no worklogs left."""
        path = f"/issue/{issue_id}/worklog"
        size = self.issue_worklog_page_size
        start = 0
        pages = 0
        limit = self.max_pages
        while True:
            if pages >= limit:
                raise SourceError(
                    f"Jira {path} went past {limit} pages, more than its own total needs; stopping "
                    "instead of looping — retry the sync",
                    source=SOURCE,
                    method="GET",
                    url=self.http.url(f"{API}{path}"),
                )
            pages += 1
            try:
                data = self._get(path, {"startAt": start, "maxResults": size})
            except SourceError as exc:
                if exc.status == 404:
                    return
                raise
            worklogs = data.get("worklogs") if isinstance(data, dict) else None
            if not isinstance(worklogs, list):
                raise SourceError(
                    f"Jira {path} did not return a page of worklogs — check JIRA_URL",
                    source=SOURCE,
                    method="GET",
                    url=self.http.url(f"{API}{path}"),
                )
            total = data.get("total")
            counted = isinstance(total, int) and not isinstance(total, bool)
            if counted:
                served = data.get("maxResults")
                served_size = min(size, served) if isinstance(served, int) and served > 0 else size
                limit = pages_for_count(total, served_size)
            if worklogs:
                yield worklogs
            start += len(worklogs)
            if not worklogs or (start >= total if counted else len(worklogs) < size):
                return

    def deleted_worklogs(self, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """``{worklogId, updatedTime}`` of worklogs deleted after ``since`` (all when None)."""
        for page in self._changed_worklog_pages("/worklog/deleted", since):
            yield page.values

    # --- changelogs -----------------------------------------------------------------------

    def changelog_field_ids(self) -> tuple[str, ...]:
        """The fields whose histories the sync reads: status (WIP, cycle time) and the sprint
        field (sprint membership over time, docs/kpis.md "Sprints")."""
        return ("status", *self.custom_fields().sprint)

    def changelogs(
        self, issue_ids: Sequence[str], field_ids: Sequence[str] = ("status",), page_size: int = 1000
    ) -> Iterator[list[dict[str, Any]]]:
        """Change histories of the given issues (each with ``issueId`` added), status only by default."""
        ids = [str(i) for i in issue_ids]
        for start in range(0, len(ids), CHANGELOG_ISSUE_CHUNK):
            chunk = ids[start : start + CHANGELOG_ISSUE_CHUNK]

            def fetch(token: str | None, chunk: list[str] = chunk) -> tuple[list[Any], str | None, bool]:
                body: dict[str, Any] = {
                    "issueIdsOrKeys": chunk,
                    "fieldIds": list(field_ids),
                    "maxResults": page_size,
                }
                if token:
                    body["nextPageToken"] = token
                data = self._post("/changelog/bulkfetch", body)
                if not isinstance(data, dict) or not isinstance(data.get("issueChangeLogs"), list):
                    raise SourceError(
                        "Jira /changelog/bulkfetch did not return issueChangeLogs — check JIRA_URL",
                        source=SOURCE,
                        method="POST",
                        url=self.http.url(f"{API}/changelog/bulkfetch"),
                    )
                histories: list[dict[str, Any]] = []
                for log_entry in data["issueChangeLogs"]:
                    issue_id = str(log_entry.get("issueId"))
                    for history in log_entry.get("changeHistories") or []:
                        histories.append({**history, "issueId": issue_id})
                next_token = data.get("nextPageToken")
                # A page may hold issues without histories; only the token decides the end here.
                return histories, next_token, not next_token

            yield from _paginate_allow_empty(fetch, max_pages=self.max_pages, what="changelogs")

    @staticmethod
    def _expect_list(data: Any, path: str) -> None:
        if not isinstance(data, list):
            raise SourceError(
                f"Jira {path} did not return a list — check JIRA_URL points at a Jira Cloud site",
                source=SOURCE,
                method="GET",
                url=path,
            )


def _as_id(value: str) -> int | str:
    """A Jira numeric id as the number Jira writes in ``projectId`` / ``originBoardId``."""
    text = str(value)
    return int(text) if text.isdigit() else text


def jira_client(config: JiraConfig, policy: HttpPolicy | None = None) -> JiraClient:
    """A Jira client from its config (verify = CA bundle path or bool)."""
    return JiraClient(config, policy=policy)


def _paginate_allow_empty(
    fetch: Callable[[str | None], tuple[list[Any], str | None, bool]], *, max_pages: int, what: str
) -> Iterator[list[Any]]:
    """Like :func:`paginate_tokens`, but an empty page with a token is not the end.

    ``/changelog/bulkfetch`` pages by change history; a page whose issues have no matching
    histories can be empty and still have more behind it.
    """
    token: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        items, next_token, is_last = fetch(token)
        if items:
            yield items
        if is_last or not next_token:
            return
        if next_token in seen:
            raise SourceError(
                f"Jira returned a nextPageToken it had already returned while reading {what}; "
                "stopping instead of looping — retry the sync",
                source=SOURCE,
            )
        seen.add(next_token)
        token = next_token
    raise SourceError(_page_cap_message(what, max_pages), source=SOURCE)


def _next_since(page: dict[str, Any]) -> int | None:
    """The ``since`` of the next worklog page: from ``nextPage``'s query, else ``until``."""
    next_page = page.get("nextPage")
    if isinstance(next_page, str) and next_page:
        values = parse_qs(urlsplit(next_page).query).get("since")
        if values:
            try:
                return int(values[0])
            except ValueError:
                pass
    until = page.get("until")
    return int(until) if isinstance(until, int | float) else None


@dataclass(frozen=True)
class _FeedPage:
    """One page of a worklog feed; ``stuck_at`` is the instant (epoch ms) all its items share when
    the feed cannot page past it."""

    values: list[dict[str, Any]]
    stuck_at: int | None = None


def _all_at(values: list[dict[str, Any]], instant_ms: int) -> bool:
    try:
        return all(int(v.get("updatedTime")) == instant_ms for v in values)
    except (TypeError, ValueError):
        return False


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def _epoch_ms_of(value: Any) -> int | None:
    """A Jira timestamp as exact epoch milliseconds (integer arithmetic: compared for equality)."""
    try:
        moment = parse_jira_datetime(value)
    except ValueError:
        return None
    return None if moment is None else (moment - _EPOCH) // _ONE_MS


def _instant_text(ms: int) -> str:
    return (_EPOCH + ms * _ONE_MS).isoformat()


def _id_order(value: str) -> tuple[int, int | str]:
    return (0, int(value)) if value.isdigit() else (1, value)
