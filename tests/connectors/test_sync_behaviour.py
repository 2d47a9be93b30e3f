"""Sync behaviour beyond the acceptance set: TLS, progress, locking, files still being written."""

from __future__ import annotations

import json
import multiprocessing
import threading
import time
from pathlib import Path

import pytest

from connectors.finance import sync_finance
from connectors.http import SourceError
from connectors.jira import sync_jira
from connectors.landing import LandingBusy, RawLanding
from connectors.servicenow import ServiceNowClient, ServiceNowConfig, sync_servicenow
from tests.connectors.clients import TEST_POLICY, jira_for, servicenow_for


def test_tls_with_the_simulators_ca_bundle_and_without_it(small_world_path: Path, tmp_path: Path) -> None:
    from simulators import start_simulators

    landing = RawLanding(tmp_path / "raw")
    with start_simulators(small_world_path, tls=True) as sims:
        assert sims.servicenow_url.startswith("https://") and sims.ca_bundle is not None
        results = sync_servicenow(servicenow_for(sims), landing, tables=["pm_project"])
        assert results[0].records == len(landing.live_keys("servicenow", "pm_project")) > 0
        untrusted = ServiceNowClient(
            ServiceNowConfig(sims.servicenow_url, sims.servicenow_user, sims.servicenow_password),
            policy=TEST_POLICY,
        )
        with pytest.raises(SourceError) as caught:
            untrusted.check()
    assert "TLS" in str(caught.value) and caught.value.source == "ServiceNow"
    assert sims.servicenow_password not in str(caught.value)


def test_progress_reports_running_totals_per_entity(small_sims, tmp_path: Path) -> None:
    seen: dict[str, list[int]] = {}
    landing = RawLanding(tmp_path / "raw")
    sync_servicenow(
        servicenow_for(small_sims),
        landing,
        tables=["time_card", "risk"],
        batch_rows=200,
        progress=lambda entity, n: seen.setdefault(entity, []).append(n),
    )
    cards = len(landing.live_keys("servicenow", "time_card"))
    assert seen["servicenow/time_card"] == sorted(seen["servicenow/time_card"])
    assert seen["servicenow/time_card"][-1] == cards and len(seen["servicenow/time_card"]) > 1
    assert seen["servicenow/risk"][-1] == len(landing.live_keys("servicenow", "risk"))


def _hold_lock(root: str, ready, release) -> None:
    landing = RawLanding(root)
    with landing.lock("servicenow", ["risk"]):
        ready.set()
        release.wait(30)


def test_a_second_sync_of_the_same_entity_is_refused_not_interleaved(small_sims, tmp_path: Path) -> None:
    landing = RawLanding(tmp_path / "raw")
    context = multiprocessing.get_context("spawn")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(landing.root), ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        with pytest.raises(LandingBusy, match="servicenow/risk"):
            sync_servicenow(servicenow_for(small_sims), landing, tables=["risk"])
        # Other tables are not blocked by it.
        assert sync_servicenow(servicenow_for(small_sims), landing, tables=["pm_project"])[0].records > 0
    finally:
        release.set()
        holder.join(30)
    assert sync_servicenow(servicenow_for(small_sims), landing, tables=["risk"])[0].records > 0


