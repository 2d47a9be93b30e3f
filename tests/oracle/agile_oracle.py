"""The agile oracle: docs/kpis.md "Releases" and "Sprints" recomputed from the simulated world's own records.

Like ``kpi_oracle`` and ``governance_oracle``, this module never reads the warehouse: it reads the
world file the simulators serve from (its Jira versions, boards, sprints, issues, status changelog
and sprint histories) and was written from docs/kpis.md alone. It shares only small helpers with
``kpi_oracle`` (``status_at``, ``ratio``, ``epoch_ms_of_day``).

- ``release_plan`` → ``kpi_release_plan``;
- ``sprint_predictability`` → ``kpi_sprint_predictability`` and ``sprint_predictability_by_quarter``
  → its Jira project × quarter rollup.

The rules that decide a row are small pure functions the unit tests pin down on hand-made cases:
``is_released_as_of``, ``first_done_ms``, ``release_risk``, ``sprint_field_id``,
``membership_periods``, ``sprint_issue_state``, ``sprint_window``. Every state is the one held
*just before* the moment it is read at (a change at that very instant comes after it), as
docs/kpis.md reads WIP.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from oracle.kpi_oracle import DONE, epoch_ms_of_day, is_missing, ratio, status_at

STORY_POINT_FIELD_NAMES = ("Story point estimate", "Story Points")
SPRINT_FIELD_NAME = "Sprint"
SPRINT_FIELD_SCHEMA = "com.pyxis.greenhopper.jira:gh-sprint"
THROUGHPUT_DAYS = 42
FOREVER_MS = 253_402_214_400_000  # 9999-12-31 00:00 UTC
UNKNOWN_JIRA_PROJECT = "-1"


# --------------------------------------------------------------------------------------------
# Rules (pure)
# --------------------------------------------------------------------------------------------


def is_released_as_of(released_now: bool, release_date: date | None, as_of: date, scope_all_done: bool) -> bool:
    """Released as of ``as_of``: released now, its date on or before ``as_of`` (one without a date
    passes) and every scope issue done at the end of the as-of day. Jira keeps the planned date when
    a version ships late, so the date alone does not say it had shipped by then."""
    return bool(released_now) and (release_date is None or release_date <= as_of) and scope_all_done


def first_done_ms(
    created_ms: int, current_status: str, changes: Sequence[tuple[int, str, str]], category_of: Mapping[str, str]
) -> int | None:
    """When an issue first entered status category done (its creation when it was born done); None
    when it never did. ``changes`` = (ms, from, to) in order; a status held for no time (two changes
    at one instant) is not an entry."""
    held: list[tuple[int, int, str]] = [
        (created_ms, changes[0][0] if changes else FOREVER_MS, changes[0][1] if changes else current_status)
    ]
    for index, (changed_ms, _from, to) in enumerate(changes):
        until = changes[index + 1][0] if index + 1 < len(changes) else FOREVER_MS
        held.append((changed_ms, until, to))
    entries = [start for start, end, status in held if end > start and category_of.get(str(status)) == DONE]
    return min(entries) if entries else None


def release_risk(
    *,
    is_open: bool,
    release_date: date | None,
    remaining_points: float,
    throughput_per_day: float,
    as_of: date,
) -> bool | None:
    """At risk: an open release whose remaining points exceed the recent pace × the days left (0 once
    past its date). Released or archived: False. Open without a date: None (cannot be judged)."""
    if not is_open:
        return False
    if release_date is None:
        return None
    days_left = max((release_date - as_of).days, 0)
    return remaining_points > throughput_per_day * days_left


def membership_periods(
    created_ms: int, current_ids: Iterable[str], changes: Sequence[tuple[int, set[str], set[str]]]
) -> list[tuple[int, int, frozenset[str]]]:
    """An issue's sprint sets over time: [(from_ms, to_ms, sprint ids)], the last open-ended.

    ``changes`` = (changed_ms, sprint ids before, sprint ids after), in the order they happened.
    Before the first change the issue held the first change's "before" set, from its creation; an
    issue that never changed sprint has held its current field since its creation. Empty periods
    (a change at or before the creation) are dropped.
    """
    periods: list[tuple[int, int, frozenset[str]]] = []
    first_to = changes[0][0] if changes else FOREVER_MS
    initial = frozenset(changes[0][1]) if changes else frozenset(current_ids)
    periods.append((created_ms, first_to, initial))
    for index, (changed_ms, _before, after) in enumerate(changes):
        until = changes[index + 1][0] if index + 1 < len(changes) else FOREVER_MS
        periods.append((changed_ms, until, frozenset(after)))
    return [(start, end, ids) for start, end, ids in periods if end > start]


def sprint_issue_state(
    periods: Sequence[tuple[int, int, frozenset[str]]], sprint_id: str, start_ms: int, end_ms: int
) -> tuple[bool, bool, bool] | None:
    """(committed, in at the end, touched) of one issue in one sprint judged over [start, end]; None
    when the issue was never in the sprint in that window.

    Committed = in the sprint just before its start; in at the end = just before ``end_ms``;
    touched = in it at some time after the start and before the end (or just before either).
    """
    mine = [(a, b) for a, b, ids in periods if sprint_id in ids]
    committed = any(a < start_ms <= b for a, b in mine)
    at_end = any(a < end_ms <= b for a, b in mine)
    touched = any(a < end_ms and b >= start_ms for a, b in mine)
    if not touched:
        return None
    return committed, at_end, touched


def sprint_window(
    state: str, start_ms: int | None, end_ms: int | None, complete_ms: int | None, as_of_end_ms: int
) -> tuple[bool, int | None, int] | None:
    """(complete, completed at, observed at) of a sprint as of the end of the as-of day; None when it
    had not started by then (a sprint still future now never started). Complete = closed, its
    completion (else its planned end) before the end of the as-of day."""
    if state not in ("active", "closed") or start_ms is None or start_ms >= as_of_end_ms:
        return None
    closed_at = complete_ms if complete_ms is not None else end_ms
    if state == "closed" and closed_at is not None and closed_at < as_of_end_ms:
        return True, closed_at, closed_at
    return False, None, as_of_end_ms


def sprint_field_id(fields: Sequence[Mapping[str, Any]]) -> str | None:
    """The Sprint field: the one of Jira Software's sprint type (whatever it is called); by the name
    "Sprint" only where no field has that type."""
    by_type = [f["id"] for f in fields if (f.get("schema") or {}).get("custom") == SPRINT_FIELD_SCHEMA]
    by_name = [f["id"] for f in fields if f.get("name") == SPRINT_FIELD_NAME]
    found = by_type or by_name
    return str(min(found)) if found else None


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def agile_ms(text: Any) -> int | None:
    """Epoch ms of an Agile API datetime (``2026-06-29T09:00:00.000Z`` or with an offset)."""
    if text is None or is_missing(text) or str(text).strip() == "":
        return None
    parsed = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    return int(round(parsed.timestamp() * 1000))


def utc_datetime(moment_ms: int | None) -> datetime | None:
    """A naive UTC datetime (the warehouse's timestamps are UTC without a zone)."""
    if moment_ms is None:
        return None
    return datetime.fromtimestamp(moment_ms / 1000, tz=UTC).replace(tzinfo=None)


def _ids(text: str | None) -> set[str]:
    return {part.strip() for part in str(text or "").split(",") if part.strip()}


# --------------------------------------------------------------------------------------------
# Loading the world file
# --------------------------------------------------------------------------------------------


@dataclass
class AgileWorld:
    """The world's Jira records the agile KPIs read, as plain Python values."""

    projects: dict[str, str]  # jira project id -> key
    versions: list[dict[str, Any]]
    boards: dict[str, dict[str, Any]]  # board id -> body
    sprints: list[dict[str, Any]]
    issues: list[
        dict[str, Any]
    ]  # issue_id, project_key, created_ms, resolved_ms, status_id, points, fix_version_ids, sprint_ids
    status_changes: dict[str, list[tuple[int, str, str]]]  # issue id -> (ms, from, to)
    sprint_changes: dict[str, list[tuple[int, set[str], set[str]]]]  # issue id -> (ms, before, after)
    status_category: dict[str, str]


def load_agile_world(path: Path | str) -> AgileWorld:
    conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True)
    try:
        fields = json.loads(conn.execute("select body from jira_static where name = 'fields'").fetchone()[0])
        point_ids = [f["id"] for name in STORY_POINT_FIELD_NAMES for f in fields if f.get("name") == name]
        sprint_field = sprint_field_id(fields)
        projects = {str(pid): key for pid, key in conn.execute("select id, key from jira_project")}
        versions = [json.loads(body) for (body,) in conn.execute("select body from jira_version order by id")]
        boards = {str(bid): json.loads(body) for bid, body in conn.execute("select id, body from jira_board")}
        sprints = [json.loads(body) for (body,) in conn.execute("select body from jira_sprint order by id")]
        issues = []
        category: dict[str, str] = {}
        for issue_id, project_key, created_ms, body in conn.execute(
            "select id, project_key, created_ms, body from jira_issue order by id"
        ):
            f = json.loads(body)["fields"]
            points = next((f.get(i) for i in point_ids if f.get(i) is not None), None)
            status = f.get("status") or {}
            category.setdefault(str(status.get("id", "")), (status.get("statusCategory") or {}).get("key", ""))
            resolved = f.get("resolutiondate")
            issues.append(
                {
                    "issue_id": str(issue_id),
                    "project_key": project_key,
                    "created_ms": int(f.get("created") or created_ms),
                    "resolved_ms": None if resolved in (None, "") else int(resolved),
                    "status_id": str(status.get("id", "")),
                    "points": None if points is None else float(points),
                    "fix_version_ids": {str(v["id"]) for v in f.get("fixVersions") or []},
                    "sprint_ids": [str(s["id"]) for s in (f.get(sprint_field) or [])] if sprint_field else [],
                }
            )
        statuses = conn.execute("select body from jira_static where name = 'statuses'").fetchone()
        for status in json.loads(statuses[0]) if statuses else []:
            category[str(status["id"])] = (status.get("statusCategory") or {}).get("key", "")
        status_changes: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
        sprint_changes: dict[str, list[tuple[int, set[str], set[str]]]] = defaultdict(list)
        histories = conn.execute(
            "select issue_id, created_ms, id, body from jira_changelog "
            "union all select issue_id, created_ms, id, body from jira_sprint_history order by 1, 2, 3"
        )
        for issue_id, created_ms, _history_id, body in histories:
            history = json.loads(body)
            moment = int(history.get("created") or created_ms)
            for item in history.get("items", []):
                if (item.get("fieldId") or item.get("field")) == "status":
                    status_changes[str(issue_id)].append(
                        (moment, str(item.get("from") or ""), str(item.get("to") or ""))
                    )
                elif sprint_field and item.get("fieldId") == sprint_field:
                    sprint_changes[str(issue_id)].append((moment, _ids(item.get("from")), _ids(item.get("to"))))
    finally:
        conn.close()
    return AgileWorld(
        projects=projects,
        versions=versions,
        boards=boards,
        sprints=sprints,
        issues=issues,
        status_changes=dict(status_changes),
        sprint_changes=dict(sprint_changes),
        status_category=category,
    )


