"""Worklogs that share one updated instant, as a bulk import or migration leaves them (issue 17, point 7).

Jira's ``/worklog/updated`` cannot page past an instant that a full page of 1000 worklogs shares;
the connector reads that instant per issue (``/issue/{id}/worklog``, paged) and goes on. Against the
simulated site (real HTTP on 127.0.0.1, real Parquet), every worklog must land exactly once, and
what landed is compared with the world's own records, never with what the connector says it did.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from scripted_http import Answer, ScriptedServer

from connectors.http import HttpPolicy, SourceError
from connectors.jira import JiraClient, JiraConfig, sync_jira
from connectors.landing import RawLanding
from tests.connectors.clients import jira_for

BULK = 2500
# Small pages, so each bulk issue (500 worklogs of the instant) takes several /issue/{id}/worklog pages.
PAGE = 200


def live_rows(landing: RawLanding) -> Counter[str]:
    """Non-tombstone worklog rows landed per key, in every batch (a version landed twice counts 2)."""
    table = landing.read("jira", "worklogs", columns=["natural_key", "is_deleted"])
    return Counter(
        key
        for key, deleted in zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True)
        if not deleted
    )


def world_worklogs(world) -> dict[str, int]:
    return {str(i): updated for i, updated in world.conn.execute("select id, updated_ms from jira_worklog")}


def sync_worklogs(sims, landing: RawLanding, *, full: bool = False):
    (result,) = sync_jira(
        jira_for(sims, issue_worklog_page_size=PAGE), landing, entities=["worklogs"], full=full, batch_rows=700
    )
    return result


@pytest.fixture
def bulk_world(world_path: Path):
    from simulators.world import World

    world = World.open(world_path)
    yield world
    world.close()


def test_a_bulk_imported_instant_is_read_per_issue_and_every_worklog_lands_once(bulk_world, tmp_path):
    from simulators import start_simulators

    world = bulk_world
    instant = world.now - timedelta(days=2, minutes=5) + timedelta(milliseconds=900)
    instant_ms = round(instant.timestamp() * 1000)
    imported = set(world.bulk_import_worklogs(BULK, instant, issues=5))
    landing = RawLanding(tmp_path / "raw")
    with start_simulators(world.path) as sims:
        full = sync_worklogs(sims, landing, full=True)
        expected = world_worklogs(world)
        rows = live_rows(landing)
        assert set(rows) == set(expected) and len(rows) == len(expected)
        assert max(rows.values()) == 1, "a worklog landed twice"
        assert imported <= set(rows)
        at_instant = {key for key, updated in expected.items() if updated == instant_ms}
        assert len(at_instant) >= BULK and imported <= at_instant
        later = {key for key, updated in expected.items() if updated > instant_ms}
        assert later and later <= set(rows), "worklogs updated after the instant land too"
        assert full.records == len(expected)
        (warning,) = full.warnings
        assert "2026-06-28T17:55:00.900000+00:00" in warning
        assert f"read {len(at_instant)} worklogs of that instant per issue from 5 issues" in warning

        again = sync_worklogs(sims, landing)
        assert (again.records, again.tombstones) == (0, 0)
        assert live_rows(landing) == rows

        previous_now = world.now
        world.advance(1)
        changed = world.changes_since(previous_now)["jira/worklogs"]
        deleted = world.deleted_since(previous_now)["jira/worklogs"]
        next_day = sync_worklogs(sims, landing)
    assert changed and next_day.records == len(changed)
    assert next_day.tombstones == len(deleted)
    assert set(landing.live_keys("jira", "worklogs")) == set(world_worklogs(world))


def test_an_import_at_the_incremental_cursor_lands_once_and_the_next_sync_lands_nothing(bulk_world, tmp_path):
    """The night of issue 17: the import is the newest thing on the site, where the cursor starts."""
    from simulators import start_simulators

    world = bulk_world
    landing = RawLanding(tmp_path / "raw")
    with start_simulators(world.path) as sims:
        sync_worklogs(sims, landing)
        before = set(live_rows(landing))
        # The latest instant a world may stamp; a few worklogs the generator stamped 900 ms later
        # have landed already, so the cursor window holds the instant and something after it.
        instant = world.now - timedelta(minutes=5)
        newest = world.conn.execute("select max(updated_ms) from jira_worklog").fetchone()[0]
        assert newest > round(instant.timestamp() * 1000)
        imported = set(world.bulk_import_worklogs(BULK, instant, issues=4))

        first = sync_worklogs(sims, landing)
        assert first.records == BULK
        assert set(live_rows(landing)) == before | imported
        assert max(live_rows(landing).values()) == 1
        (warning,) = first.warnings
        assert f"read {BULK} worklogs of that instant per issue from 4 issues" in warning

        # The cursor is the instant minus the overlap, so the next sync meets it again: read per
        # issue again, and every version it reads has landed already.
        second = sync_worklogs(sims, landing)
        assert (second.records, second.tombstones) == (0, 0)
        assert second.warnings and "per issue" in second.warnings[0]
        assert second.skipped_unchanged >= BULK

        previous_now = world.now
        world.advance(1)
        changed = world.changes_since(previous_now)["jira/worklogs"]
        # This sync still starts before the instant (the cursor is what had landed), so it meets it
        # once more; the one after starts past it.
        third = sync_worklogs(sims, landing)
        fourth = sync_worklogs(sims, landing)
    assert changed and third.records == len(changed)
    assert (fourth.records, fourth.warnings) == (0, [])
    assert set(landing.live_keys("jira", "worklogs")) == set(world_worklogs(world))


FAST = HttpPolicy(max_attempts=2, backoff_base=0.01, backoff_max=0.01, retry_budget_seconds=10)


def worklog(worklog_id: int, issue_id: int, updated: str = "1970-01-01T00:00:05.000+0000") -> dict:
    return {"id": str(worklog_id), "issueId": str(issue_id), "updated": updated}


def test_issues_jql_did_not_find_are_read_from_the_page_and_named() -> None:
    """A site that did not move an issue's updated time with its worklogs: the issues of the
    worklogs the feed listed are read anyway, and the warning says others may be missing."""
    stuck = {
        "values": [{"worklogId": i, "updatedTime": 5000} for i in (1, 2, 3)],
        "since": 5000,
        "until": 5000,
        "lastPage": False,
        "nextPage": "https://x/rest/api/3/worklog/updated?since=5000",
    }
    answers = [
        Answer(200, stuck),
        Answer(200, [worklog(1, 70), worklog(2, 70), worklog(3, 80)]),
        Answer(200, {"issues": [{"id": "70"}, {"id": "90"}], "isLast": True}),
        # issue 70: two pages, served 2 at a time although 5000 were asked for
        Answer(200, {"startAt": 0, "maxResults": 2, "total": 3, "worklogs": [worklog(1, 70), worklog(2, 70)]}),
        Answer(200, {"startAt": 2, "maxResults": 2, "total": 3, "worklogs": [worklog(4, 70)]}),
        # issue 90 was deleted meanwhile
        Answer(404, {"errorMessages": ["Issue does not exist or you do not have permission to see it."]}),
        # issue 80, found from the feed's page only; worklog 6 is of another instant
        Answer(
            200,
            {
                "startAt": 0,
                "maxResults": 5000,
                "total": 2,
                "worklogs": [worklog(3, 80), worklog(6, 80, "1970-01-01T00:00:05.001+0000")],
            },
        ),
        Answer(
            200, {"values": [{"worklogId": 6, "updatedTime": 5001}], "since": 5001, "until": 5001, "lastPage": True}
        ),
        Answer(200, [worklog(6, 80, "1970-01-01T00:00:05.001+0000")]),
    ]
    with ScriptedServer(answers) as server:
        jira = JiraClient(JiraConfig(server.url, "me@example.com", "tok"), policy=FAST)
        batches = list(jira.worklogs(datetime.fromtimestamp(5, tz=UTC)))
    ids = [w["id"] for batch in batches for w in batch]
    assert ids == ["1", "2", "3", "1", "2", "4", "3", "6"]  # the instant's, oldest first, then what follows
    paths = [(s.method, s.path, s.query.get("startAt"), s.query.get("since")) for s in server.seen]
    assert paths[2][:2] == ("POST", "/rest/api/3/search/jql")
    assert server.seen[2].json()["jql"] == "updated >= 0 ORDER BY updated ASC, key ASC"
    assert server.seen[2].json()["fields"] == ["id"]
    assert paths[3:7] == [
        ("GET", "/rest/api/3/issue/70/worklog", ["0"], None),
        ("GET", "/rest/api/3/issue/70/worklog", ["2"], None),
        ("GET", "/rest/api/3/issue/90/worklog", ["0"], None),
        ("GET", "/rest/api/3/issue/80/worklog", ["0"], None),
    ]
    assert paths[7] == ("GET", "/rest/api/3/worklog/updated", None, ["5001"])
    (warning,) = jira.worklog_warnings
    assert "read 4 worklogs of that instant per issue from 2 issues" in warning
    assert "1 issues holding worklogs of that instant were not found by JQL" in warning and "(80)" in warning


def test_a_deletion_feed_that_cannot_advance_stays_an_error() -> None:
    """Deleted worklogs cannot be read per issue: the sync stops rather than miss deletions."""
    stuck = {
        "values": [{"worklogId": i, "updatedTime": 5000} for i in range(1000)],
        "since": 5000,
        "until": 5000,
        "lastPage": False,
    }
    with ScriptedServer([Answer(200, stuck)]) as server:
        jira = JiraClient(JiraConfig(server.url, "me@example.com", "tok"), policy=FAST)
        with pytest.raises(SourceError, match="cannot page past .* deleted worklogs cannot be read any other way"):
            list(jira.deleted_worklogs(datetime.fromtimestamp(5, tz=UTC)))
    assert len(server.seen) == 1