def test_a_finance_file_still_being_written_waits_for_the_next_run(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    path = drop / "fx_rates_2026.csv"
    path.write_text("period,currency,rate_to_reporting\n2026-01,EUR,1.08\n")
    stop = threading.Event()

    def keep_writing() -> None:
        month = 2
        while not stop.is_set():
            with open(path, "a") as handle:
                handle.write(f"2026-{month % 12 + 1:02d},GBP,1.2{month}\n")
            month += 1
            time.sleep(0.05)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        time.sleep(0.1)
        results = {r.entity: r for r in sync_finance(drop, RawLanding(tmp_path / "raw"), settle_seconds=0.5)}
    finally:
        stop.set()
        writer.join()
    assert results["fx_rates"].records == 0 and results["files"].files == 0
    assert any("fx_rates_2026.csv: still being written" in w for w in results["files"].warnings)

    landing = RawLanding(tmp_path / "raw")
    later = {r.entity: r for r in sync_finance(drop, landing, settle_seconds=0.2)}
    lines = path.read_text().splitlines()
    assert later["fx_rates"].records == len(lines) - 1
    record = json.loads(landing.read("finance", "files").column("record").to_pylist()[-1])
    assert record["file_name"] == "fx_rates_2026.csv" and record["rows"] == len(lines) - 1


def test_a_finance_file_missing_a_column_is_one_reject_and_loads_nothing(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "gl_actuals_broken.csv").write_text("company_code,fiscal_year,amount\n1000,2026,5.00\n")
    landing = RawLanding(tmp_path / "raw")
    results = {r.entity: r for r in sync_finance(drop, landing, settle_seconds=0)}
    assert results["gl_actuals"].records == 0 and results["finance_rejects"].records == 1
    reject = json.loads(landing.read("finance", "finance_rejects").column("record").to_pylist()[0])
    assert reject["line"] == 1 and reject["file_name"] == "gl_actuals_broken.csv"
    assert reject["reason"].startswith("missing required columns fiscal_period, posting_date")
    files = json.loads(landing.read("finance", "files").column("record").to_pylist()[0])
    assert files["status"] == "rejected"
    # The same bytes again: recorded as seen, not rejected twice.
    again = {r.entity: r for r in sync_finance(drop, landing, settle_seconds=0)}
    assert again["finance_rejects"].records == 0 and again["files"].skipped_unchanged == 1


def test_jira_entities_can_be_synced_alone_and_unknown_ones_are_refused(small_sims, tmp_path: Path) -> None:
    landing = RawLanding(tmp_path / "raw")
    results = sync_jira(jira_for(small_sims), landing, entities=["worklogs"])
    assert [r.entity for r in results] == ["worklogs"] and results[0].records > 0
    assert landing.batch_files("jira", "issues")  # still readable: an empty batch
    with pytest.raises(ValueError, match="unknown Jira entities"):
        sync_jira(jira_for(small_sims), landing, entities=["comments"])


def test_issues_alone_still_land_their_changelogs(small_sims, small_world_path: Path, tmp_path: Path) -> None:
    from simulators.world import World

    landing = RawLanding(tmp_path / "raw")
    results = sync_jira(jira_for(small_sims), landing, entities=["issues"])
    assert [r.entity for r in results] == ["issues"]
    with World.open(small_world_path) as world:
        expected = world.counts()["jira/issue_changelogs"]
    assert len(landing.live_keys("jira", "issue_changelogs")) == expected > 0


def test_an_incomplete_full_read_fails_its_table_after_the_others_synced(tmp_path: Path) -> None:
    from connectors.sync_log import SyncLog
    from tests.connectors.scripted_http import Answer, ScriptedServer

    def rows(*ids: str) -> list[dict[str, str]]:
        return [{"sys_id": i, "sys_updated_on": "2026-06-01 10:00:00"} for i in ids]

    landing = RawLanding(tmp_path / "raw")
    answers = [
        Answer(200, {"result": []}),
        Answer(200, {"result": rows("p1")}, headers={"X-Total-Count": "2"}),  # pm_project: one row hidden
        Answer(200, {"result": []}),  # ... and no more after it
        Answer(200, {"result": rows("r1", "r2")}, headers={"X-Total-Count": "2"}),  # risk: complete
    ]
    with ScriptedServer(answers) as server:
        client = ServiceNowClient(ServiceNowConfig(server.url, "u", "p"), policy=TEST_POLICY)
        with pytest.raises(SourceError, match="servicenow/pm_project: the full read saw 1 of the 2"):
            sync_servicenow(client, landing, full=True, tables=["pm_project", "risk"])
    assert landing.live_keys("servicenow", "pm_project") == {"p1"}  # what it read still landed
    assert landing.live_keys("servicenow", "risk") == {"r1", "r2"}
    logged = {row["entity"]: row["status"] for row in SyncLog(landing.root).read().to_pylist()}
    assert logged == {"pm_project": "failed", "risk": "succeeded"}
