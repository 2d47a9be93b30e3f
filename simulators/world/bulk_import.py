"""A bulk import of worklogs: many worklogs that share one ``updated`` instant.

A migration, a CSV import or a script that loads time from another tool leaves a Jira site with
hundreds or thousands of worklogs stamped in the same millisecond. Jira's ``/worklog/updated``
pages by updated time, 1000 a page, and cannot page past an instant that a full page shares (its
``since`` would not advance), so a connector has to read those worklogs another way. This module
puts such a batch into a world file, so tests can show that it does.

The batch keeps the world's Jira rules (``check_jira_consistency`` in the world tests): every
imported worklog copies the author and start time of a worklog already on the same issue (so it is
by someone allocated to that project that day), is created and updated at the import instant, and
the issue's ``timespent`` grows by it and its ``updated`` moves up to the instant, as Jira moves an
issue's updated time when one of its worklogs is added.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import datetime

from simulators.world.jira_world import time_spent_text
from simulators.world.store import BASE_URL_PLACEHOLDER, INSERT_JIRA_WORKLOG, dumps, epoch_ms, read_meta
from simulators.world.timeline import QUIET_PERIOD


def bulk_import_worklogs(conn: sqlite3.Connection, count: int, at: datetime, issues: int = 5) -> list[int]:
    """Add ``count`` worklogs whose ``created`` and ``updated`` are all the instant ``at``, spread
    round-robin over ``issues`` issues that already hold worklogs started before it; returns their ids.

    The issues are taken evenly from all candidates in id order, so they span projects. ``at`` may
    be no later than the world clock minus five minutes (the store's rule for every stamp).
    """
    if count < 1 or issues < 1:
        raise ValueError("a bulk import adds at least one worklog to at least one issue")
    at_ms = epoch_ms(at)
    now = datetime.fromisoformat(read_meta(conn)["now"])
    if at_ms > epoch_ms(now - QUIET_PERIOD):
        raise ValueError(f"a bulk import at {at.isoformat()} is later than the world clock {now.isoformat()} - 5 min")
    templates: dict[int, list[dict]] = defaultdict(list)
    for issue_id, body in conn.execute(
        "select issue_id, body from jira_worklog where json_extract(body, '$.started') <= ? order by issue_id, id",
        (at_ms,),
    ):
        templates[issue_id].append(json.loads(body))
    candidates = sorted(templates)
    if len(candidates) < issues:
        raise ValueError(f"only {len(candidates)} issues hold worklogs started before {at.isoformat()}")
    chosen = [candidates[i * len(candidates) // issues] for i in range(issues)]
    next_id = 1 + max(
        conn.execute("select coalesce(max(id), 0) from jira_worklog").fetchone()[0],
        conn.execute("select coalesce(max(id), 0) from jira_worklog_deleted").fetchone()[0],
    )
    added: list[int] = []
    spent: dict[int, int] = defaultdict(int)
    with conn:
        for n in range(count):
            issue_id = chosen[n % issues]
            template = templates[issue_id][(n // issues) % len(templates[issue_id])]
            worklog_id = next_id + n
            seconds = template["timeSpentSeconds"]
            body = {
                "self": f"{BASE_URL_PLACEHOLDER}/rest/api/3/issue/{issue_id}/worklog/{worklog_id}",
                "author": template["author"],
                "updateAuthor": template["author"],
                "created": at_ms,
                "updated": at_ms,
                "started": template["started"],
                "timeSpent": time_spent_text(seconds),
                "timeSpentSeconds": seconds,
                "id": str(worklog_id),
                "issueId": str(issue_id),
            }
            conn.execute(INSERT_JIRA_WORKLOG, (worklog_id, issue_id, at_ms, dumps(body)))
            spent[issue_id] += seconds
            added.append(worklog_id)
        for issue_id, seconds in spent.items():
            (text,) = conn.execute("select body from jira_issue where id = ?", (issue_id,)).fetchone()
            issue = json.loads(text)
            fields = issue["fields"]
            fields["timespent"] = (fields["timespent"] or 0) + seconds
            fields["updated"] = max(fields["updated"], at_ms)
            conn.execute(
                "update jira_issue set updated_ms = ?, body = ? where id = ?",
                (fields["updated"], dumps(issue), issue_id),
            )
    return added