def _done_just_before(world: AgileWorld, issue: Mapping[str, Any], moment_ms: int) -> bool:
    status = status_at(issue["status_id"], world.status_changes.get(issue["issue_id"], []), moment_ms)
    return world.status_category.get(status) == DONE


# --------------------------------------------------------------------------------------------
# kpi_release_plan
# --------------------------------------------------------------------------------------------


def throughput_per_day(world: AgileWorld, as_of: date) -> dict[str, float]:
    """Story points per day of each Jira project's issues that first entered status category done
    (from the status changelog, not the resolution) in the 42 days through ``as_of``."""
    first = as_of - timedelta(days=THROUGHPUT_DAYS - 1)
    points: dict[str, float] = defaultdict(float)
    for issue in world.issues:
        done_ms = first_done_ms(
            issue["created_ms"],
            issue["status_id"],
            world.status_changes.get(issue["issue_id"], []),
            world.status_category,
        )
        if done_ms is None:
            continue
        day = datetime.fromtimestamp(done_ms / 1000, tz=UTC).date()
        if first <= day <= as_of:
            points[issue["project_key"]] += issue["points"] or 0.0
    return {key: value / THROUGHPUT_DAYS for key, value in points.items()}


RELEASE_COLUMNS = [
    "version_id",
    "release_name",
    "jira_project_key",
    "start_date",
    "release_date",
    "is_released",
    "is_archived",
    "scope_issue_count",
    "scope_points",
    "done_issue_count",
    "done_points",
    "remaining_points",
    "done_issue_ratio",
    "done_points_ratio",
    "days_late",
    "days_to_go",
    "throughput_points_per_day",
    "is_at_risk",
    "as_of_date",
]


