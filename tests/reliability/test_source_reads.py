"""Reliability: what a source that lies, hides, redirects or runs fast must not do to the landing.

Each test reproduces one defect of the hardening issue against real HTTP on 127.0.0.1 — the
simulators where they can produce the behaviour, otherwise a scripted server
(tests/connectors/scripted_http.py) — and asserts what the landing holds afterwards.

- defect 4: one record dated five years ahead must not freeze the entity's incremental cursor;
- defect 5: a --full read that followed a redirect to another site, or that saw fewer rows than
  ServiceNow counted, must tombstone nothing and fail;
- defect 9: paging stops at a limit derived from the source's own count, and JIRA_JQL_SCOPE
  cannot escape the `updated` bound.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connectors.http import HttpPolicy, SourceConfigError, SourceError
from connectors.jira import JiraClient, JiraConfig, sync_jira
from connectors.landing import RawLanding
from connectors.servicenow import ServiceNowClient, ServiceNowConfig, sync_servicenow
from connectors.sync_log import SyncLog
from tests.connectors.clients import TEST_POLICY, servicenow_for
from tests.connectors.scripted_http import Answer, ScriptedServer

FAST = HttpPolicy(
    max_attempts=2, backoff_base=0.01, backoff_max=0.01, retry_budget_seconds=5, first_contact_budget_seconds=1
)


def jira(url: str, scope: str | None = None) -> JiraClient:
    return JiraClient(JiraConfig(url, "me@example.com", "tok", jql_scope=scope), policy=FAST)


def servicenow(url: str, page_size: int = 2000) -> ServiceNowClient:
    return ServiceNowClient(ServiceNowConfig(url, "integration", "pw"), policy=FAST, page_size=page_size)


def glide(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


# --- defect 4: clock skew --------------------------------------------------------------------------


def _set_updated(world: Path, table: str, sys_id: str, when: datetime) -> None:
    """Give one ServiceNow record of the simulated instance a new sys_updated_on, as an edit (or a
    wrong clock) at the source would."""
    with sqlite3.connect(world) as conn:
        body = json.loads(
            conn.execute("select body from sn_record where tbl = ? and sys_id = ?", (table, sys_id)).fetchone()[0]
        )
        body["sys_updated_on"] = glide(when)
        conn.execute(
            "update sn_record set sys_updated_on = ?, body = ? where tbl = ? and sys_id = ?",
            (glide(when), json.dumps(body), table, sys_id),
        )


def test_one_record_dated_years_ahead_does_not_freeze_the_incremental_cursor(world_path: Path, tmp_path: Path) -> None:
    from simulators import start_simulators

    with sqlite3.connect(world_path) as conn:
        skewed, edited = [
            row[0] for row in conn.execute("select sys_id from sn_record where tbl = 'risk' order by sys_id limit 2")
        ]
    now = datetime.now(UTC).replace(microsecond=0)
    _set_updated(world_path, "risk", skewed, now + timedelta(days=5 * 365))
    landing = RawLanding(tmp_path / "raw")
    with start_simulators(world_path) as sims:
        sync_servicenow(servicenow_for(sims, TEST_POLICY), landing, tables=["risk"])
        # A real edit at the source after that sync, then the next nightly incremental.
        _set_updated(world_path, "risk", edited, now - timedelta(hours=1))
        [result] = sync_servicenow(servicenow_for(sims, TEST_POLICY), landing, tables=["risk"])

    assert result.records == 1, "the edit made after the first sync did not land"
    latest = {
        row["natural_key"]: row["source_updated_at"]
        for row in landing.latest_versions("servicenow", "risk").to_pylist()
    }
    assert latest[edited] == now - timedelta(hours=1)
    [warning] = [w for w in result.warnings if "left out of the incremental cursor" in w]
    assert skewed in warning
    # ...and the warning reaches the sync log, from which kpi_data_quality reports it.
    logged = SyncLog(landing.root).read().to_pylist()[-1]
    assert logged["entity"] == "risk" and warning in logged["warnings"]


# --- defect 5: deletion detection only on a complete, trusted read ---------------------------------


def _issue(issue_id: str, key: str, updated: str) -> dict:
    return {
        "id": issue_id,
        "key": key,
        "fields": {
            "summary": key,
            "updated": updated,
            "created": updated,
            "project": {"id": "1", "key": key.split("-")[0]},
        },
    }


MYSELF = Answer(200, {"accountId": "me", "timeZone": "UTC"})
FIELDS = Answer(200, [{"id": "summary", "name": "Summary", "custom": False}])
NO_CHANGELOGS = Answer(200, {"issueChangeLogs": []})


def test_a_full_jira_read_redirected_to_another_site_tombstones_nothing(tmp_path: Path) -> None:
    real = [_issue(str(n), f"ABC-{n}", "2026-06-01T10:00:00.000+0000") for n in (1, 2, 3)]
    landing = RawLanding(tmp_path / "raw")
    with ScriptedServer() as other_site, ScriptedServer() as site:
        other_site.answers = [
            Answer(200, {"issues": [_issue("900", "XYZ-900", "2026-06-02T10:00:00.000+0000")], "isLast": True}),
        ]
        moved = other_site.url.replace("127.0.0.1", "localhost") + "/rest/api/3/search/jql"
        site.answers = [
            MYSELF,
            FIELDS,
            Answer(200, {"issues": real, "isLast": True}),
            NO_CHANGELOGS,  # first sync
            MYSELF,
            FIELDS,
            Answer(307, headers={"Location": moved}),
            NO_CHANGELOGS,  # --full
        ]
        sync_jira(jira(site.url), landing, entities=["issues"])
        with pytest.raises(SourceError) as caught:
            sync_jira(jira(site.url), landing, full=True, entities=["issues"])

    assert "JIRA_URL" in str(caught.value) and "another site" in str(caught.value)
    assert other_site.seen == [], "the other site was asked"
    assert landing.live_keys("jira", "issues") == {"1", "2", "3"}
    assert landing.read("jira", "issues").column("is_deleted").to_pylist().count(True) == 0


def test_a_full_servicenow_read_short_of_its_count_tombstones_nothing(tmp_path: Path) -> None:
    rows = [{"sys_id": sys_id, "sys_updated_on": "2026-06-01 10:00:00", "number": sys_id} for sys_id in "abc"]
    check = Answer(200, {"result": []})
    landing = RawLanding(tmp_path / "raw")
    with ScriptedServer(
        [
            check,
            Answer(200, {"result": rows}, headers={"X-Total-Count": "3"}),
            # ACLs now hide two of the three rows: the count still says 3
            check,
            Answer(200, {"result": rows[:1]}, headers={"X-Total-Count": "3"}),
            Answer(200, {"result": []}),
        ]
    ) as server:
        sync_servicenow(servicenow(server.url), landing, full=True, tables=["risk"])
        with pytest.raises(SourceError, match="saw 1 of the 3 records"):
            sync_servicenow(servicenow(server.url), landing, full=True, tables=["risk"])

    assert landing.live_keys("servicenow", "risk") == {"a", "b", "c"}
    last = SyncLog(landing.root).read().to_pylist()[-1]
    assert (last["entity"], last["status"], last["tombstones"]) == ("risk", "failed", 0)
    assert "no deletions were recorded" in last["detail"]


# --- defect 9: paging limits and the JQL scope ---------------------------------------------------


def test_servicenow_paging_stops_at_a_limit_derived_from_its_own_count(tmp_path: Path) -> None:
    def page(offset: int) -> Answer:
        link = (
            f"<https://instance.service-now.com/api/now/table/risk?sysparm_offset={offset + 2}"
            f'&sysparm_limit=2>;rel="next"'
        )
        rows = [{"sys_id": f"r{offset + n:04d}", "sys_updated_on": "2026-06-01 10:00:00"} for n in range(2)]
        return Answer(200, {"result": rows}, headers={"X-Total-Count": "4", "Link": link})

    # The instance counts 4 rows but keeps sending a next link, forever.
    answers = [Answer(200, {"result": []})] + [page(offset) for offset in range(0, 400, 2)]
    with ScriptedServer(answers) as server:
        with pytest.raises(SourceError) as caught:
            sync_servicenow(servicenow(server.url, page_size=2), RawLanding(tmp_path / "raw"), tables=["risk"])

    message = str(caught.value)
    assert "X-Total-Count of 4" in message and "stopping" in message
    pages_read = len(server.seen) - 1
    assert pages_read <= 10, f"read {pages_read} pages of 2 rows for a table that counts 4"


def test_a_jql_scope_that_closes_its_parenthesis_is_refused_before_any_search(tmp_path: Path) -> None:
    with ScriptedServer([MYSELF, FIELDS, Answer(200, {"issues": [], "isLast": True})]) as site:
        with pytest.raises(SourceConfigError, match="JIRA_JQL_SCOPE"):
            sync_jira(
                jira(site.url, scope="project = A) OR (project = B"), RawLanding(tmp_path / "raw"), entities=["issues"]
            )

    assert [s.path for s in site.seen if s.path.endswith("/search/jql")] == []
