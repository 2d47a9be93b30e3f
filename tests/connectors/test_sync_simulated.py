"""Acceptance tests of the sync against the simulated enterprise: real HTTP on 127.0.0.1, real Parquet.

Every test compares what landed with the world's own records (``world.counts()``,
``changes_since``, ``deleted_since``), never with what the connector says it did.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from connectors.engine import EntityResult
from connectors.finance import FINANCE_ENTITIES, sync_finance
from connectors.http import HttpPolicy, SourceError
from connectors.jira import JIRA_ENTITIES, JiraClient, JiraConfig, sync_jira
from connectors.landing import RawLanding
from connectors.servicenow import SERVICENOW_TABLES, ServiceNowClient, ServiceNowConfig, sync_servicenow
from tests.connectors.clients import TEST_POLICY, jira_for, servicenow_for

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("sync_child.py")
INCREMENTAL = [f"jira/{e}" for e in ("issues", "issue_changelogs", "worklogs")] + [
    f"servicenow/{t}" for t in SERVICENOW_TABLES
]


def sync_all(
    sims, landing: RawLanding, *, full: bool = False, policy: HttpPolicy = TEST_POLICY, batch_rows: int = 50_000
) -> dict[str, EntityResult]:
    results = sync_jira(jira_for(sims, policy), landing, full=full, batch_rows=batch_rows)
    results += sync_servicenow(servicenow_for(sims, policy), landing, full=full, batch_rows=batch_rows)
    return {f"{r.source}/{r.entity}": r for r in results}


def live_counts(landing: RawLanding) -> dict[str, int]:
    counts = {f"jira/{e}": len(landing.live_keys("jira", e)) for e in JIRA_ENTITIES}
    counts.update({f"servicenow/{t}": len(landing.live_keys("servicenow", t)) for t in SERVICENOW_TABLES})
    return counts


def batch_set(landing: RawLanding) -> set[Path]:
    return {p for p in landing.root.rglob("batch-*.parquet")}


def landed_in_run(landing: RawLanding, before: set[Path], entity: str) -> tuple[set[str], set[str]]:
    """(live keys, tombstoned keys) written by batch files that appeared after ``before``."""
    source, name = entity.split("/")
    live, gone = set(), set()
    for path in landing.batch_files(source, name):
        if path in before:
            continue
        table = pq.read_table(path, columns=["natural_key", "is_deleted"])
        for key, deleted in zip(table.column(0).to_pylist(), table.column(1).to_pylist(), strict=True):
            (gone if deleted else live).add(key)
    return live, gone


def latest_records(landing: RawLanding, source: str, entity: str, base_urls: tuple[str, ...] = ()) -> dict[str, str]:
    """Staging's view: the latest version per key, tombstones dropped, as record JSON.

    ``base_urls`` are replaced by a placeholder: two simulator runs listen on different ports,
    and Jira's ``self`` links carry the site URL.
    """
    table = landing.read(source, entity)
    best: dict[str, tuple] = {}
    for key, updated, batch, deleted, record in zip(
        table.column("natural_key").to_pylist(),
        table.column("source_updated_at").to_pylist(),
        table.column("batch_id").to_pylist(),
        table.column("is_deleted").to_pylist(),
        table.column("record").to_pylist(),
        strict=True,
    ):
        rank = (updated.isoformat() if updated else "", batch)
        if key not in best or rank >= best[key][0]:
            best[key] = (rank, deleted, record)
    out = {}
    for key, (_, deleted, record) in best.items():
        if deleted:
            continue
        for url in base_urls:
            record = record.replace(url, "<site>")
        out[key] = record
    return out


@pytest.fixture
def advancing_sims(world_path: Path, tmp_path: Path):
    from simulators import start_simulators
    from simulators.world import World

    world = World.open(world_path)
    with start_simulators(world_path, finance_dir=tmp_path / "drop") as sims:
        yield world, sims
    world.close()


def test_full_sync_lands_every_record_and_a_second_sync_lands_nothing(small_sims, small_world_path, tmp_path):
    from simulators.world import World

    landing = RawLanding(tmp_path / "raw")
    first = sync_all(small_sims, landing)
    with World.open(small_world_path) as world:
        expected = world.counts()
    counts = live_counts(landing)
    assert counts == {k: expected[k] for k in counts}
    assert all(counts[k] > 0 for k in counts), "every entity of the small world has records"
    assert first["jira/issues"].records == expected["jira/issues"]
    assert first["jira/issues"].watermark is not None

    second = sync_all(small_sims, landing)
    assert {k: (r.records, r.tombstones) for k, r in second.items()} == {k: (0, 0) for k in second}
    assert second["jira/issues"].skipped_unchanged > 0  # the overlap window was re-read and skipped
    for source, entities in (("jira", JIRA_ENTITIES), ("servicenow", SERVICENOW_TABLES)):
        for entity in entities:
            assert landing.batch_files(source, entity), f"{source}/{entity} has no batch file"


def test_incremental_after_a_day_lands_exactly_the_changes(advancing_sims, tmp_path):
    world, sims = advancing_sims
    landing = RawLanding(tmp_path / "raw")
    sync_all(sims, landing)
    previous_now = world.now
    summary = world.advance(1)
    assert summary is not None
    before = batch_set(landing)
    results = sync_all(sims, landing)
    changed = world.changes_since(previous_now)
    deleted = world.deleted_since(previous_now)
    assert sum(len(changed[e]) for e in INCREMENTAL) > 0
    for entity in INCREMENTAL:
        live, _ = landed_in_run(landing, before, entity)
        assert live == changed[entity], entity
        assert results[entity].records == len(changed[entity]), entity
    _, worklog_tombstones = landed_in_run(landing, before, "jira/worklogs")
    assert worklog_tombstones == deleted["jira/worklogs"]
    assert deleted["jira/worklogs"], "a day of work deletes some worklogs"


def test_full_sync_after_deletions_tombstones_exactly_the_deleted_keys(advancing_sims, tmp_path):
    world, sims = advancing_sims
    landing = RawLanding(tmp_path / "raw")
    sync_all(sims, landing)
    live_before = {e: (landing.live_keys(*e.split("/"))) for e in INCREMENTAL}
    previous_now = world.now
    world.advance(1)
    deleted = world.deleted_since(previous_now)
    before = batch_set(landing)
    sync_all(sims, landing, full=True)
    entities = ["jira/issues"] + [f"servicenow/{t}" for t in SERVICENOW_TABLES]
    assert any(deleted[e] & live_before[e] for e in entities), "the day deleted something that had landed"
    for entity in entities:
        _, tombstones = landed_in_run(landing, before, entity)
        assert tombstones == deleted[entity] & live_before[entity], entity
    assert live_counts(landing) == {k: v for k, v in world.counts().items() if k in live_counts(landing)}


def test_faults_on_both_servers_change_nothing_that_lands(small_sims, small_world_path, tmp_path):
    from simulators import FaultConfig, start_simulators

    clean = RawLanding(tmp_path / "clean")
    sync_all(small_sims, clean)
    faults = FaultConfig(rate=0.1, seed=3, retry_after_seconds=1, slow_seconds=0.2)
    faulty = RawLanding(tmp_path / "faulty")
    with start_simulators(small_world_path, jira_faults=faults, servicenow_faults=faults) as sims:
        results = sync_all(sims, faulty)
        stats = sims.stats()
        faulty_urls = (sims.jira_url, sims.servicenow_url)
    for source, entities in (("jira", JIRA_ENTITIES), ("servicenow", SERVICENOW_TABLES)):
        for entity in entities:
            assert latest_records(faulty, source, entity, faulty_urls) == latest_records(
                clean, source, entity, (small_sims.jira_url, small_sims.servicenow_url)
            ), entity
    assert sum(r.retries for k, r in results.items() if k.startswith("jira/")) > 0
    assert sum(r.retries for k, r in results.items() if k.startswith("servicenow/")) > 0
    assert stats["jira"] and stats["servicenow"]


def _child_env(sims, **extra: str) -> dict[str, str]:
    env = {**os.environ, "PWH_TEST_SIMS": sims.as_json(), **extra}
    return env


def test_a_killed_sync_leaves_whole_batches_and_the_next_sync_completes(small_sims, small_world_path, tmp_path):
    from simulators.world import World

    landing = RawLanding(tmp_path / "raw")
    child = subprocess.Popen(
        [sys.executable, str(CHILD), "--landing", str(landing.root), "--batch-rows", "40"],
        env=_child_env(small_sims),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            real = [p for p in landing.root.rglob("batch-*.parquet") if not p.name.endswith("-empty.parquet")]
            if real:
                break
            time.sleep(0.01)
        assert child.poll() is None, "the sync finished before it could be killed; use smaller batches"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    for path in landing.root.rglob("batch-*.parquet"):
        pq.read_table(path)  # every visible batch is whole
    stale = landing.entity_dir("jira", "issues") / ".batch-killed.parquet.tmp"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"half a batch")
    sync_all(small_sims, landing, batch_rows=40)
    assert not list(landing.root.rglob(".batch-*.tmp"))
    with World.open(small_world_path) as world:
        expected = world.counts()
    counts = live_counts(landing)
    assert counts == {k: expected[k] for k in counts}


def test_jira_sync_from_kiritimati_against_a_los_angeles_user_misses_nothing(world_path, tmp_path):
    from simulators import start_simulators
    from simulators.world import World

    landing = tmp_path / "raw"
    env_tz = {"TZ": "Pacific/Kiritimati"}
    with World.open(world_path) as world, start_simulators(world_path, jira_timezone="America/Los_Angeles") as sims:
        me = jira_for(sims).myself()
        assert me["timeZone"] == "America/Los_Angeles"
        command = [sys.executable, str(CHILD), "--landing", str(landing), "--sources", "jira"]
        subprocess.run(command, env=_child_env(sims, **env_tz), check=True, capture_output=True, timeout=300)
        previous_now = world.now
        world.advance(1)
        before = batch_set(RawLanding(landing))
        done = subprocess.run(
            command, env=_child_env(sims, **env_tz), check=True, capture_output=True, text=True, timeout=300
        )
        changed = world.changes_since(previous_now)
    assert json.loads(done.stdout)["results"]
    for entity in ("jira/issues", "jira/issue_changelogs", "jira/worklogs"):
        live, _ = landed_in_run(RawLanding(landing), before, entity)
        assert live == changed[entity], entity
    assert changed["jira/issues"]


def test_finance_exports_load_with_every_broken_row_rejected_once(small_world_path, tmp_path):
    from simulators.world import World

    drop = tmp_path / "drop"
    landing = RawLanding(tmp_path / "raw")
    with World.open(small_world_path) as world:
        files = world.write_finance_exports(drop)
        broken = world.finance_broken_rows()
        gl_truth = {
            (f, line): amount
            for f, line, amount in world.conn.execute("select export_file, export_line, amount from fin_gl_line")
        }
    results = {r.entity: r for r in sync_finance(drop, landing, settle_seconds=0)}
    assert results["files"].files == len(files) > 0
    loaded = {
        json.loads(r)["file_name"]: json.loads(r) for r in landing.read("finance", "files").column("record").to_pylist()
    }
    assert set(loaded) == {p.name for p in files}
    assert all(f["status"] == "loaded" and f["rows"] > 0 for f in loaded.values()), loaded
    rejects = [json.loads(r) for r in landing.read("finance", "finance_rejects").column("record").to_pylist()]
    assert sorted((r["file_name"], r["line"]) for r in rejects) == sorted((f, line) for f, line, _ in broken)
    assert all(r["reason"] and r["raw_text"] for r in rejects)
    # The warehouse's rule: per company × fiscal year × fiscal period only the rows of the newest
    # file holding it; files that arrive together are ordered by the export date in their name.
    gl = [json.loads(r) for r in landing.read("finance", "gl_actuals").column("record").to_pylist()]
    newest: dict[tuple[str, int, int], tuple[str, str]] = {}
    for row in gl:
        period = (row["company_code"], row["fiscal_year"], row["fiscal_period"])
        stamp = (re.search(r"(?<!\d)\d{8}(?!\d)", row["file_name"]).group(0), row["file_name"])
        newest[period] = max(newest.get(period, stamp), stamp)
    current = {
        (r["file_name"], r["line"]): Decimal(r["amount"])
        for r in gl
        if newest[(r["company_code"], r["fiscal_year"], r["fiscal_period"])][1] == r["file_name"]
    }
    assert current == {k: Decimal(v) for k, v in gl_truth.items()}
    assert len(gl) > len(current), "the world's exports include a corrected re-export"

    again = {r.entity: r for r in sync_finance(drop, landing, settle_seconds=0)}
    assert sum(again[e].records for e in FINANCE_ENTITIES) == 0
    assert again["files"].skipped_unchanged == len(files)

    # The same bytes under another name load nothing; a re-export with other bytes loads as a new file.
    from connectors.finance.reader import hash_and_sniff_encoding

    original = next(p for p in files if hash_and_sniff_encoding(p)[1].startswith("utf-8"))
    (drop / original.name.replace(".csv", "_copy.csv")).write_bytes(original.read_bytes())
    corrected = drop / original.name.replace(".csv", "_corrected.csv")
    corrected.write_bytes(original.read_bytes().rstrip(b"\r\n") + b"\r\n\r\n")
    third = {r.entity: r for r in sync_finance(drop, landing, settle_seconds=0)}
    assert third["files"].skipped_unchanged == len(files) + 1
    assert third["files"].files == 1
    entity = loaded[original.name]["kind"]
    assert third[entity].records == loaded[original.name]["rows"] > 0
    assert third[entity].records + third["finance_rejects"].records == (
        loaded[original.name]["rows"] + loaded[original.name]["rejects"]
    )


def test_secrets_never_reach_logs_errors_or_parquet(small_sims, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    landing = RawLanding(tmp_path / "raw")
    sync_all(small_sims, landing)
    secrets = (small_sims.jira_api_token, small_sims.servicenow_password)
    for path in landing.root.rglob("batch-*.parquet"):
        text = "\n".join(v or "" for v in pq.read_table(path, columns=["record"]).column(0).to_pylist())
        assert not any(s in text for s in secrets), path
    bad_jira = JiraClient(
        JiraConfig(small_sims.jira_url, small_sims.jira_email, "wrong-" + secrets[0]), policy=TEST_POLICY
    )
    with pytest.raises(SourceError) as caught:
        sync_jira(bad_jira, landing)
    for text in (str(caught.value), repr(caught.value), repr(bad_jira), caplog.text):
        assert not any(s in text for s in secrets)


def test_401_from_either_source_names_it(small_sims, tmp_path):
    landing = RawLanding(tmp_path / "raw")
    jira = JiraClient(JiraConfig(small_sims.jira_url, small_sims.jira_email, "not-the-token"), policy=TEST_POLICY)
    with pytest.raises(SourceError) as caught:
        sync_jira(jira, landing)
    assert caught.value.source == "Jira" and caught.value.status == 401
    assert "Jira answered 401" in str(caught.value) and "JIRA_API_TOKEN" in str(caught.value)
    sn = ServiceNowClient(
        ServiceNowConfig(small_sims.servicenow_url, small_sims.servicenow_user, "nope"), policy=TEST_POLICY
    )
    with pytest.raises(SourceError) as caught:
        sync_servicenow(sn, landing)
    assert caught.value.source == "ServiceNow" and caught.value.status == 401
    assert "ServiceNow answered 401" in str(caught.value) and "SERVICENOW_PASSWORD" in str(caught.value)
    # Nothing was written for a source that could not authenticate, but readers still find tables.
    assert all(len(landing.batch_files("jira", e)) == 1 for e in JIRA_ENTITIES)