def release_plan(world: AgileWorld, as_of: date) -> pd.DataFrame:
    """One row per version. Reading: scope = issues naming it in fixVersions now that exist by the
    end of the as-of day; done = status category done just before the end of the as-of day."""
    as_of_end = epoch_ms_of_day(as_of + timedelta(days=1))
    pace = throughput_per_day(world, as_of)
    known = [i for i in world.issues if i["created_ms"] < as_of_end]
    done = {i["issue_id"]: _done_just_before(world, i, as_of_end) for i in known}
    rows = []
    for version in world.versions:
        version_id = str(version["id"])
        project_key = world.projects.get(str(version.get("projectId")), UNKNOWN_JIRA_PROJECT)
        release_date = date.fromisoformat(version["releaseDate"]) if version.get("releaseDate") else None
        start_date = date.fromisoformat(version["startDate"]) if version.get("startDate") else None
        archived = bool(version.get("archived", False))
        scope = [i for i in known if version_id in i["fix_version_ids"]]
        scope_points = sum(i["points"] or 0.0 for i in scope)
        done_scope = [i for i in scope if done[i["issue_id"]]]
        done_points = sum(i["points"] or 0.0 for i in done_scope)
        released = is_released_as_of(version.get("released", False), release_date, as_of, len(done_scope) == len(scope))
        is_open = not released and not archived
        throughput = pace.get(project_key, 0.0)
        rows.append(
            {
                "version_id": version_id,
                "release_name": version["name"],
                "jira_project_key": project_key,
                "start_date": start_date,
                "release_date": release_date,
                "is_released": released,
                "is_archived": archived,
                "scope_issue_count": len(scope),
                "scope_points": scope_points,
                "done_issue_count": len(done_scope),
                "done_points": done_points,
                "remaining_points": scope_points - done_points,
                "done_issue_ratio": ratio(len(done_scope), len(scope)),
                "done_points_ratio": ratio(done_points, scope_points),
                "days_late": (as_of - release_date).days
                if is_open and release_date is not None and release_date < as_of
                else None,
                "days_to_go": (release_date - as_of).days
                if is_open and release_date is not None and release_date >= as_of
                else None,
                "throughput_points_per_day": throughput,
                "is_at_risk": release_risk(
                    is_open=is_open,
                    release_date=release_date,
                    remaining_points=scope_points - done_points,
                    throughput_per_day=throughput,
                    as_of=as_of,
                ),
                "as_of_date": as_of,
            }
        )
    return pd.DataFrame(rows, columns=RELEASE_COLUMNS, dtype=object)


