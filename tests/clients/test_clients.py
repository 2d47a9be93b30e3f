"""Third-party Jira clients read the simulated site to the end, and agree with it and with each other.

Each client runs as a subprocess from its own venv under ``.venv-clients/`` (``make clients``; the
tests skip, saying so, without it) against the simulators serving the session's ``small`` world
over TLS on 127.0.0.1; nothing is mocked and nothing leaves the machine. The clients' records are
compared by id with the world file (read with SQLite) and across clients:

- tap-jira (Singer; REST v2): projects, versions, components, users (through group members),
  issues with their comments, changelogs and transitions (``fields=*all``,
  ``expand=changelog,transitions``), worklogs;
- Airbyte's source-jira (the PyPI package; REST v3 and the Agile API): projects, project versions,
  project components, users, groups, boards, sprints, board issues and sprint issues. Its
  ``issues`` stream, and with it ``issue_comments`` and ``issue_worklogs``, reads
  ``GET /rest/api/3/search``, which Jira Cloud has removed (CHANGE-2046): the simulator answers 410
  as Jira does and the connector retries for an hour, so those streams are not in its catalog;
- the ``jira`` library (REST v2 and the Agile API): ``search_users``, ``project_versions``,
  ``project_components``, ``boards``, ``sprints``, ``comments`` (``jira_library_reader.py``).

tap-jira and Airbyte's CDK cannot be pointed at a CA bundle; ``ca_trust/sitecustomize.py`` makes
their ``requests`` sessions trust the simulators' throwaway CA (see there).
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from simulators import Simulators, start_simulators

HERE = Path(__file__).resolve().parent
CLIENTS_VENV = HERE.parents[1] / ".venv-clients"
CLIENTS = ("tap-jira", "airbyte", "jira")
TIMEOUT = 900
TAP_STREAMS = (
    "projects",
    "versions",
    "components",
    "users",
    "issues",
    "issue_comments",
    "changelogs",
    "issue_transitions",
    "worklogs",
)
AIRBYTE_STREAMS = (
    "projects",
    "project_versions",
    "project_components",
    "users",
    "groups",
    "boards",
    "sprints",
    "board_issues",
    "sprint_issues",
)

pytestmark = [
    pytest.mark.clients,
    pytest.mark.skipif(
        not all((CLIENTS_VENV / client / ".synced").exists() for client in CLIENTS),
        reason="the third-party Jira clients are not installed: `make clients` creates .venv-clients/ "
        "(tap-jira, airbyte-source-jira, jira from PyPI) and these tests then run",
    ),
]


@dataclass
class ClientRun:
    """What one client did: exit code, stderr, and the ids it read per entity."""

    returncode: int
    stderr: str
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    problems: list[str] = field(default_factory=list)

    def explain(self) -> str:
        """What to show when a client did not finish cleanly."""
        return f"exit {self.returncode}; problems {self.problems[:5]}; stderr tail:\n{self.stderr[-3000:]}"


@pytest.fixture(scope="module")
def sims(small_world_path: Path) -> Iterator[Simulators]:
    """The simulators over TLS: tap-jira and Airbyte only speak https."""
    with start_simulators(small_world_path, tls=True) as running:
        yield running


def client_env(sims: Simulators) -> dict[str, str]:
    """The client's environment: this process's, without its Python settings, trusting the CA."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTHON", "VIRTUAL_ENV", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"))
    }
    env.update(PYTHONPATH=str(HERE / "ca_trust"), PWH_CLIENT_CA_BUNDLE=str(sims.ca_bundle), PYTHONUNBUFFERED="1")
    return env


def run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a client to its end (bounded, so a client that retries forever fails the test instead)."""
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)


@pytest.fixture(scope="module")
def expected(small_world_path: Path) -> dict[str, set[str]]:
    """The world file's ids per entity, read directly with SQLite."""
    queries = {
        "projects": "select id from jira_project where json_extract(body, '$.archived') = 0",
        "versions": "select id from jira_version",
        "components": "select id from jira_component",
        "users": "select account_id from jira_user",
        "groups": "select group_id from jira_group",
        "boards": "select id from jira_board",
        "sprints": "select id from jira_sprint",
        "sprint_issues": "select sprint_id || '-' || issue_id from jira_issue_sprint",
        "issues": "select id from jira_issue",
        "comments": "select id from jira_comment",
        "worklogs": "select id from jira_worklog",
        "changelogs": "select id from jira_changelog union all select id from jira_sprint_history",
        # every other status, one global transition each (jira_issue_parts.py)
        "transitions": "select i.id || '/' || json_extract(s.value, '$.id') from jira_issue i, jira_static st, "
        "json_each(st.body) s where st.name = 'statuses' "
        "and json_extract(s.value, '$.name') != json_extract(i.body, '$.fields.status.name')",
    }
    with contextlib.closing(sqlite3.connect(f"file:{small_world_path}?mode=ro", uri=True)) as db:
        return {name: {str(row[0]) for row in db.execute(sql)} for name, sql in queries.items()}


