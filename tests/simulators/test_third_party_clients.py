"""Clients we did not write read the simulators as they read the real services.

- pysnc (ServiceNow's own Python client) insists on ``https://`` instances, asks for
  ``sysparm_display_value=all`` unless told otherwise, suppresses the Link header and pages by
  ``sysparm_offset`` against ``X-Total-Count``: it runs against the TLS servers with the CA bundle.
- the ``jira`` library (with ``get_server_info`` left on, so it knows it talks to Cloud) reads
  projects, pages ``enhanced_search_issues`` by ``nextPageToken`` and fetches single issues.
- ``python -m simulators`` (what ``pwh simulate`` runs) prints its JSON line first, serves, and
  exits 0 on SIGTERM or SIGINT.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from jira import JIRA
from pysnc import ServiceNowClient

from simulators import Simulators, start_simulators
from simulators.serve import ensure_world, world_file_name
from simulators.world import store

REPO_ROOT = Path(__file__).resolve().parents[2]
CONTRACT_KEYS = {
    "jira_url",
    "jira_email",
    "jira_api_token",
    "servicenow_url",
    "servicenow_user",
    "servicenow_password",
    "finance_dir",
}


@pytest.fixture(scope="module")
def tls_sims(small_world_path: Path) -> Iterator[Simulators]:
    # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's own `verify`
    # (psf/requests#3829), and both clients set the CA bundle on their session: clear the variables
    # so the CA bundle the clients are given is the one they use.
    with pytest.MonkeyPatch.context() as env, start_simulators(small_world_path, tls=True) as sims:
        env.delenv("REQUESTS_CA_BUNDLE", raising=False)
        env.delenv("CURL_CA_BUNDLE", raising=False)
        yield sims


def query(path: Path, sql: str, *args: object) -> list[tuple]:
    with contextlib.closing(store.connect(path, readonly=True)) as db:
        return db.execute(sql, args).fetchall()


# -- TLS ------------------------------------------------------------------------------------------


def test_tls_servers_need_the_ca_bundle(tls_sims: Simulators) -> None:
    assert tls_sims.jira_url.startswith("https://127.0.0.1:") and tls_sims.servicenow_url.startswith("https://")
    assert tls_sims.ca_bundle is not None and b"BEGIN CERTIFICATE" in tls_sims.ca_bundle.read_bytes()
    url = f"{tls_sims.jira_url}/rest/api/3/myself"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(url, auth=(tls_sims.jira_email, tls_sims.jira_api_token))
    trusted = requests.get(url, auth=(tls_sims.jira_email, tls_sims.jira_api_token), verify=str(tls_sims.ca_bundle))
    assert trusted.status_code == 200
    # The certificate names localhost too.
    localhost = tls_sims.servicenow_url.replace("127.0.0.1", "localhost") + "/api/now/table/sys_user?sysparm_limit=1"
    auth = (tls_sims.servicenow_user, tls_sims.servicenow_password)
    assert requests.get(localhost, auth=auth, verify=str(tls_sims.ca_bundle)).status_code == 200


def test_the_ca_bundle_goes_away_with_the_simulators(small_world_path: Path) -> None:
    with start_simulators(small_world_path, tls=True) as sims:
        bundle = sims.ca_bundle
        assert bundle is not None and bundle.exists()
    assert not bundle.exists()


# -- pysnc ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def snc(tls_sims: Simulators) -> ServiceNowClient:
    return ServiceNowClient(
        tls_sims.servicenow_url,
        (tls_sims.servicenow_user, tls_sims.servicenow_password),
        verify=str(tls_sims.ca_bundle),
    )


def test_pysnc_reads_every_project_with_display_values(snc: ServiceNowClient, small_world_path: Path) -> None:
    projects = snc.GlideRecord("pm_project", batch_size=7)  # several pages by sysparm_offset
    projects.query()
    seen = {}
    for project in projects:
        seen[project.sys_id] = (project.get_value("number"), project.get_display_value("project_manager"))
    stored = {
        sys_id: json.loads(body)
        for sys_id, body in query(small_world_path, "select sys_id, body from sn_record where tbl = 'pm_project'")
    }
    assert set(seen) == set(stored)
    assert len(projects) == len(stored)
    users = {
        sys_id: json.loads(body)["name"]
        for sys_id, body in query(small_world_path, "select sys_id, body from sn_record where tbl = 'sys_user'")
    }
    for sys_id, (number, manager) in seen.items():
        assert number == stored[sys_id]["number"]
        assert manager == users[stored[sys_id]["project_manager"]]  # the reference's display value


def test_pysnc_incremental_query_with_plain_values(snc: ServiceNowClient, small_world_path: Path) -> None:
    bound = query(
        small_world_path,
        "select sys_updated_on from sn_record where tbl = 'time_card' order by sys_updated_on limit 1 offset 1000",
    )[0][0]
    cards = snc.GlideRecord("time_card", batch_size=100)
    cards.display_value = False
    cards.add_query("sys_updated_on", ">=", bound)
    cards.order_by("sys_updated_on")
    cards.query()
    got = [(card.get_value("sys_updated_on"), card.get_value("total")) for card in cards]
    expected = query(
        small_world_path,
        "select sys_updated_on, json_extract(body, '$.total') "
        "from sn_record where tbl = 'time_card' and sys_updated_on >= ?",
        bound,
    )
    assert sorted(got) == sorted(expected) and len(got) > 100


def test_pysnc_gets_one_record_by_sys_id(snc: ServiceNowClient, small_world_path: Path) -> None:
    sys_id, body = query(small_world_path, "select sys_id, body from sn_record where tbl = 'sys_user' limit 1")[0]
    user = snc.GlideRecord("sys_user")
    assert user.get(sys_id)
    assert user.get_value("email") == json.loads(body)["email"]
    assert not snc.GlideRecord("sys_user").get("0" * 32)


# -- the jira library -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jira_client(tls_sims: Simulators) -> JIRA:
    return JIRA(
        server=tls_sims.jira_url,
        basic_auth=(tls_sims.jira_email, tls_sims.jira_api_token),
        options={"verify": str(tls_sims.ca_bundle)},
        max_retries=0,
    )


def test_jira_library_knows_it_talks_to_cloud(jira_client: JIRA) -> None:
    assert jira_client.server_info()["deploymentType"] == "Cloud"
    assert jira_client._is_cloud
    assert jira_client.myself()["timeZone"] == "America/Los_Angeles"


def test_jira_library_reads_projects(jira_client: JIRA, small_world_path: Path) -> None:
    live = {
        key
        for key, body in query(small_world_path, "select key, body from jira_project")
        if not json.loads(body).get("archived")
    }
    assert {project.key for project in jira_client.projects()} == live
    some = sorted(live)[0]
    assert jira_client.project(some).key == some


def test_jira_library_enhanced_search_pages_every_issue(jira_client: JIRA, small_world_path: Path) -> None:
    project = query(
        small_world_path, "select project_key from jira_issue group by project_key order by count(*) desc limit 1"
    )[0][0]
    expected = [
        key
        for (key,) in query(
            small_world_path, "select key from jira_issue where project_key = ? order by key_num", project
        )
    ]
    assert len(expected) > 100  # more than one of the library's pages of 100
    issues = jira_client.enhanced_search_issues(
        f"project = {project} AND updated >= 0 order by key", maxResults=0, fields="summary,updated"
    )
    assert [issue.key for issue in issues] == expected
    first = issues[0]
    assert first.fields.summary and first.fields.updated.endswith(("-0700", "-0800"))
    one_page = jira_client.enhanced_search_issues(
        f"project = {project} AND updated >= 0 order by key", maxResults=10, fields="summary"
    )
    assert len(one_page) == 10 and one_page.nextPageToken


def test_jira_library_fetches_one_issue(jira_client: JIRA, small_world_path: Path) -> None:
    key, body = query(small_world_path, "select key, body from jira_issue order by id limit 1")[0]
    issue = jira_client.issue(key)
    assert issue.key == key
    assert issue.fields.summary == json.loads(body)["fields"]["summary"]
    assert issue.fields.status.name == json.loads(body)["fields"]["status"]["name"]


# -- pwh simulate ---------------------------------------------------------------------------------


def run_simulate(args: list[str], home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PWH_HOME": str(home), "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "simulators", *args],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_simulate_prints_its_json_line_first_serves_and_stops_cleanly(
    world_path: Path, tmp_path: Path, stop_signal: int
) -> None:
    finance = tmp_path / "finance"
    process = run_simulate(["--world", str(world_path), "--finance-dir", str(finance)], tmp_path)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        config = json.loads(line)
        assert set(config) == CONTRACT_KEYS
        assert config["finance_dir"] == str(finance) and any(finance.glob("gl_actuals_*.csv"))
        me = requests.get(
            f"{config['jira_url']}/rest/api/3/myself", auth=(config["jira_email"], config["jira_api_token"]), timeout=10
        )
        assert me.status_code == 200
        users = requests.get(
            f"{config['servicenow_url']}/api/now/table/sys_user",
            params={"sysparm_limit": 2},
            auth=(config["servicenow_user"], config["servicenow_password"]),
            timeout=10,
        )
        assert len(users.json()["result"]) == 2
    finally:
        process.send_signal(stop_signal)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "sim-jira-token" not in stderr  # the simulated secrets stay on stdout's one line


def test_simulate_generates_and_caches_its_world(tmp_path: Path) -> None:
    anchor = date(2026, 6, 30)
    process = run_simulate(["--scale", "small", "--seed", "3", "--anchor", anchor.isoformat()], tmp_path)
    try:
        assert process.stdout is not None
        config = json.loads(process.stdout.readline())
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    cache = tmp_path / "simulator"
    world = cache / world_file_name("small", 3, anchor)
    assert world.is_file() and process.returncode == 0
    assert not [p for p in cache.iterdir() if p.name.startswith(".")]  # no temporary leftovers
    assert Path(config["finance_dir"]).parent == cache
    stamp = world.stat().st_mtime_ns
    assert ensure_world("small", 3, anchor, cache) == world
    assert world.stat().st_mtime_ns == stamp  # reused, not generated again