# --------------------------------------------------------------------------------------------
# kpi_sprint_predictability and its quarter rollup
# --------------------------------------------------------------------------------------------

SPRINT_COLUMNS = [
    "sprint_id",
    "jira_project_key",
    "board_id",
    "board_name",
    "sprint_name",
    "started_at",
    "ended_at",
    "completed_at",
    "is_complete",
    "committed_issue_count",
    "committed_points",
    "added_issue_count",
    "added_points",
    "removed_issue_count",
    "removed_points",
    "completed_issue_count",
    "completed_points",
    "completed_committed_points",
    "say_do_ratio",
    "as_of_date",
]


def sprint_predictability(world: AgileWorld, as_of: date) -> pd.DataFrame:
    """One row per sprint started by the end of the as-of day (see the module docstring)."""
    as_of_end = epoch_ms_of_day(as_of + timedelta(days=1))
    periods = {
        i["issue_id"]: membership_periods(i["created_ms"], i["sprint_ids"], world.sprint_changes.get(i["issue_id"], []))
        for i in world.issues
    }
    members: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for issue in world.issues:
        for _, _, ids in periods[issue["issue_id"]]:
            for sprint_id in ids:
                members[sprint_id][issue["issue_id"]] = issue
    rows = []
    for sprint in world.sprints:
        sprint_id = str(sprint["id"])
        start = agile_ms(sprint.get("startDate"))
        window = sprint_window(
            sprint["state"], start, agile_ms(sprint.get("endDate")), agile_ms(sprint.get("completeDate")), as_of_end
        )
        if window is None:
            continue
        complete, completed_at, observed = window
        assert start is not None
        sums = defaultdict(float)
        counts = defaultdict(int)
        for issue in members.get(sprint_id, {}).values():
            state = sprint_issue_state(periods[issue["issue_id"]], sprint_id, start, observed)
            if state is None:
                continue
            committed, at_end, _ = state
            points = issue["points"] or 0.0
            completed = at_end and _done_just_before(world, issue, observed)
            for name, flag in (
                ("committed", committed),
                ("added", not committed),
                ("removed", not at_end),
                ("completed", completed),
            ):
                if flag:
                    counts[name] += 1
                    sums[name] += points
            if completed and committed:
                sums["completed_committed"] += points
        board_id = str(sprint.get("originBoardId"))
        board = world.boards.get(board_id)
        location = (board or {}).get("location") or {}
        project_key = location.get("projectKey") or world.projects.get(str(location.get("projectId")))
        rows.append(
            {
                "sprint_id": sprint_id,
                "jira_project_key": project_key or UNKNOWN_JIRA_PROJECT,
                "board_id": board_id,
                "board_name": (board or {}).get("name"),
                "sprint_name": sprint.get("name"),
                "started_at": utc_datetime(start),
                "ended_at": utc_datetime(agile_ms(sprint.get("endDate"))),
                "completed_at": utc_datetime(completed_at),
                "is_complete": complete,
                "committed_issue_count": counts["committed"],
                "committed_points": sums["committed"],
                "added_issue_count": counts["added"],
                "added_points": sums["added"],
                "removed_issue_count": counts["removed"],
                "removed_points": sums["removed"],
                "completed_issue_count": counts["completed"],
                "completed_points": sums["completed"],
                "completed_committed_points": sums["completed_committed"],
                "say_do_ratio": ratio(sums["completed_committed"], sums["committed"]),
                "as_of_date": as_of,
            }
        )
    return pd.DataFrame(rows, columns=SPRINT_COLUMNS, dtype=object)


