"""Versions, boards and sprints against the simulated Jira: real HTTP on 127.0.0.1, real Parquet.

What landed is compared with the world file itself (its versions, boards and sprints), never with
what the connector says it did; a page size of 3 makes every list take several pages.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from connectors.jira import sync_jira
from connectors.landing import RawLanding
from tests.connectors.clients import jira_for
from tests.connectors.scripted_http import Answer, ScriptedServer

AGILE = ["versions", "boards", "sprints"]


def world_ids(world: Path, table: str) -> list[str]:
    with sqlite3.connect(f"file:{world}?mode=ro", uri=True) as conn:
        return [str(row[0]) for row in conn.execute(f"select id from {table} order by id")]


def landed_rows(landing: RawLanding, entity: str) -> list[tuple[str, bool, dict | None]]:
    table = landing.read("jira", entity, columns=["natural_key", "is_deleted", "record"])
    return [
        (key, gone, None if text is None else json.loads(text))
        for key, gone, text in zip(
            table.column("natural_key").to_pylist(),
            table.column("is_deleted").to_pylist(),
            table.column("record").to_pylist(),
            strict=True,
        )
    ]


@pytest.fixture(scope="module")
def synced(small_sims, small_world_path: Path, tmp_path_factory: pytest.TempPathFactory):
    landing = RawLanding(tmp_path_factory.mktemp("agile") / "raw")
    client = jira_for(small_sims, list_page_size=3)
    results = {r.entity: r for r in sync_jira(client, landing, entities=["projects", *AGILE, "issues"])}
    return landing, results


@pytest.mark.parametrize(
    ("entity", "table"), [("versions", "jira_version"), ("boards", "jira_board"), ("sprints", "jira_sprint")]
)
def test_every_record_of_the_world_lands_exactly_once(synced, small_world_path: Path, entity: str, table: str) -> None:
    landing, results = synced
    rows = landed_rows(landing, entity)
    keys = [key for key, _, _ in rows]
    assert sorted(keys, key=int) == world_ids(small_world_path, table)
    assert len(keys) == len(set(keys)), "a record landed twice"
    assert results[entity].records == len(keys) and results[entity].tombstones == 0
    assert results[entity].warnings == []


def test_small_pages_are_followed_to_the_end(synced, small_world_path: Path) -> None:
    _, results = synced
    boards = len(world_ids(small_world_path, "jira_board"))
    assert results["boards"].pages == -(-boards // 3)  # /board counts (total): no extra page
    # one project or board needs several pages of 3
    assert results["versions"].pages > len(world_ids(small_world_path, "jira_project"))
    assert results["sprints"].pages > boards


def test_records_carry_what_staging_reads(synced) -> None:
    landing, _ = synced
    versions = [record for _, _, record in landed_rows(landing, "versions")]
    assert all({"id", "name", "released", "archived", "projectId"} <= set(v) for v in versions)
    assert any(v["released"] for v in versions) and any(not v["released"] for v in versions)
    assert all("releaseDate" in v for v in versions)
    boards = {str(b["id"]): b for _, _, b in landed_rows(landing, "boards")}
    assert {b["type"] for b in boards.values()} == {"scrum", "kanban"}
    sprints = [record for _, _, record in landed_rows(landing, "sprints")]
    assert {s["state"] for s in sprints} == {"closed", "active", "future"}
    assert all(boards[str(s["originBoardId"])]["type"] == "scrum" for s in sprints)


def test_issues_land_with_fix_versions_and_sprints_and_changelogs_with_sprint_changes(synced) -> None:
    landing, _ = synced
    fields = [record["fields"] for _, _, record in landed_rows(landing, "issues")]
    assert any(f["fixVersions"] for f in fields)
    assert any(f.get("customfield_10020") for f in fields)
    histories = [record for _, _, record in landed_rows(landing, "issue_changelogs")]
    fields_changed = {item.get("field") for h in histories for item in h["items"]}
    assert {"status", "Sprint"} <= fields_changed


def test_a_second_sync_lands_nothing_new(small_sims, synced) -> None:
    landing, _ = synced
    again = {r.entity: r for r in sync_jira(jira_for(small_sims, list_page_size=7), landing, entities=AGILE)}
    assert {e: (r.records, r.tombstones) for e, r in again.items()} == dict.fromkeys(AGILE, (0, 0))
    assert again["versions"].skipped_unchanged > 0


def test_kanban_boards_are_not_asked_and_a_board_refusing_sprints_is_skipped(tmp_path: Path) -> None:
    """Scrum and team-managed (``simple``) boards are asked, kanban ones are not; a board that answers
    400 all the same is a warning, not a failure."""
    from connectors.jira import JiraClient, JiraConfig

    answers = [
        Answer(200, {"maxResults": 50, "startAt": 0, "isLast": False, "values": [{"id": 1}, {"id": 2}]}),
        Answer(200, {"maxResults": 50, "startAt": 2, "isLast": True, "values": []}),
        Answer(200, {"maxResults": 50, "startAt": 0, "isLast": True, "values": [{"id": 3}]}),
        Answer(400, {"errorMessages": ["The board does not support sprints"]}),
    ]
    with ScriptedServer(answers) as server:
        client = JiraClient(JiraConfig(server.url, "me@example.com", "token"))
        boards = [("7", "scrum"), ("8", "kanban"), ("6", "simple"), ("9", None)]
        sprints = [s for page in client.sprints(boards) for s in page]
        seen = list(server.seen)
    assert [s["id"] for s in sprints] == [1, 2, 3]
    assert [s["originBoardId"] for s in sprints] == [7, 7, 6]
    assert [r.path for r in seen] == ["/rest/agile/1.0/board/7/sprint"] * 2 + [
        "/rest/agile/1.0/board/6/sprint",
        "/rest/agile/1.0/board/9/sprint",
    ]
    assert seen[1].query["startAt"] == ["2"]
    assert len(client.agile_warnings) == 1 and "board 9 answered 400" in client.agile_warnings[0]


def test_an_empty_page_that_is_not_the_last_is_an_error(tmp_path: Path) -> None:
    from connectors.http import SourceError
    from connectors.jira import JiraClient, JiraConfig

    answers = [Answer(200, {"maxResults": 50, "startAt": 0, "total": 9, "isLast": False, "values": []})]
    with ScriptedServer(answers) as server:
        client = JiraClient(JiraConfig(server.url, "me@example.com", "token"))
        with pytest.raises(SourceError, match="empty page at startAt=0 without isLast"):
            list(client.versions(["10000"]))


def _bodies(conn, table: str) -> dict[str, str]:
    return {str(key): body for key, body in conn.execute(f"select id, body from {table}")}


def _landed_after(landing: RawLanding, entity: str, before: set[Path]) -> set[str]:
    import pyarrow.parquet as pq

    keys: set[str] = set()
    for path in landing.batch_files("jira", entity):
        if path not in before:
            keys.update(pq.read_table(path, columns=["natural_key"]).column(0).to_pylist())
    return keys


def test_after_two_weeks_only_changed_versions_and_sprints_land(world_path: Path, tmp_path: Path) -> None:
    """Sprints close and start, versions are released and planned: the next sync lands exactly those."""
    from simulators import start_simulators
    from simulators.world import World

    landing = RawLanding(tmp_path / "raw")
    with World.open(world_path) as world, start_simulators(world_path) as sims:
        sync_jira(jira_for(sims, list_page_size=7), landing, entities=["projects", *AGILE])
        versions_served = {str(v["id"]): v for page in jira_for(sims).versions(_project_ids(world)) for v in page}
        sprints_before = _bodies(world.conn, "jira_sprint")
        boards_before = _bodies(world.conn, "jira_board")
        world.advance(15)
        sprints_after = _bodies(world.conn, "jira_sprint")
        versions_now = {str(v["id"]): v for page in jira_for(sims).versions(_project_ids(world)) for v in page}
        before = set(landing.root.rglob("batch-*.parquet"))
        results = {r.entity: r for r in sync_jira(jira_for(sims, list_page_size=7), landing, entities=AGILE)}
        assert _bodies(world.conn, "jira_board") == boards_before
    changed_sprints = {k for k, body in sprints_after.items() if sprints_before.get(k) != body}
    assert changed_sprints, "two weeks close and start sprints"
    assert _landed_after(landing, "sprints", before) == changed_sprints
    assert results["sprints"].records == len(changed_sprints)
    assert _landed_after(landing, "boards", before) == set() and results["boards"].records == 0

    def shown(version: dict) -> dict:
        return {k: v for k, v in version.items() if k != "self"}

    changed_versions = {
        k for k, v in versions_now.items() if k not in versions_served or shown(v) != shown(versions_served[k])
    }
    assert changed_versions, "two weeks release versions"
    assert _landed_after(landing, "versions", before) == changed_versions
    assert results["versions"].tombstones == 0 and results["sprints"].tombstones == 0


def _project_ids(world) -> list[str]:
    return [str(row[0]) for row in world.conn.execute("select id from jira_project order by cast(id as integer)")]