@pytest.fixture(scope="module")
def tap_jira(sims: Simulators, tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    """tap-jira: discover, select the streams, sync to the end; records by stream."""
    folder = tmp_path_factory.mktemp("tap-jira")
    tap = str(CLIENTS_VENV / "tap-jira" / "bin" / "tap-jira")
    config = {
        "start_date": "2000-01-01T00:00:00Z",
        "username": sims.jira_email,
        "password": sims.jira_api_token,
        "base_url": sims.jira_url.removeprefix("https://"),
        "user_agent": "pwh-client-tests",
    }
    (folder / "config.json").write_text(json.dumps(config))
    env = client_env(sims)
    discovered = run([tap, "--config", "config.json", "--discover"], env, folder)
    assert discovered.returncode == 0, discovered.stderr[-3000:]
    catalog = json.loads(discovered.stdout)
    for stream in catalog["streams"]:
        for entry in stream["metadata"]:
            if entry["breadcrumb"] == []:
                entry["metadata"]["selected"] = stream["tap_stream_id"] in TAP_STREAMS
    (folder / "catalog.json").write_text(json.dumps(catalog))
    # singer-python taps of this generation take the catalog as --properties.
    synced = run([tap, "--config", "config.json", "--properties", "catalog.json"], env, folder)
    result = ClientRun(synced.returncode, synced.stderr)
    for line in synced.stdout.splitlines():
        message = json.loads(line)
        if message["type"] != "RECORD":
            continue
        record = message["record"]
        stream = message["stream"]
        if stream == "issue_transitions":
            result.ids[stream].add(f"{record['issueId']}/{record['to']['id']}")
        else:
            result.ids[stream].add(str(record.get("id") or record.get("accountId")))
    result.problems = [line for line in synced.stderr.splitlines() if line.startswith(("CRITICAL", "ERROR"))]
    return result


@pytest.fixture(scope="module")
def airbyte(sims: Simulators, tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    """Airbyte's source-jira: discover, configure the streams, read to the end; records by stream."""
    folder = tmp_path_factory.mktemp("airbyte")
    source = str(CLIENTS_VENV / "airbyte" / "bin" / "source-jira")
    config = {
        "api_token": sims.jira_api_token,
        "email": sims.jira_email,
        "domain": sims.jira_url.removeprefix("https://"),
        "start_date": "2000-01-01T00:00:00Z",
    }
    (folder / "config.json").write_text(json.dumps(config))
    env = client_env(sims)
    discovered = run([source, "discover", "--config", "config.json"], env, folder)
    assert discovered.returncode == 0, discovered.stderr[-3000:]
    streams = next(
        json.loads(line)["catalog"]["streams"]
        for line in discovered.stdout.splitlines()
        if line.startswith("{") and json.loads(line).get("type") == "CATALOG"
    )
    configured = []
    for stream in streams:
        if stream["name"] not in AIRBYTE_STREAMS:
            continue
        incremental = stream["name"] in ("board_issues", "sprint_issues")
        configured.append(
            {
                "stream": stream,
                "sync_mode": "incremental" if incremental else "full_refresh",
                "destination_sync_mode": "append",
                **({"cursor_field": stream.get("default_cursor_field", [])} if incremental else {}),
            }
        )
    (folder / "catalog.json").write_text(json.dumps({"streams": configured}))
    read = run([source, "read", "--config", "config.json", "--catalog", "catalog.json"], env, folder)
    result = ClientRun(read.returncode, read.stderr)
    completed: set[str] = set()
    for line in read.stdout.splitlines():
        message: dict[str, Any] = json.loads(line)
        kind = message.get("type")
        if kind == "RECORD":
            data = message["record"]["data"]
            key = data.get("accountId") if message["record"]["stream"] == "users" else None
            key = key or data.get("groupId") or data.get("id")
            result.ids[message["record"]["stream"]].add(str(key))
        elif kind == "TRACE" and message["trace"]["type"] == "ERROR":
            result.problems.append(message["trace"]["error"]["message"])
        elif kind == "TRACE" and message["trace"]["type"] == "STREAM_STATUS":
            status = message["trace"]["stream_status"]
            if status["status"] == "COMPLETE":
                completed.add(status["stream_descriptor"]["name"])
            elif status["status"] == "INCOMPLETE":
                result.problems.append(f"{status['stream_descriptor']['name']} incomplete")
        elif kind == "LOG" and message["log"]["level"] in ("ERROR", "FATAL"):
            result.problems.append(message["log"]["message"][:500])
    missing = set(AIRBYTE_STREAMS) - completed
    if missing:
        result.problems.append(f"streams not complete: {sorted(missing)}")
    return result


@pytest.fixture(scope="module")
def jira_library(sims: Simulators, tmp_path_factory: pytest.TempPathFactory) -> ClientRun:
    """The jira library, in its own venv, through ``jira_library_reader.py``."""
    python = str(CLIENTS_VENV / "jira" / "bin" / "python")
    args = [python, str(HERE / "jira_library_reader.py"), sims.jira_url, sims.jira_email, sims.jira_api_token]
    done = run([*args, str(sims.ca_bundle)], client_env(sims), tmp_path_factory.mktemp("jira-library"))
    result = ClientRun(done.returncode, done.stderr)
    if done.returncode == 0:
        for name, ids in json.loads(done.stdout).items():
            result.ids[name] = set(ids)
    return result


def test_tap_jira_syncs_its_streams_to_the_end(tap_jira: ClientRun, expected: dict[str, set[str]]) -> None:
    assert tap_jira.returncode == 0 and not tap_jira.problems, tap_jira.explain()
    read = tap_jira.ids
    for stream, entity in (
        ("projects", "projects"),
        ("versions", "versions"),
        ("components", "components"),
        ("users", "users"),
        ("issues", "issues"),
        ("issue_comments", "comments"),
        ("changelogs", "changelogs"),
        ("worklogs", "worklogs"),
        ("issue_transitions", "transitions"),
    ):
        assert read[stream] == expected[entity], (stream, len(read[stream]), len(expected[entity]))


def test_airbyte_source_jira_reads_its_streams_to_the_end(airbyte: ClientRun, expected: dict[str, set[str]]) -> None:
    assert airbyte.returncode == 0 and not airbyte.problems, airbyte.explain()
    read = airbyte.ids
    for stream, entity in (
        ("projects", "projects"),
        ("project_versions", "versions"),
        ("project_components", "components"),
        ("users", "users"),
        ("groups", "groups"),
        ("boards", "boards"),
        ("sprints", "sprints"),
        ("board_issues", "issues"),
        ("sprint_issues", "sprint_issues"),
    ):
        assert read[stream] == expected[entity], (stream, len(read[stream]), len(expected[entity]))


def test_the_jira_library_reads_every_entity(jira_library: ClientRun, expected: dict[str, set[str]]) -> None:
    assert jira_library.returncode == 0, jira_library.explain()
    for entity in ("users", "projects", "versions", "components", "boards", "sprints", "issues", "comments"):
        assert jira_library.ids[entity] == expected[entity], (entity, len(jira_library.ids[entity]))


def test_the_clients_agree_on_every_entity_they_share(
    tap_jira: ClientRun, airbyte: ClientRun, jira_library: ClientRun
) -> None:
    shared = {
        "projects": (tap_jira.ids["projects"], airbyte.ids["projects"], jira_library.ids["projects"]),
        "versions": (tap_jira.ids["versions"], airbyte.ids["project_versions"], jira_library.ids["versions"]),
        "components": (tap_jira.ids["components"], airbyte.ids["project_components"], jira_library.ids["components"]),
        "users": (tap_jira.ids["users"], airbyte.ids["users"], jira_library.ids["users"]),
        "issues": (tap_jira.ids["issues"], airbyte.ids["board_issues"], jira_library.ids["issues"]),
        "comments": (tap_jira.ids["issue_comments"], jira_library.ids["comments"]),
        "boards": (airbyte.ids["boards"], jira_library.ids["boards"]),
        "sprints": (airbyte.ids["sprints"], jira_library.ids["sprints"]),
    }
    for entity, views in shared.items():
        assert views[0] and all(view == views[0] for view in views), (entity, [len(view) for view in views])