QUARTER_COLUMNS = [
    "jira_project_key",
    "quarter_start_date",
    "completed_sprint_count",
    "committed_points",
    "added_points",
    "removed_points",
    "completed_points",
    "completed_committed_points",
    "say_do_ratio",
    "as_of_date",
]


def sprint_predictability_by_quarter(sprints: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Completed sprints per Jira project × calendar quarter of their completion; say/do a ratio of sums."""
    groups: dict[tuple[str, date], dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in sprints.to_dict("records"):
        if not row["is_complete"]:
            continue
        key = (row["jira_project_key"], quarter_start(row["completed_at"].date()))
        group = groups[key]
        group["completed_sprint_count"] += 1
        for name in ("committed_points", "added_points", "removed_points", "completed_points"):
            group[name] += row[name]
        group["completed_committed_points"] += row["completed_committed_points"]
    rows = [
        {
            "jira_project_key": key[0],
            "quarter_start_date": key[1],
            "completed_sprint_count": int(g["completed_sprint_count"]),
            "committed_points": g["committed_points"],
            "added_points": g["added_points"],
            "removed_points": g["removed_points"],
            "completed_points": g["completed_points"],
            "completed_committed_points": g["completed_committed_points"],
            "say_do_ratio": ratio(g["completed_committed_points"], g["committed_points"]),
            "as_of_date": as_of,
        }
        for key, g in sorted(groups.items())
    ]
    return pd.DataFrame(rows, columns=QUARTER_COLUMNS, dtype=object)


@dataclass
class AgileResult:
    release_plan: pd.DataFrame
    sprint_predictability: pd.DataFrame
    sprint_predictability_by_quarter: pd.DataFrame


def compute_agile(path: Path | str, as_of: date) -> AgileResult:
    world = load_agile_world(path)
    sprints = sprint_predictability(world, as_of)
    return AgileResult(release_plan(world, as_of), sprints, sprint_predictability_by_quarter(sprints, as_of))
