"""The sync log: every attempt of every entity, succeeded, failed or not configured, under its run.

The landing holds data; the log is what tells a BI user that Jira last synced at 02:00 and why it
failed at 02:00 the night after (docs/internals.md "Sync log").
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from connectors.finance import FINANCE_ENTITIES, sync_finance
from connectors.finance.reader import export_date_from_name
from connectors.http import HttpPolicy, SourceError
from connectors.jira import JIRA_ENTITIES, JiraClient, JiraConfig, sync_jira
from connectors.landing import RawLanding
from connectors.sync_log import SyncAttempt, SyncLog

QUICK = HttpPolicy(connect_timeout=1, max_attempts=2, backoff_base=0.01, backoff_max=0.01, retry_budget_seconds=2)


def attempts(landing: RawLanding) -> list[dict]:
    return SyncLog(landing.root).read().to_pylist()


def test_a_source_that_cannot_be_reached_logs_every_entity_as_failed_with_the_reason(tmp_path: Path) -> None:
    landing = RawLanding(tmp_path / "raw")
    client = JiraClient(JiraConfig("http://127.0.0.1:9", "me@example.com", "token-123"), policy=QUICK)

    with pytest.raises(SourceError) as caught:
        sync_jira(client, landing, run_id="night-1")

    rows = attempts(landing)
    assert [(r["entity"], r["status"], r["run_id"]) for r in rows] == [(e, "failed", "night-1") for e in JIRA_ENTITIES]
    assert {r["detail"] for r in rows} == {caught.value.message}
    assert "JIRA_URL" in rows[0]["detail"] and "token-123" not in rows[0]["detail"]
    assert all(r["started_at"] <= r["finished_at"] for r in rows)


def test_a_successful_sync_logs_what_each_entity_landed(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "fx_rates_2026_20260105.csv").write_text("period,currency,rate_to_reporting\n2026-01,EUR,1.1\n")
    landing = RawLanding(tmp_path / "raw")

    results = sync_finance(drop, landing, settle_seconds=0, run_id="night-2")
    again = sync_finance(drop, landing, settle_seconds=0)  # nothing new: still an attempt, still logged

    rows = attempts(landing)
    first = [r for r in rows if r["run_id"] == "night-2"]
    assert [(r["entity"], r["status"], r["records"]) for r in first] == [
        (e, "succeeded", next(x.records for x in results if x.entity == e)) for e in FINANCE_ENTITIES
    ]
    assert dict((r["entity"], r["records"]) for r in first)["fx_rates"] == 1
    second = [r for r in rows if r["run_id"] != "night-2"]
    assert len(second) == len(FINANCE_ENTITIES) and all(r["records"] == 0 for r in second)
    assert all(r["run_id"].startswith("manual-") for r in second)  # a sync outside Dagster still has a run
    assert [x.records for x in again] == [0] * len(FINANCE_ENTITIES)


def test_a_missing_drop_folder_is_a_failed_attempt_naming_the_variable(tmp_path: Path) -> None:
    landing = RawLanding(tmp_path / "raw")
    with pytest.raises(Exception, match="FINANCE_EXPORT_DIR"):
        sync_finance(tmp_path / "nowhere", landing, settle_seconds=0, run_id="night-3")
    rows = attempts(landing)
    assert {r["status"] for r in rows} == {"failed"} and len(rows) == len(FINANCE_ENTITIES)
    assert all("FINANCE_EXPORT_DIR" in r["detail"] for r in rows)


def test_finance_files_record_arrival_export_date_and_run(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    header = "period,currency,rate_to_reporting\n"
    (drop / "fx_rates_a_20260105.csv").write_text(header + "2026-01,EUR,1.1\n")
    (drop / "fx_rates_b.csv").write_text(header + "2026-01,GBP,1.3\n")
    landing = RawLanding(tmp_path / "raw")
    before = datetime.now(UTC)

    sync_finance(drop, landing, settle_seconds=0, run_id="night-4")

    files = {
        json.loads(r)["file_name"]: json.loads(r) for r in landing.read("finance", "files").column("record").to_pylist()
    }
    a, b = files["fx_rates_a_20260105.csv"], files["fx_rates_b.csv"]
    assert a["arrived_at"] == b["arrived_at"]  # one sync, one arrival: files that came together
    assert datetime.fromisoformat(a["arrived_at"]) >= before
    assert (a["export_date"], b["export_date"]) == ("2026-01-05", None)
    assert a["run_id"] == b["run_id"] == "night-4"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gl_actuals_DE01_20260406.csv", date(2026, 4, 6)),
        ("gl_actuals_DE01_20260406_corrected.csv", date(2026, 4, 6)),
        ("gl_actuals_2026-04-06.csv", date(2026, 4, 6)),
        ("gl_actuals_1000_2026-03_20260406.csv", date(2026, 4, 6)),  # the last date in the name
        ("gl_actuals_2026H1.csv", None),
        ("gl_actuals_20261340.csv", None),  # not a date
        ("gl_actuals_1202604061.csv", None),  # part of a longer number
    ],
)
def test_the_export_date_is_the_last_real_date_in_the_name(name: str, expected: date | None) -> None:
    assert export_date_from_name(name) == expected


def test_attempts_need_a_known_status_and_time_zones() -> None:
    now = datetime.now(UTC)
    with pytest.raises(ValueError, match="status"):
        SyncAttempt("r", "jira", "issues", now, now, "done")
    with pytest.raises(ValueError, match="time zone"):
        SyncAttempt("r", "jira", "issues", now.replace(tzinfo=None), now, "failed")
